package pipeline

// Session-8 mouth evidence (docs/liveness.md, "Lips and voice"): the vertical motion of the
// lips inside the landmark-aligned mouth crop, by Lucas–Kanade optical flow, and the lip gap
// height from the crop's vertical intensity profile. The pixel change (motion, motionLo) is
// unsigned: opening and closing look alike, and a change of light counts as motion. The flow
// is signed: the lower lip moving down and the upper lip up is the mouth opening.

import "math"

// Regions of the crop the flow reads: between the mouth corners (columns cropW/4…3·cropW/4),
// above the corner line (upper lip) and below it (lower lip and jaw).
var (
	flowUp = [4]int{cropW / 4, 3 * cropW / 4, 2, cropH / 2}
	flowLo = [4]int{cropW / 4, 3 * cropW / 4, cropH / 2, cropH - 2}
)

// blurCrop is the crop smoothed with a 3×3 binomial kernel (edges clamped): it widens the
// range of displacements the linearised flow resolves to about two crop pixels.
func blurCrop(c []float64) []float64 {
	tmp := make([]float64, len(c))
	out := make([]float64, len(c))
	at := func(v, lo, hi int) int { return min(hi, max(lo, v)) }
	for y := 0; y < cropH; y++ {
		for x := 0; x < cropW; x++ {
			tmp[y*cropW+x] = (c[y*cropW+at(x-1, 0, cropW-1)] + 2*c[y*cropW+x] + c[y*cropW+at(x+1, 0, cropW-1)]) / 4
		}
	}
	for y := 0; y < cropH; y++ {
		for x := 0; x < cropW; x++ {
			out[y*cropW+x] = (tmp[at(y-1, 0, cropH-1)*cropW+x] + 2*tmp[y*cropW+x] + tmp[at(y+1, 0, cropH-1)*cropW+x]) / 4
		}
	}
	return out
}

// regionFlow is the translation (u, v) in crop pixels (v > 0: downwards) that carries region
// r = {x0, x1, y0, y1} of the blurred crop a onto b: Lucas–Kanade on the region, refined
// three times by warping b (bilinear), each step at most 2 pixels. ok is false when the
// region has no texture to track (its structure tensor is near singular).
func regionFlow(a, b []float64, r [4]int) (u, v float64, ok bool) {
	sample := func(img []float64, x, y float64) float64 {
		x = math.Max(0, math.Min(cropW-1.001, x))
		y = math.Max(0, math.Min(cropH-1.001, y))
		x0, y0 := int(x), int(y)
		fx, fy := x-float64(x0), y-float64(y0)
		i := y0*cropW + x0
		return (img[i]*(1-fx)+img[i+1]*fx)*(1-fy) + (img[i+cropW]*(1-fx)+img[i+cropW+1]*fx)*fy
	}
	// structure tensor of a (fixed over the iterations)
	var sxx, sxy, syy float64
	for y := r[2]; y < r[3]; y++ {
		for x := r[0]; x < r[1]; x++ {
			gx := (a[y*cropW+min(x+1, cropW-1)] - a[y*cropW+max(x-1, 0)]) / 2
			gy := (a[min(y+1, cropH-1)*cropW+x] - a[max(y-1, 0)*cropW+x]) / 2
			sxx += gx * gx
			sxy += gx * gy
			syy += gy * gy
		}
	}
	det := sxx*syy - sxy*sxy
	npx := float64((r[1] - r[0]) * (r[3] - r[2]))
	if det <= 1e-6*npx*npx || syy < 1e-3*npx {
		return 0, 0, false
	}
	for it := 0; it < 3; it++ {
		var bx, by float64
		for y := r[2]; y < r[3]; y++ {
			for x := r[0]; x < r[1]; x++ {
				gx := (a[y*cropW+min(x+1, cropW-1)] - a[y*cropW+max(x-1, 0)]) / 2
				gy := (a[min(y+1, cropH-1)*cropW+x] - a[max(y-1, 0)*cropW+x]) / 2
				d := sample(b, float64(x)+u, float64(y)+v) - a[y*cropW+x]
				bx += gx * d
				by += gy * d
			}
		}
		du := -(syy*bx - sxy*by) / det
		dv := -(sxx*by - sxy*bx) / det
		du, dv = math.Max(-2, math.Min(2, du)), math.Max(-2, math.Min(2, dv))
		u, v = u+du, v+dv
		if math.Abs(du)+math.Abs(dv) < 0.01 {
			break
		}
	}
	return u, v, true
}

// lipFlow is the opening velocity of the mouth per frame: the lower lip's vertical flow
// minus the upper lip's (crop pixels a frame, > 0 opening), between each crop and the
// previous one; NaN where either crop is missing or a region has no texture.
func lipFlow(crops [][]float64) []float64 {
	out := nanSlice(len(crops))
	var prev []float64
	for i, c := range crops {
		if c == nil {
			prev = nil
			continue
		}
		cur := blurCrop(c)
		if prev != nil {
			_, vl, okl := regionFlow(prev, cur, flowLo)
			_, vu, oku := regionFlow(prev, cur, flowUp)
			if okl && oku {
				out[i] = vl - vu
			}
		}
		prev = cur
	}
	return out
}

// lipGap is the lip gap height of a crop from its vertical intensity profile: the mean grey
// level of each row over the middle quarter between the corners, and the summed depth of the
// rows around the corner line (±cropH/4) below the midpoint between the profile's darkest and
// brightest rows there, relative to that half range — in rows (0 when the profile is flat).
// The dark rows are the gap between the lips and the open cavity; a closed mouth leaves only
// the thin dark line where the lips meet (the lips themselves are a little darker than the
// skin, far above the midpoint). Relative to the profile's own range, so the lighting does
// not move it. (Measured on the dev folds against the plain darkness below the skin level,
// which the lips' own colour dominates: docs/liveness.md.)
func lipGap(c []float64) float64 {
	x0, x1 := 3*cropW/8, 5*cropW/8
	prof := make([]float64, cropH)
	for y := 0; y < cropH; y++ {
		var s float64
		for x := x0; x < x1; x++ {
			s += c[y*cropW+x]
		}
		prof[y] = s / float64(x1-x0)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := cropH / 4; y < 3*cropH/4; y++ {
		lo, hi = math.Min(lo, prof[y]), math.Max(hi, prof[y])
	}
	if hi-lo < 4 {
		return 0
	}
	thr := (lo + hi) / 2
	var h float64
	for y := cropH / 4; y < 3*cropH/4; y++ {
		h += math.Max(0, thr-prof[y]) / (thr - lo)
	}
	return h
}
