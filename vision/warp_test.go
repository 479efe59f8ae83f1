package vision

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// The axis-aligned per-sample loop and the whole-factor box sum must give exactly the
// bytes of the general warp.
func TestWarpRectMatchesWarpAny(t *testing.T) {
	defer func(s bool) { separable = s }(separable)
	separable = false
	rng := rand.New(rand.NewPCG(1, 2))
	src := image.NewRGBA(image.Rect(0, 0, 173, 131))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	// whole-factor shrinks (every tap on a pixel, last row and column included)
	for _, f := range []int{1, 2, 3, 4} {
		for _, off := range []float64{0, 1, -1} {
			m := rectAffine(off, off, off+float64(f*40), off+float64(f*30), 40, 30)
			ss := max(1, min(int(math.Ceil(m.scale()-0.3)), 4))
			if !bytes.Equal(warpRect(src, m, ss, 40, 30), warpAny(src, m, ss, 40, 30)) {
				t.Fatalf("shrink ×%d offset %v differs", f, off)
			}
		}
	}
	for k := 0; k < 300; k++ {
		W, H := float64(src.Rect.Dx()), float64(src.Rect.Dy())
		x0, y0 := rng.Float64()*W*1.4-0.4*W, rng.Float64()*H*1.4-0.4*H
		x1, y1 := x0+1+rng.Float64()*W*1.5, y0+1+rng.Float64()*H*1.5
		ow, oh := 1+rng.IntN(90), 1+rng.IntN(90)
		m := rectAffine(x0, y0, x1, y1, ow, oh)
		ss := max(1, min(int(math.Ceil(m.scale()-0.3)), 4))
		a, b := warpRect(src, m, ss, ow, oh), warpAny(src, m, ss, ow, oh)
		if !bytes.Equal(a, b) {
			t.Fatalf("case %d: (%.2f,%.2f)-(%.2f,%.2f) → %dx%d ss=%d differs", k, x0, y0, x1, y1, ow, oh, ss)
		}
	}
	// the letterboxed 640×480 → 320×240 detector input and 4:3 video frames
	big := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range big.Pix {
		big.Pix[i] = uint8(rng.IntN(256))
	}
	// face crops inside a video frame (the interior path): the landmark and focus crops
	// (64×64), anti-spoof (128×128), pose (224×224), at fractional positions and scales
	for k := 0; k < 200; k++ {
		side := 20 + rng.Float64()*400
		x0, y0 := rng.Float64()*(640-side-2)+0.5, rng.Float64()*(480-min(side, 470)-2)+0.5
		out := []int{64, 128, 224, 17}[k%4]
		m := rectAffine(x0, y0, x0+side, y0+min(side, 470), out, out)
		ss := max(1, min(int(math.Ceil(m.scale()-0.3)), 4))
		if !bytes.Equal(warpRect(big, m, ss, out, out), warpAny(big, m, ss, out, out)) {
			t.Fatalf("face crop %d (%.2f,%.2f) side %.2f → %d ss=%d differs", k, x0, y0, side, out, ss)
		}
	}
	for _, r := range [][4]float64{{0, 0, 640, 480}, {-80, 0, 720, 600}, {0, -60, 640, 540}, {100, 50, 228, 178}} {
		m := rectAffine(r[0], r[1], r[2], r[3], detW, detH)
		ss := max(1, min(int(math.Ceil(m.scale()-0.3)), 4))
		if !bytes.Equal(warpRect(big, m, ss, detW, detH), warpAny(big, m, ss, detW, detH)) {
			t.Fatalf("detector warp %v differs", r)
		}
	}
}

func BenchmarkWarpDetector(b *testing.B) { // 640×480 frame → letterboxed 320×240 detector input
	big := image.NewRGBA(image.Rect(0, 0, 640, 480))
	m := rectAffine(0, 0, 640, 480, detW, detH)
	ss := max(1, min(int(math.Ceil(m.scale()-0.3)), 4))
	b.Run("rect", func(b *testing.B) {
		defer cpuClock(b)()
		for i := 0; i < b.N; i++ {
			warpRect(big, m, ss, detW, detH)
		}
	})
	b.Run("any", func(b *testing.B) {
		defer cpuClock(b)()
		for i := 0; i < b.N; i++ {
			warpAny(big, m, ss, detW, detH)
		}
	})
}

func BenchmarkWarpFaceCrop(b *testing.B) { // a 200 px face of a 640×480 frame → 64×64 landmark crop
	big := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 7)
	}
	m := rectAffine(210.3, 120.7, 410.9, 321.3, 64, 64)
	ss := max(1, min(int(math.Ceil(m.scale()-0.3)), 4))
	b.Run("rect", func(b *testing.B) {
		defer cpuClock(b)()
		for i := 0; i < b.N; i++ {
			warpRect(big, m, ss, 64, 64)
		}
	})
	b.Run("any", func(b *testing.B) {
		defer cpuClock(b)()
		for i := 0; i < b.N; i++ {
			warpAny(big, m, ss, 64, 64)
		}
	})
}

// warpCases are the axis-aligned warps of TestWarpRectMatchesWarpAny: random rectangles
// (partly or wholly outside the source too) of a random image, face crops of a 640×480
// frame at the models' sizes, and the detector's letterboxed input.
func warpCases(yield func(name string, src *image.RGBA, m affine, ow, oh int)) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := image.NewRGBA(image.Rect(0, 0, 173, 131))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	for k := 0; k < 300; k++ {
		W, H := float64(src.Rect.Dx()), float64(src.Rect.Dy())
		x0, y0 := rng.Float64()*W*1.4-0.4*W, rng.Float64()*H*1.4-0.4*H
		x1, y1 := x0+1+rng.Float64()*W*1.5, y0+1+rng.Float64()*H*1.5
		ow, oh := 1+rng.IntN(90), 1+rng.IntN(90)
		yield(fmt.Sprintf("random %d", k), src, rectAffine(x0, y0, x1, y1, ow, oh), ow, oh)
	}
	big := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range big.Pix { // a smooth image with noise, as a face in a frame
		x, y := (i/4)%640, (i/4)/640
		big.Pix[i] = uint8(128 + 60*math.Sin(float64(x)/9+float64(i%4)) + 40*math.Cos(float64(y)/13) + float64(rng.IntN(24)))
	}
	for k := 0; k < 200; k++ {
		side := 20 + rng.Float64()*400
		x0, y0 := rng.Float64()*(640-side-2)+0.5, rng.Float64()*(480-min(side, 470)-2)+0.5
		out := []int{64, 128, 224, 24}[k%4]
		yield(fmt.Sprintf("face crop %d side %.1f", k, side), big, rectAffine(x0, y0, x0+side, y0+min(side, 470), out, out), out, out)
	}
	for _, r := range [][4]float64{{-80, 0, 720, 600}, {0, -60, 640, 540}, {100, 50, 228, 178}, {-30, -20, 250, 240}} {
		yield(fmt.Sprintf("detector %v", r), big, rectAffine(r[0], r[1], r[2], r[3], detW, detH), detW, detH)
	}
}

// The separable resize gives exactly the bytes of the general warp; without its fallback
// at rounding edges (sepEdge 0) it would not, so the comparison below can tell.
func TestSeparableMatchesWarpAny(t *testing.T) {
	if !separable {
		t.Fatal("separable is off")
	}
	compare := func() (n, diff, big int) {
		warpCases(func(name string, src *image.RGBA, m affine, ow, oh int) {
			ss := max(1, min(int(math.Ceil(m.scale()-0.3)), 4))
			a, b := warpRect(src, m, ss, ow, oh), warpAny(src, m, ss, ow, oh)
			for i := range a {
				if d := int(a[i]) - int(b[i]); d != 0 {
					diff++
					if d < -1 || d > 1 {
						big++
						if big == 1 {
							t.Errorf("%s ss=%d: byte %d is %d, general warp %d", name, ss, i, a[i], b[i])
						}
					}
				}
			}
			n += len(a)
		})
		return
	}
	n, diff, big := compare()
	if diff != 0 || big != 0 {
		t.Fatalf("%d of %d bytes differ from the general warp (%d by more than one level)", diff, n, big)
	}
	defer func(e float64) { sepEdge = e }(sepEdge)
	sepEdge = 0
	n, diff, big = compare()
	t.Logf("without the edge fallback: %d of %d bytes differ by one level, %d by more", diff, n, big)
	if diff == 0 || big != 0 {
		t.Fatalf("without the edge fallback %d of %d bytes differ (%d by more than one level): want some, all by one", diff, n, big)
	}
}

// BenchmarkWarpCrops: the axis-aligned crops of a verdict from a 640×480 frame with a
// 200 px face — landmarks/focus 64² (ss 3), anti-spoof 128² of the 2.7× box (ss 4), pose
// 224² of the 1.5× box (ss 1) — by the separable resize and by the per-sample loop.
func BenchmarkWarpCrops(b *testing.B) {
	big := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 7)
	}
	crops := []struct {
		name string
		m    affine
		n    int
	}{
		{"face64", rectAffine(210.3, 120.7, 410.9, 321.3, 64, 64), 64},
		{"live128", rectAffine(50.2, 0, 590.2, 480, 128, 128), 128},
		{"pose224", rectAffine(160.1, 70.6, 460.8, 371.3, 224, 224), 224},
	}
	defer func(s bool) { separable = s }(separable)
	for _, c := range crops {
		for _, sep := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/separable=%v", c.name, sep), func(b *testing.B) {
				separable = sep
				out := make([]uint8, 3*c.n*c.n)
				defer cpuClock(b)()
				for i := 0; i < b.N; i++ {
					warpRGBInto(out, big, c.m, c.n, c.n)
				}
			})
		}
	}
}
