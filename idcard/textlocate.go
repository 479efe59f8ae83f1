package idcard

import (
	"fmt"
	"image"
	"math"
	"os"
	"sort"
)

// This file finds a card in a phone photo from its text (issue 16): PP-OCR's text detector
// runs once on the whole photo shrunk to ≤ textLocateSide px; the detected text lines give the
// card's direction (their common angle) and where it lies (the largest cluster of lines of
// that angle); the card's four edges are then searched on the gradient of the same shrunk
// photo, just outside the text, each as the straight line that runs along most of the side
// (a card edge is long and straight; a portrait, an emblem, a finger are not). Sides whose
// edge is not found (card on a background of its own colour, edge cut by the frame) come
// from the ID-1 layout: the card around its text. The quad is scaled back to the full photo,
// so the rectification reads full-resolution pixels (coarse to fine).

// textLocateSide is the long side of the photo the card's edges are fitted on, and of the
// locating detection (locateSides); a detection at fewer pixels has its lines scaled to it.
const textLocateSide = 960

var debugLocate = os.Getenv("IDCARD_DEBUG_LOCATE") != ""

// textLine is one detected text component in the shrunk photo.
type textLine struct {
	hull        []pt
	long, short float64 // minimum-area rectangle
	angle       float64 // direction of the long side, [0, π)
	cx, cy      float64
}

// locateText returns up to two card candidates found from the text of the photo (the
// largest text clusters), best first; none when the photo shows no text block.
//
// The detection runs at a long side of detSide px; the edges are fitted at ≥ textLocateSide
// (the lines found are scaled there), so a faster detection keeps the quad's precision.
func (r *Reader) locateText(img *image.RGBA, detSide int) ([]candidate, error) {
	W, H := img.Rect.Dx(), img.Rect.Dy()
	if W < 64 || H < 64 {
		return nil, nil
	}
	scaled := func(side int) (int, int) {
		f := math.Min(1, float64(side)/float64(max(W, H)))
		return max(32, int(math.Round(float64(W)*f/32))*32), max(32, int(math.Round(float64(H)*f/32))*32)
	}
	w, h := scaled(max(detSide, textLocateSide))
	s := grayOf(img).resize(w, h).normalize()
	ds, dw, dh := s, w, h
	if detSide < textLocateSide {
		dw, dh = scaled(detSide)
		ds = s.resize(dw, dh)
	}
	// The edges the quads are fitted to do not depend on the detection: computed while it
	// runs (the detector leaves a core idle part of the time).
	gradc := make(chan gradient, 1)
	go func() { gradc <- sobel(s) }()
	_, prob, pw, ph, err := r.pp.detect(ds, max(dw, dh))
	grad := <-gradc
	if err != nil || pw != dw || ph != dh {
		return nil, err
	}
	kx, ky := float64(w)/float64(dw), float64(h)/float64(dh)
	mask := make([]bool, dw*dh)
	for i, v := range prob {
		mask[i] = v > 0.3
	}
	var lines []textLine
	for _, comp := range components(mask, dw, dh) {
		if len(comp) < 8 {
			continue
		}
		score := 0.0
		for _, q := range comp {
			score += float64(prob[int(q.Y)*dw+int(q.X)])
		}
		if score/float64(len(comp)) < 0.5 {
			continue
		}
		hull := convexHull(comp)
		if len(hull) < 3 {
			continue
		}
		for i := range hull { // to the fitting resolution
			hull[i] = pt{hull[i].X * kx, hull[i].Y * ky}
		}
		q, long, short := quadOf(hull)
		// Pixel centres span one pixel less than the kernel: a coarser detection's pixel
		// is k fitting pixels, so its lines measure k − 1 shorter.
		long, short = long+(kx+ky)/2-1, short+(kx+ky)/2-1
		a := math.Atan2(q[1].Y-q[0].Y, q[1].X-q[0].X)
		if a < 0 {
			a += math.Pi
		}
		var cx, cy float64
		for _, p := range comp {
			cx += p.X
			cy += p.Y
		}
		n := float64(len(comp))
		lines = append(lines, textLine{hull: hull, long: long, short: math.Max(short, 1), angle: math.Mod(a, math.Pi), cx: kx * cx / n, cy: ky * cy / n})
	}
	if debugLocate {
		fmt.Fprintf(os.Stderr, "locateText %dx%d lines %d\n", w, h, len(lines))
		for _, l := range lines {
			fmt.Fprintf(os.Stderr, "   line c %.0f,%.0f long %.0f short %.1f ang %.1f\n", l.cx, l.cy, l.long, l.short, l.angle*180/math.Pi)
		}
	}
	sx, sy := float64(W)/float64(w), float64(H)/float64(h)
	var out []candidate
	for i, cl := range textClusters(lines) {
		if i == 4 {
			break
		}
		if debugLocate {
			fmt.Fprintf(os.Stderr, "  cluster theta %.1f u %.0f-%.0f v %.0f-%.0f h %.1f weight %.0f\n", cl.theta*180/math.Pi, cl.u0, cl.u1, cl.v0, cl.v1, cl.hmed, cl.weight)
		}
		q, support, sides, ok := fitCard(cl, grad, w, h)
		if !ok {
			continue
		}
		c := candidate{Text: true, support: support, sides: sides, textCut: clusterTouches(cl, w, h)}
		for k := range q {
			c.Quad[k] = pt{q[k].X * sx, q[k].Y * sy}
		}
		c.Area = polyArea(c.Quad[:]) / float64(W*H)
		c.Touches = quadTouches(c.Quad, W, H)
		out = append(out, c)
	}
	// The card is the text block with the best-supported straight border.
	sort.SliceStable(out, func(i, j int) bool { return out[i].support > out[j].support })
	if len(out) > 2 {
		out = out[:2]
	}
	return out, nil
}

// angDiff is the difference of two directions modulo π, in [0, π/2].
func angDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), math.Pi)
	return math.Min(d, math.Pi-d)
}

// cluster is a group of text lines of one direction theta, in the card frame (u along the
// text, v across).
type cluster struct {
	theta          float64
	u0, u1, v0, v1 float64 // extent of its lines
	hmed           float64 // median line height
	weight         float64 // total length of its lines
}

// textClusters groups elongated lines of similar direction (±10°: perspective) that lie
// near each other (gaps of a few line heights: the rows of a card), largest first.
//
// Rows of a card lie a line or two apart, but the number (front) and the issuer (back) sit
// 4–5 line heights below the rows above them, so long lines stacked over each other are
// joined at up to 5.5 line heights. A group joined so that is taller than a card's text
// block can be (two cards stacked on one page, a card over papers) is grouped again at the
// rows' own spacing.
func textClusters(lines []textLine) []cluster {
	var ls []textLine
	for _, l := range lines {
		if l.long >= 2*l.short {
			ls = append(ls, l)
		}
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].long > ls[j].long })
	if len(ls) > 200 {
		ls = ls[:200]
	}
	var out []cluster
	for _, g := range groupLines(ls, true) {
		c, ok := clusterOf(g)
		if ok && c.v1-c.v0 <= 0.8*(c.u1-c.u0) {
			out = append(out, c)
			continue
		}
		for _, sg := range groupLines(g, false) {
			if c, ok := clusterOf(sg); ok {
				out = append(out, c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].weight > out[j].weight })
	return out
}

// lineHeight: the detector's kernels are shrunk text, the printed line is ~2.2× as tall.
func lineHeight(l textLine) float64 { return 2.2 * l.short }

// lineExtent is a line's extent along (u) and across (v) the direction (ct, st).
func lineExtent(l textLine, ct, st float64) (u0, u1, v0, v1 float64) {
	u0, u1, v0, v1 = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range l.hull {
		u, v := p.X*ct+p.Y*st, -p.X*st+p.Y*ct
		u0, u1, v0, v1 = math.Min(u0, u), math.Max(u1, u), math.Min(v0, v), math.Max(v1, v)
	}
	return
}

// groupLines joins lines of similar direction and height lying near each other (wide: long
// lines stacked over each other may be 5.5 line heights apart, else 3.2).
func groupLines(ls []textLine, wide bool) [][]textLine {
	n := len(ls)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			a, b := ls[i], ls[j]
			if angDiff(a.angle, b.angle) > 10*math.Pi/180 {
				continue
			}
			ha, hb := lineHeight(a), lineHeight(b)
			if math.Max(ha, hb) > 3.2*math.Min(ha, hb) {
				continue
			}
			th := a.angle
			if a.long < b.long {
				th = b.angle
			}
			ct, st := math.Cos(th), math.Sin(th)
			au0, au1, av0, av1 := lineExtent(a, ct, st)
			bu0, bu1, bv0, bv1 := lineExtent(b, ct, st)
			hh := math.Max(ha, hb)
			du := math.Max(0, math.Max(au0, bu0)-math.Min(au1, bu1))
			dv := math.Max(0, math.Max(av0, bv0)-math.Min(av1, bv1))
			dvMax := 3.2 * hh
			if wide && du == 0 && math.Min(a.long, b.long) >= 4*hh {
				dvMax = 5.5 * hh
			}
			if du <= 4*hh && dv <= dvMax {
				parent[find(i)] = find(j)
			}
		}
	}
	groups := map[int][]textLine{}
	var roots []int
	for i := range ls {
		r := find(i)
		if groups[r] == nil {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], ls[i])
	}
	out := make([][]textLine, 0, len(roots))
	for _, r := range roots {
		out = append(out, groups[r])
	}
	return out
}

// clusterOf is the text block of a group of lines; ok = false unless it is one a card can
// hold (several lines, wider than tall).
func clusterOf(g []textLine) (cluster, bool) {
	if len(g) < 2 {
		return cluster{}, false
	}
	var sx, sy float64
	for _, l := range g {
		sx += l.long * math.Cos(2*l.angle)
		sy += l.long * math.Sin(2*l.angle)
	}
	th := math.Atan2(sy, sx) / 2
	if th < 0 {
		th += math.Pi
	}
	ct, st := math.Cos(th), math.Sin(th)
	c := cluster{theta: th, u0: math.Inf(1), u1: math.Inf(-1), v0: math.Inf(1), v1: math.Inf(-1)}
	var hs []float64
	for _, l := range g {
		u0, u1, v0, v1 := lineExtent(l, ct, st)
		pad := 0.6 * l.short // kernels are shrunk: back to the printed extent
		c.u0, c.u1, c.v0, c.v1 = math.Min(c.u0, u0-pad), math.Max(c.u1, u1+pad), math.Min(c.v0, v0-pad), math.Max(c.v1, v1+pad)
		c.weight += l.long
		hs = append(hs, lineHeight(l))
	}
	sort.Float64s(hs)
	c.hmed = hs[len(hs)/2]
	// A card's text block is wider than tall and holds several rows.
	if c.u1-c.u0 < 4*c.hmed || c.v1-c.v0 < 1.5*c.hmed {
		return cluster{}, false
	}
	return c, true
}

// gradient is the Sobel gradient of a plane.
type gradient struct {
	w, h   int
	gx, gy []float32
}

func sobel(g *gray) gradient {
	w, h := g.W, g.H
	out := gradient{w: w, h: h, gx: make([]float32, w*h), gy: make([]float32, w*h)}
	p := func(x, y int) float32 { return float32(g.Pix[y*w+x]) }
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			out.gx[y*w+x] = (p(x+1, y-1) + 2*p(x+1, y) + p(x+1, y+1) - p(x-1, y-1) - 2*p(x-1, y) - p(x-1, y+1)) / 8
			out.gy[y*w+x] = (p(x-1, y+1) + 2*p(x, y+1) + p(x+1, y+1) - p(x-1, y-1) - 2*p(x, y-1) - p(x+1, y-1)) / 8
		}
	}
	return out
}

// edgeLine is a line n·p = d (n a unit normal) in the shrunk photo.
type edgeLine struct{ nx, ny, d float64 }

func intersect(a, b edgeLine) (pt, bool) {
	det := a.nx*b.ny - a.ny*b.nx
	if math.Abs(det) < 1e-9 {
		return pt{}, false
	}
	return pt{(a.d*b.ny - a.ny*b.d) / det, (a.nx*b.d - a.d*b.nx) / det}, true
}

// fitCard turns a text cluster into the card's quad (TL, TR, BR, BL with the text running
// from left to right or right to left — the page reader resolves 180°).
func fitCard(c cluster, gr gradient, w, h int) ([4]pt, float64, int, bool) {
	ct, st := math.Cos(c.theta), math.Sin(c.theta)
	support := 0.0
	sides := 0
	// Layout prior: the text of either side spans ~80 % of the card's width, centred.
	tw := c.u1 - c.u0
	cw := tw / 0.84
	ch := cw / 1.585
	uc, vc := (c.u0+c.u1)/2, (c.v0+c.v1)/2
	if c.v1-c.v0 > 0.85*ch { // tall block (perspective, or text lines missed): grow
		ch = (c.v1 - c.v0) / 0.78
		cw = math.Max(cw, ch*1.4)
	}
	// Sides: 0 top (v = v0 side, normal −v), 1 right (+u), 2 bottom (+v), 3 left (−u). For
	// each, the search runs outward from just outside the text to well past the prior.
	type sideDef struct {
		nu, nv   float64 // outward normal in (u, v)
		in, prio float64 // text boundary and prior position along the normal
		span     float64 // half length of the side
		tu, tv   float64 // tangent
		cu, cv   float64 // centre of the side (u, v) at the prior
	}
	defs := [4]sideDef{
		{0, -1, -c.v0, -(vc - ch/2), cw / 2, 1, 0, uc, vc - ch/2},
		{1, 0, c.u1, uc + cw/2, ch / 2, 0, 1, uc + cw/2, vc},
		{0, 1, c.v1, vc + ch/2, cw / 2, 1, 0, uc, vc + ch/2},
		{-1, 0, -c.u0, -(uc - cw/2), ch / 2, 0, 1, uc - cw/2, vc},
	}
	var ls [4]edgeLine
	for k, sd := range defs {
		// Normal in image coordinates.
		nx, ny := sd.nu*ct-sd.nv*st, sd.nu*st+sd.nv*ct
		tx, ty := sd.tu*ct-sd.tv*st, sd.tu*st+sd.tv*ct
		// Image point of the side's centre at the prior.
		px, py := sd.cu*ct-sd.cv*st, sd.cu*st+sd.cv*ct
		prior := px*nx + py*ny // d of the prior line
		inner := sd.in + 0.4*c.hmed
		// Prior distance beyond the text, and the search range.
		lo := inner
		hi := math.Max(prior, inner) + 0.35*ch
		// Score every offset (best over the angles), then take the innermost strong edge:
		// the card's own border comes before any line of the background.
		nd := int(hi-lo) + 1
		if nd < 1 {
			nd = 1
		}
		scores := make([]float64, nd)
		angles := make([]float64, nd)
		ds := make([]float64, nd)
		for da := -10.0; da <= 10; da += 2 {
			ra := da * math.Pi / 180
			cn, sn := math.Cos(ra), math.Sin(ra)
			nx2, ny2 := nx*cn-ny*sn, nx*sn+ny*cn
			tx2, ty2 := tx*cn-ty*sn, tx*sn+ty*cn
			for i := 0; i < nd; i++ {
				t := lo + float64(i) - prior // offset from the prior side along its normal
				ox, oy := px+t*nx, py+t*ny
				if sc := edgeScore(gr, ox, oy, tx2, ty2, nx2, ny2, sd.span*0.8, w, h); sc > scores[i] {
					scores[i], angles[i], ds[i] = sc, ra, nx2*ox+ny2*oy
				}
			}
		}
		bestS := 0.0
		for _, v := range scores {
			bestS = math.Max(bestS, v)
		}
		d, ra, found := prior, 0.0, false
		if bestS >= 0.35 {
			for i, v := range scores {
				if v >= math.Max(0.35, 0.75*bestS) && (i+1 >= nd || scores[i+1] <= v) {
					d, ra, found = ds[i], angles[i], true
					break
				}
			}
		}
		nx2, ny2 := nx, ny
		if found {
			support += bestS
			sides++
			cn, sn := math.Cos(ra), math.Sin(ra)
			nx2, ny2 = nx*cn-ny*sn, nx*sn+ny*cn
		}
		if debugLocate {
			fmt.Fprintf(os.Stderr, "    side %d inner %.0f prior %.0f hi %.0f best %.2f found %v d %.0f\n", k, inner, prior, hi, bestS, found, d)
		}
		ls[k] = edgeLine{nx2, ny2, d}
	}
	var q [4]pt
	for k := 0; k < 4; k++ { // TL = top∩left, TR = top∩right, BR = bottom∩right, BL = bottom∩left
		a, b := ls[[4]int{0, 0, 2, 2}[k]], ls[[4]int{3, 1, 1, 3}[k]]
		p, ok := intersect(a, b)
		if !ok {
			return q, 0, 0, false
		}
		q[k] = p
	}
	// Sanity: a convex quad of a plausible aspect, not absurdly larger than the prior.
	top, bot := dist(q[0], q[1]), dist(q[3], q[2])
	left, right := dist(q[0], q[3]), dist(q[1], q[2])
	asp := (top + bot) / (left + right)
	if asp < 1.2 || asp > 2.2 || polyArea(q[:]) > 2.5*cw*ch || polyArea(q[:]) < 0.4*cw*ch || !convex(q) {
		for k, cc := range [4][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
			u, v := uc+cc[0]*cw/2, vc+cc[1]*ch/2
			q[k] = pt{u*ct - v*st, u*st + v*ct}
		}
		support /= 2
		sides = 0
	}
	return q, support, sides, true
}

func dist(a, b pt) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func convex(q [4]pt) bool {
	sign := 0.0
	for i := 0; i < 4; i++ {
		a, b, c := q[i], q[(i+1)%4], q[(i+2)%4]
		cr := (b.X-a.X)*(c.Y-b.Y) - (b.Y-a.Y)*(c.X-b.X)
		if cr == 0 {
			return false
		}
		if sign == 0 {
			sign = cr
		} else if cr*sign < 0 {
			return false
		}
	}
	return true
}

// edgeScore is the share of the samples along a segment (centre o, unit tangent t, half
// length span) where the gradient across it is strong and of the segment's dominant sign:
// a straight edge running along most of the side. Samples outside the photo do not count.
func edgeScore(gr gradient, ox, oy, tx, ty, nx, ny, span float64, w, h int) float64 {
	const n = 40
	pos, neg, in := 0, 0, 0
	for i := 0; i < n; i++ {
		s := (float64(i)/(n-1)*2 - 1) * span
		x, y := int(ox+s*tx), int(oy+s*ty)
		if x < 1 || y < 1 || x >= w-1 || y >= h-1 {
			continue
		}
		in++
		j := y*w + x
		g := float64(gr.gx[j])*nx + float64(gr.gy[j])*ny
		// strongest across ±1 px (sampling)
		for _, o := range [2]int{int(math.Round(nx)) + int(math.Round(ny))*w, -int(math.Round(nx)) - int(math.Round(ny))*w} {
			if k := j + o; k >= 0 && k < len(gr.gx) {
				if g2 := float64(gr.gx[k])*nx + float64(gr.gy[k])*ny; math.Abs(g2) > math.Abs(g) {
					g = g2
				}
			}
		}
		switch {
		case g > 6:
			pos++
		case g < -6:
			neg++
		}
	}
	if in < n/2 {
		return 0
	}
	return float64(max(pos, neg)) / float64(in)
}

// quadTouches reports a corner outside (or on) the photo's border.
func quadTouches(q [4]pt, W, H int) bool {
	m := 0.005 * float64(max(W, H))
	for _, p := range q {
		if p.X < m || p.Y < m || p.X > float64(W)-m || p.Y > float64(H)-m {
			return true
		}
	}
	return false
}

// clusterTouches reports text of the cluster within half a line of the photo's border: the
// card's content runs out of the frame.
func clusterTouches(c cluster, w, h int) bool {
	ct, st := math.Cos(c.theta), math.Sin(c.theta)
	m := 0.5 * c.hmed
	for _, uv := range [4][2]float64{{c.u0, c.v0}, {c.u1, c.v0}, {c.u1, c.v1}, {c.u0, c.v1}} {
		x, y := uv[0]*ct-uv[1]*st, uv[0]*st+uv[1]*ct
		if x < m || y < m || x > float64(w)-m || y > float64(h)-m {
			return true
		}
	}
	return false
}
