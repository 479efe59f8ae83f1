package idcard

import "image"

// HasVision reports whether the Reader checks the portrait with a face engine.
func (r *Reader) HasVision() bool { return r.vision != nil }

// photoCandidates orders the places a card may be in a photo: the outline found by colour
// and texture (locate) when the text agrees with it, else the card found from its text
// (locateText) first; then the remaining outlines and the whole photo.
func (r *Reader) photoCandidates(img *image.RGBA) []candidate {
	base := locate(img)
	text, err := r.locateText(img)
	if err != nil || len(text) == 0 {
		return base
	}
	var out []candidate
	used := make([]bool, len(base))
	for _, t := range text {
		agreed := false
		for i, b := range base {
			// A tight crop or scan: the photo itself is the card the text lies on.
			if thr := map[bool]float64{false: 0.55, true: 0.7}[b.Whole]; !used[i] && quadIoU(b.Quad, t.Quad) > thr {
				out = append(out, b)
				used[i], agreed = true, true
				break
			}
		}
		if !agreed {
			out = append(out, t)
		}
	}
	for i, b := range base {
		if !used[i] {
			out = append(out, b)
		}
	}
	return out
}

// quadIoU is the intersection over union of two quads, estimated on a grid over their
// bounding box.
func quadIoU(a, b [4]pt) float64 {
	x0, y0, x1, y1 := a[0].X, a[0].Y, a[0].X, a[0].Y
	for _, p := range append(a[:], b[:]...) {
		x0, y0, x1, y1 = min(x0, p.X), min(y0, p.Y), max(x1, p.X), max(y1, p.Y)
	}
	const n = 48
	inter, union := 0, 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			p := pt{x0 + (x1-x0)*(float64(i)+0.5)/n, y0 + (y1-y0)*(float64(j)+0.5)/n}
			ia, ib := inQuad(a, p), inQuad(b, p)
			if ia && ib {
				inter++
			}
			if ia || ib {
				union++
			}
		}
	}
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// inQuad: p inside the convex quad q (either winding).
func inQuad(q [4]pt, p pt) bool {
	s := 0
	for i := 0; i < 4; i++ {
		a, b := q[i], q[(i+1)%4]
		c := (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
		switch {
		case c > 0:
			s |= 1
		case c < 0:
			s |= 2
		}
	}
	return s != 3
}
