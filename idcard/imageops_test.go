package idcard

import (
	"bytes"
	"image"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestWarpBands: the warp cut into bands of rows (one a core) gives the pixels of one pass,
// for any band count; a band boundary off by one row would leave a row black.
func TestWarpBands(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	q := [4]pt{{40.5, 61}, {600, 20.25}, {630, 470}, {10, 400}}
	want := image.NewRGBA(image.Rect(0, 0, CardW, CardH))
	warpRows(src, want, homography(q, CardW, CardH), 640, 480, 0, CardH)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 4} {
		runtime.GOMAXPROCS(procs)
		if got := warp(src, q, CardW, CardH); !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("GOMAXPROCS %d: banded warp differs from one pass", procs)
		}
	}
}
