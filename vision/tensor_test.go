package vision

import (
	"math/rand/v2"
	"testing"
)

// The table lookups of chwInto and the pose input give exactly the float32 values of the
// per-pixel expressions they replace, in the planar layout and channel order asked for.
func TestTensorLayoutIsThePerPixelExpression(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	w, h := 37, 23
	rgb := make([]uint8, 3*w*h)
	for i := range rgb {
		rgb[i] = uint8(rng.IntN(256))
	}
	n := w * h
	for _, c := range []struct {
		order    [3]int
		sub, mul float32
	}{{[3]int{0, 1, 2}, 127, 1.0 / 128}, {[3]int{2, 1, 0}, 127.5, 1.0 / 128}, {[3]int{2, 1, 0}, 0, 1}} {
		got := chw(rgb, w, h, c.order, c.sub, c.mul)
		for i := 0; i < n; i++ {
			for ch := 0; ch < 3; ch++ {
				if want := (float32(rgb[3*i+c.order[ch]]) - c.sub) * c.mul; got[ch*n+i] != want {
					t.Fatalf("order %v: pixel %d channel %d = %v, want %v", c.order, i, ch, got[ch*n+i], want)
				}
			}
		}
	}
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	for ch := 0; ch < 3; ch++ {
		for v := 0; v < 256; v++ {
			if want := (float32(uint8(v))/255 - mean[ch]) / std[ch]; ImageNetLUT[ch][v] != want {
				t.Fatalf("pose input of %d channel %d = %v, want %v", v, ch, ImageNetLUT[ch][v], want)
			}
		}
	}
}
