package idcard

import (
	"fmt"
	"image"
	"math"
	"os"
	"regexp"

	"github.com/faceverify/faceverify"
)

// HasVision reports whether the Reader checks the portrait with a face engine.
func (r *Reader) HasVision() bool { return r.vision != nil }

// photoCandidates orders the places a card may be in a photo: the outline found by colour
// and texture (locate) when the text agrees with it, else the card found from its text
// (locateText) first; then the remaining outlines and the whole photo.
func (r *Reader) photoCandidates(img *image.RGBA) []candidate {
	return r.photoCandidatesFrom(img, locate(img), textLocateSide)
}

// photoCandidatesFrom is photoCandidates with the outlines (locate) already found and the
// locating detection at detSide px.
func (r *Reader) photoCandidatesFrom(img *image.RGBA, base []candidate, detSide int) []candidate {
	text, err := r.locateText(img, detSide)
	if err != nil || len(text) == 0 {
		return base
	}
	var out []candidate
	used := make([]bool, len(base))
	for _, t := range text {
		agreed := false
		for i, b := range base {
			// A tight crop or scan: the photo itself is the card the text lies on.
			iou := quadIoU(b.Quad, t.Quad)
			if thr := map[bool]float64{false: 0.55, true: 0.7}[b.Whole]; !used[i] && iou > thr {
				out = append(out, b)
				used[i], agreed = true, true
				if iou < 0.9 && !b.Whole { // the two disagree somewhat: the text's quad next
					out = append(out, t)
				}
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

// Retake reasons (Outcome.Retake): why a photographed side is refused with the side's
// documented 3100 result (IDCARD_PHOTO_FRONTSIDE / IDCARD_BACKSIDE_BLURRED) so that the page
// asks for another photo.
const (
	RetakeCut   = "cut"   // part of the card's content lies outside the photo (completeness 2)
	RetakeSmall = "small" // the card is too small in the photo to be read reliably
	RetakeBlur  = "blur"  // the card is too blurred
	RetakeGlare = "glare" // glare washes out the number (front) or the validity (back)
)

// completenessOf grades where the card lies in a photo of size W×H from its corners: 0 all
// four corners inside, 1 a corner outside but the content (text and portrait zones) inside,
// 2 content outside. ok = false when the candidate's corners are not known well enough
// (outlines clipped at the photo border: the caller's field-based grade stands).
//
// numberReach: the front's number was read whole, and its reach (measurePhoto) judges the
// card's right side.
func completenessOf(c candidate, W, H int, numberReach bool) (grade int, ok bool) {
	if !c.Text && !c.Whole && c.Touches {
		return 0, false
	}
	// Corners found from edges are good to ~1–2 % of the frame: a margin keeps a card
	// lying near the border from being called cut.
	m := 0.02 * float64(max(W, H))
	inside := func(p pt) bool {
		return p.X >= -m && p.Y >= -m && p.X <= float64(W)+m && p.Y <= float64(H)+m
	}
	all := true
	for _, p := range c.Quad {
		all = all && inside(p)
	}
	if all {
		return 0, true
	}
	if c.Text && c.textCut {
		return 2, true
	}
	hm := homography(c.Quad, CardW, CardH)
	for _, uv := range [][2]float64{{0.08, 0.12}, {0.94, 0.12}, {0.94, 0.9}, {0.08, 0.9}} {
		// A quad placed by the anchors' fit (refit.go) is an affine map of the labels and
		// number read in the card's left part: its right corners are extrapolated (under
		// perspective they miss by 10 % of the card), not seen; the number's reach judges
		// that side when a front's number was read whole (a card cut at its right is not;
		// a back has no such reach and is graded on all four).
		if c.fitted && numberReach && uv[0] > 0.5 {
			continue
		}
		u, v := uv[0]*CardW, uv[1]*CardH
		d := hm[6]*u + hm[7]*v + hm[8]
		// Only corners of edges actually seen are trusted this far. The content's corners
		// lie 6–12 % of the card inside its own, more than a corner's error: they are
		// graded without the corners' slack (a card cut 12 % at the bottom shows its
		// number, but not the content zone's last row, within that slack of the border).
		q := pt{(hm[0]*u + hm[1]*v + hm[2]) / d, (hm[3]*u + hm[4]*v + hm[5]) / d}
		if (q.X < 0 || q.Y < 0 || q.X > float64(W) || q.Y > float64(H)) && (!c.Text || c.sides == 4) {
			return 2, true
		}
	}
	return 1, true
}

// measurePhoto measures how the card read from page p lies in its W×H photo (the retake
// rules of verdict.go decide from it). numLine/number: the front's number line as read; its
// printed position (it starts a third into the card and spans ~58 % of its width) anchors
// the card's extent and size when the quad is loose — a card cut through its labels still
// shows its whole number, and a small card's quad grown over background text does not
// change the number's length.
func measurePhoto(p *page, side Side, numLine *tline, number string, W, H int) PhotoMeasures {
	c := p.v.cand
	pm := PhotoMeasures{Known: true}
	reach := numLine != nil && len(number) >= 17 && !c.Whole
	pm.Completeness, pm.CompletenessKnown = completenessOf(c, W, H, reach)
	if debugLocate {
		fmt.Fprintf(os.Stderr, "completenessOf %d %v quad %v\n", pm.Completeness, pm.CompletenessKnown, c.Quad)
	}
	pm.CardWidth = math.Max(dist(c.Quad[0], c.Quad[1]), dist(c.Quad[3], c.Quad[2]))
	z := zoneNumber
	if side == Back {
		z = zoneValidity
	}
	pm.Sharpness, pm.Glare = sharpness(p.g), glareShare(p.v.g, z)
	if reach {
		hm := homography(c.Quad, float64(p.g.W), float64(p.g.H))
		toPhoto := func(u, v float64) pt {
			d := hm[6]*u + hm[7]*v + hm[8]
			return pt{(hm[0]*u + hm[1]*v + hm[2]) / d, (hm[3]*u + hm[4]*v + hm[5]) / d}
		}
		y := float64(numLine.Y0+numLine.Y1) / 2
		x0, x1 := float64(numLine.X0), float64(numLine.X1)
		if l := dist(toPhoto(x0, y), toPhoto(x1, y)); l > 0 {
			pm.CardWidth = math.Min(pm.CardWidth, l/0.58)
		}
		// Conservative reach of the card beyond the number: its left edge at least 0.5 of
		// the number's length before it (printed: 0.57), its right edge 0.05 after (0.16).
		// Along the text the number decides: cut when the card's reach beyond it is outside
		// the photo. A quad partly placed by the layout (an edge not seen) is loose: its
		// text reaching the border near a corner is not a cut when the number and the rows
		// above it were read.
		if pm.Completeness == 2 && c.Text && c.sides < 4 {
			pm.Completeness = 1
		}
		// Below the number the card runs on 0.18 of the number's length (its centre line at
		// 0.84 of the card's height): at least 0.11 of it must be inside the photo (a card
		// cut 12 % at the bottom shows its number whole, 0.05 of its length above the
		// border). Measured in the photo from the number itself (the page's own scale is
		// the quad's, loose when an outline ran into a hand), with no corner slack.
		m := 0.02 * float64(max(W, H))
		a, b := toPhoto(x0, y), toPhoto(x1, y)
		mid, down := toPhoto((x0+x1)/2, y), toPhoto((x0+x1)/2, y+1)
		dl := dist(mid, down)
		below := pt{X: mid.X, Y: mid.Y}
		if dl > 0 {
			k := 0.11 * dist(a, b) / dl
			below = pt{mid.X + k*(down.X-mid.X), mid.Y + k*(down.Y-mid.Y)}
		}
		// The reaches along the text are measured in the photo too, along the number as read:
		// through a loose quad the page's x scale stretches (an outline run into a hand
		// holding the card) and a whole card reads as cut at its left.
		left := pt{a.X + 0.5*(a.X-b.X), a.Y + 0.5*(a.Y-b.Y)}
		right := pt{b.X + 0.05*(b.X-a.X), b.Y + 0.05*(b.Y-a.Y)}
		// The labels are the content's left edge: with those of the left column read whole
		// on the page, what lies left of them is the card's blank margin, and the reach
		// extrapolated from the number (in the photo, blind to perspective: a card tilted
		// 16° filling the frame reaches 2 % past the border by it) does not decide.
		leftSeen := leftLabelsRead(p) >= minLeftLabels
		for i, q := range []pt{left, right, below} {
			if debugLocate {
				fmt.Fprintf(os.Stderr, "number anchor %d → %v (left labels seen %v)\n", i, q, leftSeen)
			}
			if i == 0 && leftSeen {
				continue
			}
			if m := map[bool]float64{true: m, false: 0}[i < 2]; q.X < -m || q.Y < -m || q.X > float64(W)+m || q.Y > float64(H)+m {
				pm.Completeness, pm.CompletenessKnown = 2, true
			}
		}
	}
	if debugLocate {
		fmt.Fprintf(os.Stderr, "photo %+v\n", pm)
	}
	return pm
}

// minLeftLabels of the front's five left-column labels (姓名 性别 出生 住址 公民身份号码) read
// whole show the card's left edge inside the photo.
const minLeftLabels = 3

// leftLabelsRead counts the front's left-column labels that start a line of page p (the
// anchors of the quad refit, refit.go, whose canonical left edge is the card's label column).
func leftLabelsRead(p *page) int {
	n := 0
	for _, s := range anchorPoints(p, Front) {
		if s.u0 < 100 { // 民族 and the number stand mid-card
			n++
		}
	}
	return n
}

// sharpness is the mean absolute Laplacian over the card's text zone (left 60 %, rows
// 15–95 %) of the normalised card: sharp print ≈ 6–15, a card blurred beyond reading < 2.
func sharpness(g *gray) float64 {
	x0, x1 := g.W*5/100, g.W*60/100
	y0, y1 := g.H*15/100, g.H*95/100
	s, n := 0.0, 0
	for y := max(1, y0); y < min(g.H-1, y1); y++ {
		for x := max(1, x0); x < min(g.W-1, x1); x++ {
			i := y*g.W + x
			l := 4*int(g.Pix[i]) - int(g.Pix[i-1]) - int(g.Pix[i+1]) - int(g.Pix[i-g.W]) - int(g.Pix[i+g.W])
			if l < 0 {
				l = -l
			}
			s += float64(l)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// glareShare is the share of saturated pixels (≥ 250, before normalisation) in zone z.
func glareShare(g *gray, z [4]float64) float64 {
	c := zone(g, z)
	n := 0
	for _, v := range c.Pix {
		if v >= 250 {
			n++
		}
	}
	if len(c.Pix) == 0 {
		return 0
	}
	return float64(n) / float64(len(c.Pix))
}

// notSide is the outcome when no candidate showed the requested side: the side's
// NOT_FRONTSIDE / NOT_BACKSIDE, unless the photo's text shows a card too small to read
// (then the side's retake result, reason small).
func notSide(side Side, cands []candidate) *Outcome {
	for _, c := range cands {
		if !c.Text {
			continue
		}
		w := math.Max(dist(c.Quad[0], c.Quad[1]), dist(c.Quad[3], c.Quad[2]))
		if debugLocate {
			fmt.Fprintf(os.Stderr, "notSide: first text candidate width %.0f support %.1f quad %v\n", w, c.support, c.Quad)
		}
		if w < minCardWidth && c.support >= 2 {
			if side == Back {
				return &Outcome{Result: faceverify.ResultIDCardBacksideBlurred, Retake: RetakeSmall}
			}
			return &Outcome{Result: faceverify.ResultIDCardFrontside, Retake: RetakeSmall}
		}
		break
	}
	if side == Back {
		return &Outcome{Result: faceverify.ResultIDCardNotBackside}
	}
	return &Outcome{Result: faceverify.ResultIDCardNotFrontside}
}

// reDateTail is the end of the birth row (…年M月D日) read into the first address row when a
// tilted photo's rows lean into each other.
var reDateTail = regexp.MustCompile(`^[0-9]{0,4}年?[0-9]{1,2}月[0-9]{1,2}日`)

// labelRemnant drops what is left of the 住址 label at the start of an address row: the
// label read with its first character wrong (在址, 往址) or the birth row's date tail.
func labelRemnant(t string) string {
	t = reDateTail.ReplaceAllString(t, "")
	if r := []rune(t); len(r) > 2 && r[1] == '址' && r[0] != '址' {
		return string(r[2:])
	}
	return t
}
