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
	return warpRGBInto(make([]uint8, 3*outW*outH), src, m, outW, outH)
}

// warpRGBInto is warpRGB writing into out (3*outW*outH bytes, every byte overwritten).
func warpRGBInto(out []uint8, src *image.RGBA, m affine, outW, outH int) []uint8 {
	// sub-samples per axis: plain bilinear up to a 1.3× shrink, then ~one per source pixel
	ss := int(math.Ceil(m.scale() - 0.3))
	ss = max(1, min(ss, 4))
	if m.B == 0 && m.D == 0 {
		return warpRectInto(out, src, m, ss, outW, outH)
	}
	return warpAnyInto(out, src, m, ss, outW, outH)
}

func warpAny(src *image.RGBA, m affine, ss, outW, outH int) []uint8 {
	return warpAnyInto(make([]uint8, 3*outW*outH), src, m, ss, outW, outH)
}

func warpRect(src *image.RGBA, m affine, ss, outW, outH int) []uint8 {
	return warpRectInto(make([]uint8, 3*outW*outH), src, m, ss, outW, outH)
}

// warpAnyInto is warpRGB for any affine m with ss×ss sub-samples a pixel.
func warpAnyInto(out []uint8, src *image.RGBA, m affine, ss, outW, outH int) []uint8 {
	out = out[:3*outW*outH]
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pix, stride := src.Pix, src.Stride
	inv := float32(1) / float32(ss*ss)
	step := 1 / float64(ss)
	A, B, D, E := m.A*step, m.B*step, m.D*step, m.E*step
	for v := 0; v < outH; v++ {
		for u := 0; u < outW; u++ {
			var r, g, b float32
			// first sub-sample position, minus half a pixel for pixel-centre sampling
			x0, y0 := m.apply(float64(u)+0.5*step, float64(v)+0.5*step)
			x0 -= 0.5
			y0 -= 0.5
			for j := 0; j < ss; j++ {
				xr, yr := x0+B*float64(j), y0+E*float64(j)
				for i := 0; i < ss; i++ {
					x, y := xr+A*float64(i), yr+D*float64(i)
					fx, fy := math.Floor(x), math.Floor(y)
					ax, ay := float32(x-fx), float32(y-fy)
					ix, iy := int(fx), int(fy)
					if ix >= 0 && iy >= 0 && ix+1 < w && iy+1 < h {
						o := iy*stride + 4*ix
						p0, p1, p2, p3 := pix[o:o+3:o+3], pix[o+4:o+7:o+7], pix[o+stride:o+stride+3:o+stride+3], pix[o+stride+4:o+stride+7:o+stride+7]
						w0, w1, w2, w3 := (1-ax)*(1-ay), ax*(1-ay), (1-ax)*ay, ax*ay
						r += float32(p0[0])*w0 + float32(p1[0])*w1 + float32(p2[0])*w2 + float32(p3[0])*w3
						g += float32(p0[1])*w0 + float32(p1[1])*w1 + float32(p2[1])*w2 + float32(p3[1])*w3
						b += float32(p0[2])*w0 + float32(p1[2])*w1 + float32(p2[2])*w2 + float32(p3[2])*w3
						continue
					}
					r, g, b = borderSample(pix, stride, w, h, ix, iy, ax, ay, r, g, b)
				}
			}
			o := 3 * (v*outW + u)
			out[o] = uint8(min(255, r*inv+0.5))
			out[o+1] = uint8(min(255, g*inv+0.5))
			out[o+2] = uint8(min(255, b*inv+0.5))
		}
	}
	return out
}

// warpRect is warpRGB for an axis-aligned m (no rotation: every resize and crop but the
// face alignment). The sub-sample positions depend on the column or on the row only, so
// they are computed once per column and once per row instead of per pixel; the arithmetic
// is the same as warpRGB's, sample for sample, so the output is identical. Whole-factor
// shrinks are a box sum (boxSum), the other warps a separable resize (sepResize), both
// giving the very bytes of the per-sample loop (rectWarp.pixel).
func warpRectInto(out []uint8, src *image.RGBA, m affine, ss, outW, outH int) []uint8 {
	out = out[:3*outW*outH]
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pix, stride := src.Pix, src.Stride
	inv := float32(1) / float32(ss*ss)
	step := 1 / float64(ss)
	taps := func(n int, scale, off float64) []tap {
		t := make([]tap, n*ss)
		d := scale * step
		for u := 0; u < n; u++ {
			x0 := scale*(float64(u)+0.5*step) + off - 0.5
			for i := 0; i < ss; i++ {
				x := x0 + d*float64(i)
				f := math.Floor(x)
				t[u*ss+i] = tap{int(f), float32(x - f)}
			}
		}
		return t
	}
	// apply: x = A*u + 0*v + C; the 0*v term is exactly zero, as in warpRGB.
	r := rectWarp{pix: pix, stride: stride, w: w, h: h, ss: ss, inv: inv, xt: taps(outW, m.A, m.C), yt: taps(outH, m.E, m.F)}
	if onPixels(r.xt, w) && onPixels(r.yt, h) {
		boxSum(pix, stride, r.xt, r.yt, ss, outW, outH, inv, out)
		return out
	}
	if separable && m.A > 0 && m.E > 0 {
		r.sepResize(outW, outH, out)
		return out
	}
	for v := 0; v < outH; v++ {
		for u := 0; u < outW; u++ {
			r.pixel(u, v, out[3*(v*outW+u):3*(v*outW+u)+3])
		}
	}
	return out
}

// rectWarp is one axis-aligned warp: the source, its sub-sample taps per output column
// (xt) and row (yt), ss of each per output pixel.
type rectWarp struct {
	pix          []uint8
	stride, w, h int
	ss           int
	inv          float32
	xt, yt       []tap
}

// pixel writes output pixel (u, v) into o (3 bytes): the mean of its ss×ss bilinear
// sub-samples in float32, sample by sample as warpAnyInto adds them.
func (r *rectWarp) pixel(u, v int, o []uint8) {
	pix, stride, w, h, ss := r.pix, r.stride, r.w, r.h, r.ss
	var cr, cg, cb float32
	for j := 0; j < ss; j++ {
		ty := r.yt[v*ss+j]
		iy, ay := ty.i, ty.a
		for i := 0; i < ss; i++ {
			tx := r.xt[u*ss+i]
			ix, ax := tx.i, tx.a
			if ix >= 0 && iy >= 0 && ix+1 < w && iy+1 < h {
				q := iy*stride + 4*ix
				if ax == 0 && ay == 0 { // on a pixel: weights 1,0,0,0 add exactly this
					p0 := pix[q : q+3 : q+3]
					cr += float32(p0[0])
					cg += float32(p0[1])
					cb += float32(p0[2])
					continue
				}
				p0, p1, p2, p3 := pix[q:q+3:q+3], pix[q+4:q+7:q+7], pix[q+stride:q+stride+3:q+stride+3], pix[q+stride+4:q+stride+7:q+stride+7]
				w0, w1, w2, w3 := (1-ax)*(1-ay), ax*(1-ay), (1-ax)*ay, ax*ay
				cr += float32(p0[0])*w0 + float32(p1[0])*w1 + float32(p2[0])*w2 + float32(p3[0])*w3
				cg += float32(p0[1])*w0 + float32(p1[1])*w1 + float32(p2[1])*w2 + float32(p3[1])*w3
				cb += float32(p0[2])*w0 + float32(p1[2])*w1 + float32(p2[2])*w2 + float32(p3[2])*w3
				continue
			}
			if iy+1 < 0 || iy >= h || ix+1 < 0 || ix >= w {
				continue // entirely outside: black
			}
			cr, cg, cb = borderSample(pix, stride, w, h, ix, iy, ax, ay, cr, cg, cb)
		}
	}
	o = o[:3:3]
	o[0] = uint8(min(255, cr*r.inv+0.5))
	o[1] = uint8(min(255, cg*r.inv+0.5))
	o[2] = uint8(min(255, cb*r.inv+0.5))
}

// separable selects sepResize for the axis-aligned warps that are not whole-factor
// shrinks (false: the per-sample loop, rectWarp.pixel, for every pixel).
var separable = true

// sepAxis is one axis of a separable resize: output k reads the source indices
// lo[k] … lo[k]+n[k]-1 with the weights w[off[k]:off[k]+n[k]].
type sepAxis struct {
	lo, n, off []int
	w          []float64
	maxN       int
}

// sepAxisOf folds the ss sub-sample taps of each of n outputs (bilinear: weight 1-a on
// tap.i, a on tap.i+1, a the tap's float32 fraction) into one weight per source index,
// dropping the indices outside [0, size) (they read as black) and zero weights at either
// end. The sums are exact in float64.
func sepAxisOf(t []tap, ss, n, size int) sepAxis {
	ax := sepAxis{lo: make([]int, n), n: make([]int, n), off: make([]int, n)}
	var acc []float64
	for k := 0; k < n; k++ {
		ts := t[k*ss : (k+1)*ss]
		first, last := ts[0].i, ts[0].i
		for _, x := range ts {
			first, last = min(first, x.i), max(last, x.i)
		}
		span := last + 2 - first
		acc = append(acc[:0], make([]float64, span)...)
		for _, x := range ts {
			acc[x.i-first] += 1 - float64(x.a)
			acc[x.i+1-first] += float64(x.a)
		}
		a, b := 0, span // trim: outside the source, or zero weight
		for a < b && (first+a < 0 || first+a >= size || acc[a] == 0) {
			a++
		}
		for b > a && (first+b-1 < 0 || first+b-1 >= size || acc[b-1] == 0) {
			b--
		}
		if a == b { // the whole window is outside: black
			first, a, b = 0, 0, 0
		}
		ax.lo[k], ax.n[k], ax.off[k] = first+a, b-a, len(ax.w)
		ax.w = append(ax.w, acc[a:b]...)
		ax.maxN = max(ax.maxN, b-a)
	}
	return ax
}

// sepEdge is how close to a rounding edge (levels) the exact mean of a pixel's
// sub-samples may come before the float32 sums of rectWarp.pixel could round it the other way.
// Their error is below 5e-4 levels: at most ss²·4 products of a byte and a weight, each
// through ≤ 23 float32 roundings (2⁻²⁴ each) of sums bounded by 255·ss², divided by ss², plus the
// scaling by inv and the +0.5 (< 5e-5). The margin is 4× that. (A variable for the
// test that shows the fallback is needed.)
var sepEdge = 2e-3

// sepResize is the warp as two passes in float64: each source row a window needs is
// resampled horizontally once (into a ring of rows), then every output pixel is the
// weighted sum of its window's rows — the exact mean of its bilinear sub-samples, whose
// weights are separable. Where that mean lies within sepEdge of a rounding edge, the
// pixel is made by the per-sample float32 loop (rectWarp.pixel) instead, so that every byte
// is the reference's (TestWarpRectMatchesWarpAny).
func (r *rectWarp) sepResize(outW, outH int, out []uint8) {
	xa, ya := sepAxisOf(r.xt, r.ss, outW, r.w), sepAxisOf(r.yt, r.ss, outH, r.h)
	pix, stride := r.pix, r.stride
	R := max(1, ya.maxN)
	ring := make([]float64, R*3*outW)
	tag := make([]int, R)
	for i := range tag {
		tag[i] = -1
	}
	row := func(y int) []float64 { // the horizontal pass of source row y, cached
		s := y % R
		hr := ring[s*3*outW : (s+1)*3*outW]
		if tag[s] == y {
			return hr
		}
		tag[s] = y
		src := pix[y*stride:]
		for u := 0; u < outW; u++ {
			var cr, cg, cb float64
			q := 4 * xa.lo[u]
			w := xa.w[xa.off[u] : xa.off[u]+xa.n[u]]
			p := src[q : q+4*len(w)]
			for k, wk := range w {
				px := p[4*k : 4*k+3 : 4*k+3]
				cr += float64(px[0]) * wk
				cg += float64(px[1]) * wk
				cb += float64(px[2]) * wk
			}
			h := hr[3*u : 3*u+3 : 3*u+3]
			h[0], h[1], h[2] = cr, cg, cb
		}
		return hr
	}
	inv := 1 / float64(r.ss*r.ss)
	acc := make([]float64, 3*outW)
	for v := 0; v < outH; v++ {
		clear(acc)
		w := ya.w[ya.off[v] : ya.off[v]+ya.n[v]]
		for k, wk := range w {
			hr := row(ya.lo[v] + k)
			hr = hr[:len(acc)]
			for i := range acc {
				acc[i] += hr[i] * wk
			}
		}
		o := out[3*v*outW : 3*(v+1)*outW]
		for u := 0; u < outW; u++ {
			a, p := acc[3*u:3*u+3:3*u+3], o[3*u:3*u+3:3*u+3]
			edge := false
			for c := range 3 {
				x := a[c]*inv + 0.5
				if x >= 255+sepEdge {
					p[c] = 255
					continue
				}
				// x > 0: truncation is the floor; x is on an edge when x ± sepEdge
				// fall on either side of an integer
				n := int(x + sepEdge)
				if int(x-sepEdge) != n {
					edge = true
				}
				p[c] = uint8(n)
			}
			if edge {
				r.pixel(u, v, p)
			}
		}
	}
}

type tap = struct {
	i int
	a float32
}

// onPixels reports whether every tap falls exactly on a pixel of [0, n) (fraction 0), as
// when a frame is shrunk by a whole factor (640×480 → the detector's 320×240). Such a tap
// reads that one pixel with weight 1 (its neighbours get weight 0), also on the last row.
func onPixels(t []tap, n int) bool {
	for _, x := range t {
		if x.a != 0 || x.i < 0 || x.i >= n {
			return false
		}
	}
	return true
}

// boxSum is warpRect when every tap is on a pixel: each output pixel is the mean of ss×ss
// source pixels. The float32 sum of at most 16 bytes is exact, so summing integers gives
// the very same value as warpRect's float accumulation.
func boxSum(pix []uint8, stride int, xt, yt []tap, ss, outW, outH int, inv float32, out []uint8) {
	if ss == 2 { // the detector's halving of 640×480 frames
		xo := make([]int, 2*outW)
		for i := range xo {
			xo[i] = 4 * xt[i].i
		}
		for v := 0; v < outH; v++ {
			r0, r1 := yt[2*v].i*stride, yt[2*v+1].i*stride
			row0, row1 := pix[r0:], pix[r1:]
			o := out[3*v*outW : 3*(v+1)*outW]
			for u := 0; u < outW; u++ {
				a, b := xo[2*u], xo[2*u+1]
				p, q, s, t := row0[a:a+3:a+3], row0[b:b+3:b+3], row1[a:a+3:a+3], row1[b:b+3:b+3]
				r := int(p[0]) + int(q[0]) + int(s[0]) + int(t[0])
				g := int(p[1]) + int(q[1]) + int(s[1]) + int(t[1])
				bl := int(p[2]) + int(q[2]) + int(s[2]) + int(t[2])
				// float32(s)*0.25+0.5 is exact for s ≤ 1020: its truncation is (s+2)>>2
				oo := o[3*u : 3*u+3 : 3*u+3]
				oo[0] = uint8((r + 2) >> 2)
				oo[1] = uint8((g + 2) >> 2)
				oo[2] = uint8((bl + 2) >> 2)
			}
		}
		return
	}
	for v := 0; v < outH; v++ {
		o := 3 * v * outW
		for u := 0; u < outW; u++ {
			var r, g, b int
			for j := 0; j < ss; j++ {
				row := yt[v*ss+j].i * stride
				for i := 0; i < ss; i++ {
					q := row + 4*xt[u*ss+i].i
					p := pix[q : q+3 : q+3]
					r += int(p[0])
					g += int(p[1])
					b += int(p[2])
				}
			}
			out[o] = uint8(min(255, float32(r)*inv+0.5))
			out[o+1] = uint8(min(255, float32(g)*inv+0.5))
			out[o+2] = uint8(min(255, float32(b)*inv+0.5))
			o += 3
		}
	}
}

// chw converts an RGB buffer into a planar float tensor, channel order given by order
// (e.g. {0,1,2} RGB, {2,1,0} BGR), value = (p - sub) * mul.
func chw(rgb []uint8, w, h int, order [3]int, sub, mul float32) []float32 {
	return chwInto(make([]float32, 3*w*h), rgb, w, h, order, sub, mul)
}

// chwInto is chw writing into t (3*w*h floats).
func chwInto(t []float32, rgb []uint8, w, h int, order [3]int, sub, mul float32) []float32 {
	n := w * h
	t = t[:3*n]
	var lut [256]float32 // the same float32 expression, once per byte value
	for v := range lut {
		lut[v] = (float32(v) - sub) * mul
	}
	rgb = rgb[:3*n]
	for c := 0; c < 3; c++ {
		plane, src := t[c*n:(c+1)*n], rgb[order[c]:]
		for i := range plane {
			plane[i] = lut[src[3*i]]
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

// borderSample adds to r, g, b the bilinear sample at (ix+ax, iy+ay) of an RGBA image whose
// four neighbours are partly outside it (outside reads as black).
func borderSample(pix []uint8, stride, w, h, ix, iy int, ax, ay, r, g, b float32) (float32, float32, float32) {
	for k := 0; k < 4; k++ {
		px, py := ix+k&1, iy+k>>1
		if px < 0 || py < 0 || px >= w || py >= h {
			continue
		}
		wx, wy := ax, ay
		if k&1 == 0 {
			wx = 1 - ax
		}
		if k>>1 == 0 {
			wy = 1 - ay
		}
		o := py*stride + 4*px
		r += float32(pix[o]) * wx * wy
		g += float32(pix[o+1]) * wx * wy
		b += float32(pix[o+2]) * wx * wy
	}
	return r, g, b
}
