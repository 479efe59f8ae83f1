package vision

import (
	"image"
	"math"
)

// affine maps an output pixel position (u, v) to a source position:
// x = A*u + B*v + C, y = D*u + E*v + F (continuous coordinates, pixel centres at i+0.5).
type affine struct{ A, B, C, D, E, F float64 }

// scale is the source distance covered by one output pixel (for anti-aliasing).
func (m affine) scale() float64 {
	return math.Sqrt(math.Abs(m.A*m.E - m.B*m.D))
}

// invert returns the inverse transform.
func (m affine) invert() affine {
	det := m.A*m.E - m.B*m.D
	ia, ib := m.E/det, -m.B/det
	id, ie := -m.D/det, m.A/det
	return affine{ia, ib, -(ia*m.C + ib*m.F), id, ie, -(id*m.C + ie*m.F)}
}

func (m affine) apply(u, v float64) (float64, float64) {
	return m.A*u + m.B*v + m.C, m.D*u + m.E*v + m.F
}

// rectAffine maps an outW×outH output onto the source rectangle (x0,y0)-(x1,y1).
func rectAffine(x0, y0, x1, y1 float64, outW, outH int) affine {
	sx := (x1 - x0) / float64(outW)
	sy := (y1 - y0) / float64(outH)
	return affine{A: sx, C: x0, E: sy, F: y0}
}

// warpRGB samples src through m into an outW×outH RGB buffer (3 bytes a pixel) with
// bilinear interpolation, averaging up to 4×4 sub-samples when shrinking. Positions outside
// the image read as black.
func warpRGB(src *image.RGBA, m affine, outW, outH int) []uint8 {
	ss := int(math.Ceil(m.scale()))
	if ss < 1 {
		ss = 1
	}
	if ss > 4 {
		ss = 4
	}
	out := make([]uint8, 3*outW*outH)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pix, stride := src.Pix, src.Stride
	inv := 1 / float64(ss*ss)
	for v := 0; v < outH; v++ {
		for u := 0; u < outW; u++ {
			var r, g, b float64
			for j := 0; j < ss; j++ {
				fv := float64(v) + (float64(j)+0.5)/float64(ss)
				for i := 0; i < ss; i++ {
					fu := float64(u) + (float64(i)+0.5)/float64(ss)
					x, y := m.apply(fu, fv)
					x -= 0.5
					y -= 0.5
					x0, y0 := math.Floor(x), math.Floor(y)
					ax, ay := x-x0, y-y0
					ix, iy := int(x0), int(y0)
					var c [4][3]float64
					for k := 0; k < 4; k++ {
						px, py := ix+k&1, iy+k>>1
						if px < 0 || py < 0 || px >= w || py >= h {
							continue
						}
						o := py*stride + 4*px
						c[k] = [3]float64{float64(pix[o]), float64(pix[o+1]), float64(pix[o+2])}
					}
					w0, w1, w2, w3 := (1-ax)*(1-ay), ax*(1-ay), (1-ax)*ay, ax*ay
					r += c[0][0]*w0 + c[1][0]*w1 + c[2][0]*w2 + c[3][0]*w3
					g += c[0][1]*w0 + c[1][1]*w1 + c[2][1]*w2 + c[3][1]*w3
					b += c[0][2]*w0 + c[1][2]*w1 + c[2][2]*w2 + c[3][2]*w3
				}
			}
			o := 3 * (v*outW + u)
			out[o] = uint8(math.Min(255, r*inv+0.5))
			out[o+1] = uint8(math.Min(255, g*inv+0.5))
			out[o+2] = uint8(math.Min(255, b*inv+0.5))
		}
	}
	return out
}

// chw converts an RGB buffer into a planar float tensor, channel order given by order
// (e.g. {0,1,2} RGB, {2,1,0} BGR), value = (p - sub) * mul.
func chw(rgb []uint8, w, h int, order [3]int, sub, mul float32) []float32 {
	n := w * h
	t := make([]float32, 3*n)
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			t[c*n+i] = (float32(rgb[3*i+order[c]]) - sub) * mul
		}
	}
	return t
}

// gray converts an RGB buffer to luma (BT.601) floats times mul.
func gray(rgb []uint8, mul float32) []float32 {
	n := len(rgb) / 3
	t := make([]float32, n)
	for i := 0; i < n; i++ {
		t[i] = (0.299*float32(rgb[3*i]) + 0.587*float32(rgb[3*i+1]) + 0.114*float32(rgb[3*i+2])) * mul
	}
	return t
}

// rgbImage wraps an RGB buffer as an image (for debugging dumps and tests).
func rgbImage(rgb []uint8, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:4*i+3], rgb[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	return img
}
