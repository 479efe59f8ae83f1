package idcard

import (
	"fmt"
	"math"
	"os"
	"strings"
)

// This file refits a photographed card's quad from the text read on its page (issue 16).
// A quad found from the photo's text (textlocate.go) grows over text around the card —
// printed papers, keyboard keys — or falls short of it, and the page then holds foreign
// lines (paper text read into the issuer or the address) or loses the card's edge. The
// printed labels and the number of a side stand at fixed places of the card (GA 450); read
// on the page they give, by a least-squares affine fit, where the card really lies in the
// page, hence in the photo. The page is then read again from that quad.

// anchor is a printed text of a side at a known place of the canonical 900×568 card, as the
// page detector boxes it (measured on rendered cards): the box's left edge, its right edge
// when the text is read alone (x1 > 0), and its vertical centre.
type anchor struct {
	text   string
	x0, x1 float64
	cy     float64
}

var (
	frontAnchors = []anchor{
		{"姓名", 65, 139, 128}, {"性别", 65, 141, 190}, {"民族", 289, 0, 188},
		{"出生", 65, 138, 253}, {"住址", 66, 138, 315}, {"公民身份号码", 69, 228, 481},
	}
	backAnchors = []anchor{
		{"中华人民共和国", 326, 670, 109}, {"居民身份证", 303, 658, 214},
		{"签发机关", 192, 303, 418}, {"有效期限", 193, 302, 488},
	}
	// numberAnchor: the 18 characters of the citizen number.
	numberAnchor = anchor{"", 296, 792, 477}
)

// labelAt reports whether t starts with the label lab (one character may be misread in a
// label of four or more) and whether t is the label alone.
func labelAt(t, lab string) (start, alone bool) {
	rs, ls := []rune(compact(t)), []rune(lab)
	if len(rs) < len(ls) {
		return false, false
	}
	bad := 0
	for i, c := range ls {
		if rs[i] != c {
			bad++
		}
	}
	allowed := 0
	if len(ls) >= 4 {
		allowed = 1
	}
	if len(ls) >= 7 {
		allowed = 2
	}
	if bad > allowed {
		return false, false
	}
	return true, len(rs) == len(ls)
}

// sighting is an anchor seen on a page: the box's left edge x0 (and right edge x1 when the
// anchor's end is known, u1 > 0) and its vertical centre cy, at the horizontal middle xm of
// the box (boxes are axis-aligned: on a page that leans, cy is the text's height there).
type sighting struct {
	u0, u1, v  float64 // on the canonical card
	x0, x1, cy float64 // on the page
	xm         float64
}

// anchorPoints finds the side's anchors among the lines of page p.
func anchorPoints(p *page, side Side) []sighting {
	var out []sighting
	anchors := frontAnchors
	if side == Back {
		anchors = backAnchors
	}
	used := map[string]bool{}
	for _, l := range p.lines {
		s := sighting{x0: float64(l.X0), x1: float64(l.X1), cy: float64(l.Y0+l.Y1) / 2, xm: float64(l.X0+l.X1) / 2}
		for _, a := range anchors {
			if used[a.text] {
				continue
			}
			if start, alone := labelAt(l.Text, a.text); start {
				used[a.text] = true
				s.u0, s.v = a.x0, a.cy
				if alone {
					s.u1 = a.x1
				}
				out = append(out, s)
				break
			}
		}
		if side == Front && !used["number"] {
			t := compact(l.Text)
			run := runOfDigits(t)
			if len(run) != 18 || ValidateNumber(run) != nil || !strings.HasPrefix(t, run) {
				continue
			}
			used["number"] = true
			s.u0, s.v = numberAnchor.x0, numberAnchor.cy
			if t == run {
				s.u1 = numberAnchor.x1
			}
			out = append(out, s)
		}
	}
	return out
}

// affine maps canonical card points into the page: x = a0 u + a1 v + a2, y = a3 u + a4 v + a5.
type affine [6]float64

func (a affine) apply(u, v float64) pt { return pt{a[0]*u + a[1]*v + a[2], a[3]*u + a[4]*v + a[5]} }

// fitAffine is the least-squares affine map of the sightings: x from the boxes' edges, then
// y from their centres at the canonical places of their middles. Sightings off it by more
// than tol of the card's width in the page are dropped, worst first. ok = false when fewer
// than 3 remain or they do not span the card in both directions.
func fitAffine(ss []sighting, tol float64) (affine, bool) {
	ss = append([]sighting{}, ss...)
	for len(ss) >= 3 {
		u0, u1, v0, v1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, s := range ss {
			u0, u1, v0, v1 = math.Min(u0, s.u0), math.Max(u1, math.Max(s.u0, s.u1)), math.Min(v0, s.v), math.Max(v1, s.v)
		}
		if u1-u0 < 200 || v1-v0 < 150 {
			return affine{}, false
		}
		var mx, my [3][3]float64
		var bx, by [3]float64
		acc := func(m *[3][3]float64, b *[3]float64, row [3]float64, t float64) {
			for j := 0; j < 3; j++ {
				for k := 0; k < 3; k++ {
					m[j][k] += row[j] * row[k]
				}
				b[j] += row[j] * t
			}
		}
		for _, s := range ss {
			acc(&mx, &bx, [3]float64{s.u0, s.v, 1}, s.x0)
			if s.u1 > 0 {
				acc(&mx, &bx, [3]float64{s.u1, s.v, 1}, s.x1)
			}
		}
		sx, ok := solve3(mx, bx)
		if !ok || math.Abs(sx[0]) < 1e-3 {
			return affine{}, false
		}
		um := func(s sighting) float64 { return (s.xm - sx[1]*s.v - sx[2]) / sx[0] }
		for _, s := range ss {
			acc(&my, &by, [3]float64{um(s), s.v, 1}, s.cy)
		}
		sy, ok := solve3(my, by)
		if !ok {
			return affine{}, false
		}
		a := affine{sx[0], sx[1], sx[2], sy[0], sy[1], sy[2]}
		worst, wi := 0.0, -1
		for i, s := range ss {
			d := math.Abs(a.apply(s.u0, s.v).X - s.x0)
			if s.u1 > 0 {
				d = math.Max(d, math.Abs(a.apply(s.u1, s.v).X-s.x1))
			}
			d = math.Max(d, math.Abs(a.apply(um(s), s.v).Y-s.cy))
			if d > worst {
				worst, wi = d, i
			}
		}
		width := math.Hypot(a[0], a[3]) * CardW
		if worst <= tol*width {
			return a, true
		}
		ss = append(ss[:wi], ss[wi+1:]...)
	}
	return affine{}, false
}

// solve3 solves m x = b (Cramer's rule).
func solve3(m [3][3]float64, b [3]float64) ([3]float64, bool) {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(m)
	if math.Abs(d) < 1e-9 {
		return [3]float64{}, false
	}
	var x [3]float64
	for k := 0; k < 3; k++ {
		mk := m
		for j := 0; j < 3; j++ {
			mk[j][k] = b[j]
		}
		x[k] = det(mk) / d
	}
	return x, true
}

// refitMinShift: a page whose card, as its anchors place it, lies within this share of the
// card's width of the page frame is read as it is.
const refitMinShift = 0.03

// refitOutlineShift is refitMinShift for a quad from the outline locator.
const refitOutlineShift = 0.15

// refitQuad is the card's quad in the photo as the anchors read on page p place it; ok =
// false when the anchors do not place it, or place it where the page already is. A page of
// the whole photo (a tight crop or scan: the photo is the card) is not refit.
func refitQuad(p *page, side Side) ([4]pt, bool) {
	if p.v.cand.Whole {
		return [4]pt{}, false
	}
	return refitQuadIn(p, side)
}

// refitQuadIn is refitQuad for a page of any candidate, the whole photo's included.
func refitQuadIn(p *page, side Side) ([4]pt, bool) {
	var q [4]pt
	// An outline is the card's own edge (or a region grown far over papers): it is refit only
	// when the anchors place the card well away from it — a card of another layout (the
	// contest's copies, whose labels sit a few per cent elsewhere) is left where it is.
	minShift := refitMinShift
	if !p.v.cand.Text {
		minShift = refitOutlineShift
	}
	ss := anchorPoints(p, side)
	a, ok := fitAffine(ss, 0.03)
	if debugLocate {
		fmt.Fprintf(os.Stderr, "anchors %v: fit %v\n", ss, ok)
	}
	if !ok {
		return q, false
	}
	// A card, not a shear: both axes scaled alike, roughly square to each other.
	su, sv := math.Hypot(a[0], a[3]), math.Hypot(a[1], a[4])
	if su < 0.3 || su > 1.25 || sv/su < 0.7 || sv/su > 1.4 || math.Abs(a[0]*a[1]+a[3]*a[4])/(su*sv) > 0.5 {
		return q, false
	}
	shift := 0.0
	hm := homography(p.v.cand.Quad, CardW, CardH)
	for k, c := range [4][2]float64{{0, 0}, {CardW, 0}, {CardW, CardH}, {0, CardH}} {
		e := a.apply(c[0], c[1])
		shift = math.Max(shift, math.Hypot(e.X-c[0], e.Y-c[1]))
		d := hm[6]*e.X + hm[7]*e.Y + hm[8]
		q[k] = pt{(hm[0]*e.X + hm[1]*e.Y + hm[2]) / d, (hm[3]*e.X + hm[4]*e.Y + hm[5]) / d}
	}
	if debugLocate {
		fmt.Fprintf(os.Stderr, "refit %d anchors, affine %.3f, shift %.0f px → quad %v\n", len(ss), a, shift, q)
	}
	if shift < minShift*CardW || !convex(q) {
		return q, false
	}
	return q, true
}

// refitPage reads the card again from the quad fit (refitQuad, or refitQuadIn to refit a
// page of the whole photo too) gives from its page's anchors (up to twice: an affine fit
// inside a page of a loose quad leaves some perspective); nil when the page is where the
// anchors say or they do not place the card.
func (r *Reader) refitPage(fit func(*page, Side) ([4]pt, bool), p *page, side Side, src viewSource) (*page, error) {
	var out *page
	for it := 0; it < 2; it++ {
		q, ok := fit(p, side)
		if !ok {
			break
		}
		c := p.v.cand
		c.Quad, c.Text, c.Whole, c.sides, c.textCut, c.fitted = q, true, false, 4, false, true
		W, H := src.img.Rect.Dx(), src.img.Rect.Dy()
		c.Touches = quadTouches(q, W, H)
		c.Area = polyArea(q[:]) / float64(W*H)
		np, err := r.readPageAs(c, src, side, false)
		if err != nil {
			return nil, err
		}
		out, p = np, np
	}
	return out, nil
}
