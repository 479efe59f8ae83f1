package idcard

import (
	"context"
	"fmt"
	"image"
	"iter"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/vision"
)

// This file is the PP-OCR reading path: one DB text detection per candidate card, the text
// direction classifier on the widest lines to turn the card upright, CTC recognition of every
// line, then fields assigned by content and position (GA 450 layout).

// tline is one detected and recognised text box of an upright card (card pixels).
type tline struct {
	box
	Text string
	rec  recResult
}

// page is the text of one candidate card, upright.
type page struct {
	v     view
	g     *gray // normalised luminance of v.rgba
	lines []tline
	boxes []box // the detected text boxes (page pixels, upright)
	// mixed: the direction classifier's lines disagreed confidently (a card upside down
	// among upright papers): the other orientation is worth reading when this one fails.
	mixed bool
}

// detMaxSide is the long side of the detector input for a rectified card (900×568 → 736×448).
const detMaxSide = 736

// readPage detects and recognises the text of a candidate card, turning it upright.
func (r *Reader) readPage(c candidate, img viewSource, side Side) (*page, error) {
	return r.readPageAs(c, img, side, true)
}

// readPageAs is readPage; with orient = false the candidate is known to be upright (its quad
// was refit from text read upright) and the direction classifier is not run.
func (r *Reader) readPageAs(c candidate, img viewSource, side Side, orient bool) (*page, error) {
	v := img.view(c)
	g := v.g.normalize()
	// A card smaller than the canonical size in the photo was blown up by the warp: sharpen
	// (the detector misses blurred bold strokes otherwise).
	if sc := math.Hypot(c.Quad[1].X-c.Quad[0].X, c.Quad[1].Y-c.Quad[0].Y) / CardW; sc < 0.6 {
		g = g.unsharp(3, 1.5)
	} else if sc < 0.8 {
		g = g.unsharp(2, 1)
	}
	boxes, _, _, _, err := r.pp.detect(g, detMaxSide)
	if err != nil {
		return nil, err
	}
	// Orientation: the direction classifier on the widest boxes, weighted by width.
	idx := make([]int, len(boxes))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		return boxes[idx[a]].X1-boxes[idx[a]].X0 > boxes[idx[b]].X1-boxes[idx[b]].X0
	})
	var up, wsum float64
	var ps []float64
	for _, i := range idx[:min(6, len(idx))] {
		if !orient {
			break
		}
		b := boxes[i]
		if b.X1-b.X0 < 2*(b.Y1-b.Y0) {
			continue
		}
		p, err := r.pp.upsideDown(g.sub(b))
		if err != nil {
			return nil, err
		}
		w := float64(b.X1 - b.X0)
		up += w * p
		wsum += w
		ps = append(ps, p)
	}
	flip := wsum > 0 && up/wsum > 0.5
	if debugLocate {
		fmt.Fprintf(os.Stderr, "orientation votes %.2f → flip %v\n", ps, flip)
	}
	mixed := false
	for _, p := range ps {
		mixed = mixed || flip && p < 0.4 || !flip && p > 0.6
	}
	if flip {
		v, g, boxes = turnPage(v, g, boxes)
	}
	return r.recognizePage(v, g, boxes, side, mixed)
}

// turnPage turns a page and its boxes by 180°. The quad turns with the page: page pixels
// keep mapping to the photo through it.
func turnPage(v view, g *gray, boxes []box) (view, *gray, []box) {
	c := v.cand
	c.Quad = [4]pt{c.Quad[2], c.Quad[3], c.Quad[0], c.Quad[1]}
	v = view{cand: c, rgba: rotate180(v.rgba)}
	v.g = grayOf(v.rgba)
	g = g.rotate180()
	out := make([]box, len(boxes))
	for i, b := range boxes {
		out[i] = box{X0: g.W - b.X1, Y0: g.H - b.Y1, X1: g.W - b.X0, Y1: g.H - b.Y0, Score: b.Score}
	}
	sortBoxes(out)
	return v, g, out
}

// flipped reads page p turned by 180° (the direction classifier was outvoted by text
// around the card), from the boxes already detected.
func (r *Reader) flipped(p *page, side Side) (*page, error) {
	v, g, boxes := turnPage(p.v, p.g, p.boxes)
	return r.recognizePage(v, g, boxes, side, false)
}

// recognizePage reads every box of an upright page (but those no field of the side is read
// from).
func (r *Reader) recognizePage(v view, g *gray, boxes []box, side Side, mixed bool) (*page, error) {
	p := &page{v: v, g: g, boxes: boxes, mixed: mixed}
	var read []box
	var imgs []*gray
	for _, b := range boxes {
		if !unread(b, side, g.W, g.H) {
			read = append(read, b)
			imgs = append(imgs, g.sub(b))
		}
	}
	results, err := r.pp.recognizeAll(imgs)
	if err != nil {
		return nil, err
	}
	for i, b := range read {
		res := results[i]
		if res.Text == "" {
			continue
		}
		p.lines = append(p.lines, tline{box: b, Text: res.Text, rec: res})
		if r.trace != nil {
			fmt.Fprintf(r.trace, "line %4d,%-4d %4d,%-4d %q", b.X0, b.Y0, b.X1, b.Y1, res.Text)
			for _, c := range res.Chars {
				if c.P < 0.9 {
					fmt.Fprintf(r.trace, " %c=%.2f(%c %.2f)", c.R, c.P, c.Alt, c.AltP)
				}
			}
			fmt.Fprintln(r.trace)
		}
	}
	return p, nil
}

// viewSource rectifies candidates of one decoded photo on demand.
type viewSource struct{ img *image.RGBA }

func (s viewSource) view(c candidate) view {
	q := c.Quad
	if c.Whole && s.img.Rect.Dy() > s.img.Rect.Dx() { // portrait photo of a card: turn it
		q = [4]pt{q[3], q[0], q[1], q[2]}
	}
	card := warp(s.img, q, CardW, CardH)
	return view{cand: c, rgba: card, g: grayOf(card)}
}

func sortBoxes(out []box) {
	sort.Slice(out, func(i, j int) bool {
		if math.Abs(float64(out[i].Y0+out[i].Y1-out[j].Y0-out[j].Y1)) > float64(min(out[i].Y1-out[i].Y0, out[j].Y1-out[j].Y0))/2 {
			return out[i].Y0+out[i].Y1 < out[j].Y0+out[j].Y1
		}
		return out[i].X0 < out[j].X0
	})
}

func (g *gray) rotate180() *gray {
	out := &gray{W: g.W, H: g.H, Pix: make([]uint8, len(g.Pix))}
	for i, v := range g.Pix {
		out.Pix[len(g.Pix)-1-i] = v
	}
	return out
}

// noise printed on the contest cards and copies (watermarks, stamps): removed from values.
// The large 禁止复印 stamp of the raw contest pages is set in two columns (禁止 right, 复印
// left), so it is detected as two rows reading 复禁 and 印止.
var noisePhrases = []string{"仅限BDCI比赛使用", "复印无效", "禁止复印", "仅限", "比赛使用", "BDCI", "复禁", "印止"}

// stampChars are the characters of the stamps; a box made only of them (≥2) is a stamp.
const stampChars = "复印无效禁止"

func isNoise(t string) bool {
	for _, n := range noisePhrases[:3] {
		if t == n || len([]rune(t)) >= 3 && strings.Contains(n, t) {
			return true
		}
	}
	if n := len([]rune(t)); n >= 2 && strings.Trim(t, stampChars) == "" {
		return true
	}
	return strings.Contains(t, "BDCI") || strings.Contains(t, "比赛")
}

func stripNoise(t string) string {
	for _, n := range noisePhrases {
		t = strings.ReplaceAll(t, n, "")
	}
	return t
}

var digitsX = "0123456789X"

// pageNumber finds the citizen number line (in the lower part of the card: the line with the
// most digits, or the 公民身份号码 label) and re-reads it constrained to digits and X. Boxes on
// that row of a similar height are joined (a stamp over the number splits it into pieces);
// when fewer than 17 characters come out, the strip is extended to the right (the end of
// the number under a stamp).
func (r *Reader) pageNumber(p *page) (string, *tline, error) {
	anchor, nd := -1, 0
	for i, l := range p.lines {
		if float64(l.Y0+l.Y1)/2 < 0.55*float64(p.g.H) {
			continue
		}
		t := compact(l.Text)
		if reDotDate.MatchString(t) || strings.Contains(t, "有效") || strings.Contains(t, "期限") || strings.Contains(t, "长期") {
			continue // the back's validity dates
		}
		d := len(digitsOf(t))
		if d >= 6 && d > nd || nd == 0 && anchor < 0 && (strings.Contains(t, "号码") || strings.Contains(t, "身份号")) {
			anchor, nd = i, d
		}
	}
	if anchor < 0 {
		return "", nil, nil
	}
	al := p.lines[anchor]
	ah := al.Y1 - al.Y0
	u := al.box
	for _, l := range p.lines {
		if sameRow(l.box, al.box) && l.Y1-l.Y0 <= ah*8/5 && !isNoise(l.Text) {
			u.X0, u.Y0, u.X1, u.Y1 = min(u.X0, l.X0), min(u.Y0, l.Y0), max(u.X1, l.X1), max(u.Y1, l.Y1)
		}
	}
	// The number's own box ends the row (no stamp split it): its read on the page, decoded
	// again restricted to 0-9X from its first digit on, is the constrained read without
	// another run. Taken when it validates; otherwise the row is read again as one strip.
	if al.X1 == u.X1 {
		for _, c := range al.rec.Chars {
			if c.R < '0' || c.R > '9' {
				continue
			}
			con := r.pp.redecode(al.rec, r.ppDigits, c.Step-3)
			if n := bestNumber([]string{con.Text, runOfDigits(al.Text)}); ValidateNumber(n) == nil {
				// Half the row's height before the first digit, as the strip read places it.
				x0 := clampI(stepX(al.box, c.Step, (u.Y1-u.Y0)/2), u.X0, (u.X0+u.X1)/2)
				return n, &tline{box: box{X0: x0, Y0: u.Y0, X1: u.X1, Y1: u.Y1}, Text: con.Text, rec: con}, nil
			}
			break
		}
	}
	strip := p.g.sub(u)
	free, err := r.pp.recognize(strip, nil)
	if err != nil {
		return "", nil, err
	}
	// Start the constrained read at the first digit (the label 公民身份号码 precedes it).
	x0 := -1
	for _, c := range free.Chars {
		if c.R >= '0' && c.R <= '9' {
			x0 = stepX(u, c.Step, strip.H/2)
			break
		}
	}
	if x0 < 0 {
		return "", nil, nil
	}
	x0 = clampI(x0, u.X0, (u.X0+u.X1)/2)
	read := func(x1 int) (recResult, error) {
		return r.pp.recognize(p.g.sub(box{X0: x0, Y0: u.Y0, X1: x1, Y1: u.Y1}), r.ppDigits)
	}
	con, err := read(u.X1)
	if err != nil {
		return "", nil, err
	}
	reads := []string{con.Text, runOfDigits(free.Text)}
	x1 := u.X1
	if n := len(con.Text); n >= 8 && n < 17 {
		cw := float64(u.X1-x0) / float64(n)
		x1 = min(p.g.W*98/100, u.X1+int(cw*float64(18-n)+cw/2))
		ext, err := read(x1)
		if err != nil {
			return "", nil, err
		}
		reads = append([]string{ext.Text}, reads...)
	}
	out := &tline{box: box{X0: x0, Y0: u.Y0, X1: x1, Y1: u.Y1}, Text: con.Text, rec: con}
	return bestNumber(reads), out, nil
}

// stepX is where, in a line box b read by recognize, time step t lies less back px (a step
// is 8 px of the 48-px-high input).
func stepX(b box, t, back int) int {
	return b.X0 + int(float64(t)*8*float64(b.Y1-b.Y0)/48) - back
}

// strayMark: a box holding one Latin letter, digit or punctuation mark alone. No front
// value is printed so (a number inside an address is read with its 号/路 in one box); on a
// photo it is a key of a keyboard, a letter of the background or a speck inside a loose
// quad (新街口M街道), or a speck read as "." between 姓名 and the name — alone in its row it
// had taken the name row's place above the gender row, and the name was read empty.
func strayMark(t string) bool {
	r := []rune(compact(t))
	return len(r) == 1 && r[0] < 128 && (unicode.IsLetter(r[0]) || unicode.IsDigit(r[0]) || unicode.IsPunct(r[0]))
}

// nearestInRow is the box of a row horizontally nearest to b: on a leaning page a row's
// boxes step up or down along it, so b is compared with its neighbour, not the row's first
// box (民族满 right of 性别 女 on a tilted photo).
func nearestInRow(row []tline, b box) box {
	best, bd := row[0].box, math.Inf(1)
	for _, l := range row {
		d := float64(max(0, max(l.X0-b.X1, b.X0-l.X1)))
		if d < bd {
			best, bd = l.box, d
		}
	}
	return best
}

// stacked: two boxes overlapping along x by more than 60 % of the narrower one lie over
// each other (two lines of one field on a leaning page), not side by side in one row (the
// boxes of one row may overlap a little: 男 and 民族阿昌 by 40 % of 男).
func stacked(a, b box) bool {
	return 5*(min(a.X1, b.X1)-max(a.X0, b.X0)) > 3*min(a.X1-a.X0, b.X1-b.X0)
}

func sameRow(a, b box) bool {
	ov := min(a.Y1, b.Y1) - max(a.Y0, b.Y0)
	return float64(ov) >= 0.5*float64(min(a.Y1-a.Y0, b.Y1-b.Y0))
}

func runOfDigits(s string) string {
	best, cur := "", ""
	for _, r := range s {
		if r >= '0' && r <= '9' || r == 'X' || r == 'x' {
			cur += strings.ToUpper(string(r))
			if len(cur) > len(best) {
				best = cur
			}
		} else {
			cur = ""
		}
	}
	return best
}

// bestNumber picks among readings: a valid 18-character number first, then a 17- or
// 18-character one whose digits 7–14 are a date, then the longest. A 19-character reading is
// repaired when exactly one deletion validates. X is only kept as the last character.
func bestNumber(reads []string) string {
	var cands []string
	for _, m := range reads {
		if len(m) > 1 && strings.Contains(m[:len(m)-1], "X") {
			m = strings.ReplaceAll(m[:len(m)-1], "X", "") + m[len(m)-1:]
		}
		if len(m) > 18 {
			for i := 0; i+18 <= len(m); i++ {
				if ValidateNumber(m[i:i+18]) == nil {
					cands = append(cands, m[i:i+18])
				}
			}
			if len(m) == 19 {
				if fix := oneDeletion(m); fix != "" {
					cands = append(cands, fix)
				}
			}
		}
		cands = append(cands, m)
	}
	for _, c := range cands {
		if ValidateNumber(c) == nil {
			return c
		}
	}
	for _, c := range cands {
		if len(c) == 17 || len(c) == 18 {
			if _, err := numberBirth(c); err == nil {
				return c
			}
		}
	}
	best := ""
	for _, c := range cands {
		if len(c) > len(best) {
			best = c
		}
	}
	return best
}

var (
	reDotDate = regexp.MustCompile(`\d{4}[.\-,]\d{1,2}[.\-,]\d{1,2}`)
	reYMD     = regexp.MustCompile(`(1[89]\d\d|20\d\d)\D{0,2}?(\d{1,2})\D{0,2}?(\d{1,2})`)
)

// labelPrefixes are printed field labels (and OCR fragments of them) stripped from values.
var frontLabels = []string{"公民身份号码", "姓名", "性别", "民族", "出生", "住址", "姓", "名", "住", "址"}

func stripLabel(t string, labels ...string) string {
	for _, l := range labels {
		if strings.HasPrefix(t, l) {
			return t[len(l):]
		}
	}
	return t
}

// pageFront reads the front fields of a page whose number line is known.
func (r *Reader) pageFront(p *page, numLine *tline, f *faceverify.IDCardResult) ([]line, error) {
	W, H := float64(p.g.W), float64(p.g.H)
	// Rows of the value column: above the number line, left of the portrait, below the title
	// band; watermarks and stamps dropped.
	var rows [][]tline
	var stamps []box
	left := labelLeft(p)
	for _, l := range p.lines {
		cy := float64(l.Y0+l.Y1) / 2
		if l.Y1 > numLine.Y0+(numLine.Y1-numLine.Y0)/3 || cy < 0.08*H || float64(l.X0) > 0.62*W || l.X1 <= left {
			continue
		}
		t := stripNoise(l.Text)
		if isNoise(l.Text) || t == "" {
			if isNoise(l.Text) {
				stamps = append(stamps, l.box)
			}
			continue
		}
		if strayMark(t) {
			continue
		}
		l.Text = t
		placed := false
		for i := range rows {
			if nb := nearestInRow(rows[i], l.box); sameRow(nb, l.box) && !stacked(nb, l.box) {
				rows[i] = append(rows[i], l)
				placed = true
				break
			}
		}
		if !placed {
			rows = append(rows, []tline{l})
		}
	}
	rowText := func(rw []tline) string {
		sort.Slice(rw, func(i, j int) bool { return rw[i].X0 < rw[j].X0 })
		var b strings.Builder
		for _, l := range rw {
			b.WriteString(compact(l.Text))
		}
		return b.String()
	}
	// Value boxes (labels sit left of 0.17 W) for the layout check.
	var values []line
	bi, gi := -1, -1
	for i, rw := range rows {
		t := rowText(rw)
		if bi < 0 && (reYMD.MatchString(t) || strings.Contains(t, "出生") || strings.ContainsAny(t, "年月") && len(digitsOf(t)) >= 4) {
			bi = i
		}
		if bi < 0 && gi < 0 && (strings.ContainsAny(t, "男女") || strings.Contains(t, "性别") || strings.Contains(t, "民族")) {
			gi = i
		}
	}
	if gi < 0 && bi > 0 {
		gi = bi - 1
	}
	if gi < 0 && bi < 0 { // 男/女 and the labels under a stamp: a row holding a nationality
		for i, rw := range rows {
			for _, l := range rw {
				if t := cjkOnly(l.Text); len([]rune(t)) >= 2 && snapEthnicity(t) == t && float64(l.X0) > labelColumn*W {
					gi = i
				}
			}
			if gi >= 0 {
				break
			}
		}
	}
	// The name row: marks before the label (a key or a speck read as a letter) go first.
	name := func(rw []tline) string {
		return surnameFix(cleanName(stripLabel(cleanName(rowText(rw)), "姓名", "姓", "名")), rw)
	}
	switch {
	case gi > 0:
		f.Name = name(rows[gi-1])
	case gi < 0 && bi < 0 && len(rows) > 0:
		f.Name = name(rows[0])
	}
	var err error
	// fullText is a row's text, completed under a stamp that swallowed its end.
	fullText := func(rw []tline) (string, error) {
		t, err := r.tallInRow(p, rw, rowText(rw))
		if err != nil {
			return "", err
		}
		return r.underStamp(p, rw, stamps, t)
	}
	// readAddress joins the address rows. An address starts with a place name: stray marks
	// left of it (a speck detected between the label and the value) are dropped.
	readAddress := func(rws [][]tline) (string, error) {
		var addr strings.Builder
		for _, rw := range rws {
			t, err := fullText(rw)
			if err != nil {
				return "", err
			}
			addr.WriteString(addressClean(stripLabel(labelRemnant(t), "住址", "址")))
		}
		a := strings.TrimLeftFunc(addr.String(), func(c rune) bool { return !unicode.Is(unicode.Han, c) })
		return r.places.Address(a, sureChars(rws...)), nil
	}
	if gi >= 0 {
		t, err := fullText(rows[gi])
		if err != nil {
			return nil, err
		}
		f.Gender, f.Nationality = genderNation(stripLabel(t, "性别", "别"))
	}
	if bi >= 0 {
		rows = splitLeaningRow(rows, bi)
		t := rowText(rows[bi])
		y, m, d, ok := parseYMD(t)
		if !ok { // re-read the value part constrained to digits and 年月日
			for _, l := range rows[bi] {
				if float64(l.X1) < 0.17*W {
					continue
				}
				// The box was read freely on the page: decoded again (no second run).
				if y, m, d, ok = parseYMD(r.pp.redecode(l.rec, r.ppDate, 0).Text); ok {
					break
				}
			}
		}
		obscured := false // the date row was spoilt (a stamp over it): the number's date is surer
		if !ok {          // a stamp merged with the date: read the band of the 出生 label itself
			if lb, found := labelLine(rows[bi], W); found {
				obscured = true
				res, err := r.pp.recognize(p.g.sub(p.labelBand(lb.box, int(0.62*W), 5)), r.ppDate)
				if err != nil {
					return nil, err
				}
				y, m, d, ok = parseYMD(res.Text)
			}
		}
		if ok {
			setBirth(f, y, m, d)
		}
		if f.Address, err = readAddress(rows[bi+1:]); err != nil {
			return nil, err
		}
		printed := ""
		if ok && !obscured {
			printed = formatDate(y, m, d)
		}
		if err := r.repairFromReread(p, numLine, f, printed, addressProvince(f.Address)); err != nil {
			return nil, err
		}
		f.Number = repairNumber(f.Number, printed)
		if ok {
			if y, m, d, fixed := birthFromNumber(f.Number, y, m, d); fixed {
				setBirth(f, y, m, d)
			}
		}
		if b, err := numberBirth(f.Number); obscured && err == nil && (len(f.Number) == 17 || len(f.Number) == 18) &&
			(!ok || digitDiff(formatDate(y, m, d), f.Number[6:14]) <= 2) {
			setBirth(f, b.Year(), int(b.Month()), b.Day())
		}
	} else {
		// No birth row (a stamp over it): the address rows start at the 住址 label.
		for i, rw := range rows {
			if lb, ok := labelLine(rw, W); ok && (i > gi || gi < 0) && strings.ContainsAny(lb.Text, "住址") {
				if f.Address, err = readAddress(rows[i:]); err != nil {
					return nil, err
				}
				break
			}
		}
		if err := r.repairFromReread(p, numLine, f, "", addressProvince(f.Address)); err != nil {
			return nil, err
		}
	}
	// Layout check: where each row's value starts — relative to the row's own label when
	// the label was read as a box of its own (lean-free), else the leftmost box right of the
	// labels. Boxes holding a label (住址 read alone, the 民族 column) are not values. Rows
	// above the name's are not the card's fields (papers above the card on a quad grown past
	// its edge, dev seed 6 #18).
	first := 0
	if gi > 0 {
		first = gi - 1
	}
	for _, rw := range rows[first:] { // rows are sorted left to right by rowText
		if lb, ok := rowLabel(rw, W); ok {
			for _, l := range rw {
				if l.X0 > lb.X1 && float64(l.X0-lb.X1) < 0.2*W {
					if !startsWithLabel(l.Text) {
						values = append(values, line{Text: l.Text, X0: l.X0, X1: l.X1, Y0: l.Y0, Y1: l.Y1, Ref: lb.X1})
					}
					break
				}
			}
			continue
		}
		for _, l := range rw {
			if float64(l.X0) >= 0.15*W && float64(l.X0) < 0.35*W {
				if len([]rune(l.Text)) >= 2 && !startsWithLabel(l.Text) {
					values = append(values, line{Text: l.Text, X0: l.X0, X1: l.X1, Y0: l.Y0, Y1: l.Y1})
				}
				break
			}
		}
	}
	// A birth line not read at all (under a stamp) is the number's date, when the number
	// was read whole (17 digits as printed on some cards, or 18) and carries a real date.
	if b, err := numberBirth(f.Number); f.BirthYear == "" && err == nil && (len(f.Number) == 17 || ValidateNumber(f.Number) == nil) {
		setBirth(f, b.Year(), int(b.Month()), b.Day())
	}
	if ValidateNumber(f.Number) == nil {
		if f.Gender == "" {
			f.Gender, _ = numberGender(f.Number)
		}
	}
	return values, nil
}

// parseYMD reads "1969年2月10日" (labels and noise around it allowed).
func parseYMD(s string) (y, m, d int, ok bool) { return parseDate(reYMD, s) }

// pageTitle counts the back-side title characters above the back's labels (签发机关,
// 有效期限; without them, on the upper part of the page), in lines short enough to be the
// title's and that read as pieces of it.
func pageTitle(p *page) (int, string) {
	// The labels bound the title from below on a page that reaches over papers beside the
	// card (the card then fills only part of the page, its title lower than 0.6 of it).
	limit := 0.6 * float64(p.g.H)
	for _, l := range p.lines {
		if t := compact(l.Text); (strings.Contains(t, "签发") || strings.Contains(t, "有效期")) && len([]rune(t)) <= 6 {
			limit = math.Max(limit, float64(l.Y0))
			break
		}
	}
	var b strings.Builder
	for _, l := range p.lines {
		// The title is printed in two short lines (中华人民共和国, 居民身份证): a long line
		// counts only when it holds a piece of the title itself (a title merged with its
		// neighbour); else it is text behind a loose quad. And only a line that reads as a
		// piece of the title counts: three of its characters in the title's order (a short
		// fragment: two), as in 中华人民, 共和国, 居民身份证 — papers' names hold the
		// title's characters scattered (放生明轩和军人: 和 before 人).
		t := compact(l.Text)
		short := len([]rune(t)) <= 12 || strings.Contains(t, "共和国") || strings.Contains(t, "身份证") || strings.Contains(t, "人民共")
		piece := titleRun(t)
		if float64(l.Y0+l.Y1)/2 < limit && short && (piece >= 3 || piece >= 2 && len([]rune(t)) <= 4) {
			b.WriteString(l.Text)
		}
	}
	t := b.String()
	n := 0
	for _, c := range titleChars {
		if strings.ContainsRune(t, c) {
			n++
		}
	}
	return n, t
}

// titleLine is the back's title as printed, its two lines joined.
var titleLine = []rune("中华人民共和国居民身份证")

// titleRun is the longest run of t's characters that stand in titleLine in the same order,
// each next one at most two characters on in t (one misread between) and three in the
// title (two missed): how much of t reads as a piece of the title.
func titleRun(t string) int {
	rs := []rune(t)
	best := 0
	run := make([][]int, len(rs))
	for i, c := range rs {
		run[i] = make([]int, len(titleLine))
		for j, tc := range titleLine {
			if c != tc {
				continue
			}
			n := 1
			for pi := max(0, i-2); pi < i; pi++ {
				for pj := max(0, j-3); pj < j; pj++ {
					n = max(n, run[pi][pj]+1)
				}
			}
			run[i][j] = n
			best = max(best, n)
		}
	}
	return best
}

// splitLeaningRow moves out of the birth row (rows[bi]) the boxes that belong to the row
// below it: on a rectified photo that leans, the long first address line overlaps the date
// line enough to be grouped with it. Such a box holds no date characters, is not a label
// and its centre lies well below the date's; it becomes a row of its own right after the
// birth row (the first address row).
func splitLeaningRow(rows [][]tline, bi int) [][]tline {
	var date *tline
	for i := range rows[bi] {
		if l := &rows[bi][i]; date == nil || len(digitsOf(l.Text)) > len(digitsOf(date.Text)) {
			date = l
		}
	}
	if date == nil || len(digitsOf(date.Text)) < 4 {
		return rows
	}
	dh := float64(date.Y1 - date.Y0)
	dcy := float64(date.Y0+date.Y1) / 2
	var keep, below []tline
	for _, l := range rows[bi] {
		cy := float64(l.Y0+l.Y1) / 2
		if len(digitsOf(l.Text)) == 0 && !strings.ContainsAny(l.Text, "年月日") && !startsWithLabel(l.Text) &&
			len([]rune(cjkOnly(l.Text))) >= 3 && cy > dcy+0.3*dh {
			below = append(below, l)
			continue
		}
		keep = append(keep, l)
	}
	if len(below) == 0 {
		return rows
	}
	out := append([][]tline{}, rows[:bi]...)
	out = append(out, keep, below)
	return append(out, rows[bi+1:]...)
}

// unread: a box no field of the side requested is read from, left unrecognised (speed): on
// the front, boxes wholly inside the portrait above the number row (a number split by
// glare or a stamp still has its right part read); on the back, boxes wholly inside the
// emblem left of the title and above the issuer.
func unread(b box, side Side, W, H int) bool {
	if side == Back {
		return float64(b.X1) < 0.22*float64(W) && float64(b.Y1) < 0.5*float64(H)
	}
	return float64(b.X0) > 0.64*float64(W) && float64(b.Y1) < 0.74*float64(H)
}

// pageBack reads the issuing authority and the validity of a back page.
func (r *Reader) pageBack(p *page, f *faceverify.IDCardResult) ([]line, error) {
	H := float64(p.g.H)
	var issuer, validity []tline
	for _, l := range p.lines {
		cy := float64(l.Y0+l.Y1) / 2
		if cy < 0.55*H || isNoise(l.Text) {
			continue
		}
		t := compact(l.Text)
		switch {
		case strings.Contains(t, "有效") || strings.Contains(t, "期限") || reValidity.MatchString(t) || len(digitsOf(t)) >= 8:
			validity = append(validity, l)
		case strings.Contains(t, "签发") || strings.Contains(t, "机关") || strings.Contains(t, "局") || len(validity) == 0 && len([]rune(cjkOnly(t))) >= 3:
			issuer = append(issuer, l)
		}
	}
	// Layout check: value boxes that start right of the labels (x ≥ 0.33 W), the leftmost of
	// each row (a box holding its label does not tell where the value starts).
	var ls []line
	for _, group := range [][]tline{issuer, validity} {
		for i, l := range group {
			first := true
			for j, o := range group {
				if j != i && sameRow(o.box, l.box) && o.X0 < l.X0 {
					first = false
				}
			}
			if first && float64(l.X0) >= 0.33*float64(p.g.W) {
				ls = append(ls, line{Text: l.Text, X0: l.X0, X1: l.X1, Y0: l.Y0, Y1: l.Y1})
			}
		}
	}
	var b strings.Builder
	for _, l := range issuer {
		b.WriteString(stripNoise(compact(l.Text)))
	}
	f.IssuedBy = r.places.Issuer(cleanIssuer(b.String()), sureChars(issuer))
	b.Reset()
	for _, l := range validity {
		b.WriteString(compact(l.Text))
	}
	f.ValidDateStart, f.ValidDateEnd = parseValidity(b.String())
	if f.ValidDateStart == "" || f.ValidDateEnd == "" {
		for _, l := range validity { // constrained: the page's read decoded again
			if s, e := parseValidity(r.pp.redecode(l.rec, r.ppValidity, 0).Text); s != "" && e != "" {
				f.ValidDateStart, f.ValidDateEnd = s, e
				break
			}
		}
	}
	return ls, nil
}

// ppRead reads one side with PP-OCR: candidates in order until one shows the side.
func (r *Reader) ppRead(ctx context.Context, side Side, img *image.RGBA, threshold float64) (*Outcome, error) {
	src := viewSource{img: img}
	base := locate(img)
	if debugLocate {
		for _, c := range base {
			fmt.Fprintf(os.Stderr, "outline %+v width %.0f\n", c, math.Max(dist(c.Quad[0], c.Quad[1]), dist(c.Quad[3], c.Quad[2])))
		}
	}
	// Outline first (speed): a card outline seen whole inside the photo whose page shows the
	// side in its printed layout is the card — the text locator's detection over the whole
	// photo (a third of a read) is not needed. Otherwise its page is kept for the loop.
	var pre *page
	if len(base) > 1 && !base[0].Whole && !base[0].Touches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := r.readPage(base[0], src, side)
		if err != nil {
			return nil, err
		}
		if side == Front {
			n, nl, err := r.pageNumber(p)
			if err != nil {
				return nil, err
			}
			if frontInLayout(p, n, nl) {
				return r.finishFront(p, n, nl, threshold, measurePhoto(p, side, nl, n, img.Rect.Dx(), img.Rect.Dy()))
			}
		} else if backInLayout(p) {
			_, t := pageTitle(p)
			return r.finishBack(p, t, threshold, measurePhoto(p, side, nil, "", img.Rect.Dx(), img.Rect.Dy()))
		}
		pre = p
	}
	passes := &locatePasses{r: r, img: img, base: base}
	readPage := func(c candidate) (*page, error) { // stops when ctx is done
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if pre != nil && c.Quad == base[0].Quad && !c.Text {
			return pre, nil
		}
		return r.readPage(c, src, side)
	}
	switch side {
	case Front:
		var best *page
		var number string
		var numLine *tline
		for c := range passes.while(func() bool { return best == nil || len(number) < 15 }) {
			p, err := readPage(c)
			if err != nil {
				return nil, err
			}
			n, nl, err := r.pageNumber(p)
			if err != nil {
				return nil, err
			}
			if (nl == nil || len(n) < 15) && p.mixed { // upside down among upright text?
				fp, err := r.flipped(p, side)
				if err != nil {
					return nil, err
				}
				fn, fnl, err := r.pageNumber(fp)
				if err != nil {
					return nil, err
				}
				if fnl != nil && len(fn) > len(n) {
					p, n, nl = fp, fn, fnl
				}
			}
			if (nl == nil || len(n) < 15) && labelCount(p) >= 4 {
				// The front's labels read but not its number: a quad fallen short of the card
				// (its edge found at the portrait or on papers beside it) cuts the number off,
				// or no quad was found and the whole photo, papers around the card included,
				// was read. The labels place the card (refit.go); its number is read there.
				rp, rn, rnl, err := r.refitNumber(refitQuadIn, p, src)
				if err != nil {
					return nil, err
				}
				if rnl != nil && len(rn) > len(n) { // rnl is nil without a refit page
					p, n, nl = rp, rn, rnl
				}
			}
			if nl == nil || len(n) < 15 {
				// The number's start under a stamp: still the front when its labels say so
				// (the fields are read; the number fails validation → retake the front).
				if nl != nil && len(n) >= 6 && labelCount(p) >= 4 && (best == nil || len(n) > len(number)) {
					best, number, numLine = p, n, nl
				}
				continue
			}
			if best != nil && len(number) < 15 {
				best = nil
			}
			if best == nil || len(n) > len(number) && len(number) < 17 || ValidateNumber(n) == nil && ValidateNumber(number) != nil {
				best, number, numLine = p, n, nl
			}
			if len(number) >= 17 {
				break
			}
		}
		if best == nil {
			return notSide(side, passes.last), nil
		}
		// The card where its labels and number say it is (a quad grown over papers).
		np, n, nl, err := r.refitNumber(refitQuad, best, src)
		if err != nil {
			return nil, err
		}
		if np != nil {
			// Taken when it reads the front at least as well: a valid number first, then the
			// name and address read, then the labels seen (a layout other than the one the
			// anchors know loses them; a speck the new page shows can empty the name).
			score := func(p *page, n string, nl *tline) (int, error) {
				s := labelCount(p)
				if ValidateNumber(n) == nil {
					s += 20
				}
				f := faceverify.IDCardResult{Number: n}
				if _, err := r.pageFront(p, nl, &f); err != nil {
					return 0, err
				}
				if f.Name != "" {
					s += 5
				}
				if f.Address != "" {
					s += 5
				}
				return s, nil
			}
			if nl != nil && len(n) >= min(len(number), 17) {
				s0, err := score(best, number, numLine)
				if err != nil {
					return nil, err
				}
				s1, err := score(np, n, nl)
				if err != nil {
					return nil, err
				}
				if s1 >= s0 {
					best, number, numLine = np, n, nl
				}
			}
		}
		return r.finishFront(best, number, numLine, threshold, measurePhoto(best, side, numLine, number, img.Rect.Dx(), img.Rect.Dy()))
	default:
		var best *page
		bestScore := 0
		var title string
		for c := range passes.while(func() bool { return best == nil || bestScore < 4 }) {
			p, err := readPage(c)
			if err != nil {
				return nil, err
			}
			s, t := pageTitle(p)
			if s < 4 && p.mixed { // upside down among upright text?
				fp, err := r.flipped(p, side)
				if err != nil {
					return nil, err
				}
				if fs, ft := pageTitle(fp); fs > s {
					p, s, t = fp, fs, ft
				}
			}
			if s > bestScore {
				best, bestScore, title = p, s, t
			}
			if s >= 5 {
				break
			}
		}
		if best == nil || bestScore < 4 {
			return notSide(side, passes.last), nil
		}
		np, err := r.refitPage(refitQuad, best, side, src)
		if err != nil {
			return nil, err
		}
		if np != nil {
			// Taken when it reads the back at least as well: title, issuer, validity.
			score := func(p *page) (int, string, error) {
				s, t := pageTitle(p)
				var f faceverify.IDCardResult
				if _, err := r.pageBack(p, &f); err != nil {
					return 0, "", err
				}
				if f.IssuedBy != "" {
					s += 3
				}
				if f.ValidDateStart != "" && f.ValidDateEnd != "" {
					s += 3
				}
				return s, t, nil
			}
			s0, _, err := score(best)
			if err != nil {
				return nil, err
			}
			s1, t, err := score(np)
			if err != nil {
				return nil, err
			}
			if n, _ := pageTitle(np); n >= 4 && s1 >= s0 {
				best, title = np, t
			}
		}
		return r.finishBack(best, title, threshold, measurePhoto(best, side, nil, "", img.Rect.Dx(), img.Rect.Dy()))
	}
}

// refitNumber reads front page p again from the quad fit places the card at (refitPage)
// and the number on the new page; a nil page when there is no refit.
func (r *Reader) refitNumber(fit func(*page, Side) ([4]pt, bool), p *page, src viewSource) (*page, string, *tline, error) {
	np, err := r.refitPage(fit, p, Front, src)
	if err != nil || np == nil {
		return nil, "", nil, err
	}
	n, nl, err := r.pageNumber(np)
	if err != nil {
		return nil, "", nil, err
	}
	if debugLocate {
		fmt.Fprintf(os.Stderr, "refit → number %q\n", n)
	}
	return np, n, nl, nil
}

// locateSides are the long sides of the locating detection's passes, coarse to fine. One
// pass at textLocateSide: a first pass at 640 px (2.25× fewer pixels) read the dev seeds'
// photos alike but found no text block on a card filling a 1200×1600 photo cut off at its
// left (the outline was read, and the cut went unseen) and joined the two cards of a raw
// contest page (docs/idcard.md, session 8).
var locateSides = []int{textLocateSide}

// locatePasses hands out the candidates of a photo coarse to fine: those of the locating
// detection at locateSides[0] px, and only when none of them showed the side the new ones
// of the next pass. The outlines come with the first pass.
type locatePasses struct {
	r     *Reader
	img   *image.RGBA
	base  []candidate
	pass  int
	tried []candidate
	last  []candidate // every candidate of the last pass run, best first (notSide)
}

// while yields the candidates pass after pass as long as more holds (it is asked before each
// pass; breaking out of the loop ends every pass).
func (lp *locatePasses) while(more func() bool) iter.Seq[candidate] {
	return func(yield func(candidate) bool) {
		for more() {
			cands := lp.next()
			if cands == nil {
				return
			}
			for _, c := range cands {
				if !yield(c) {
					return
				}
			}
		}
	}
}

// next returns the next pass's untried candidates; nil when no pass is left.
func (lp *locatePasses) next() []candidate {
	for lp.pass < len(locateSides) {
		side := locateSides[lp.pass]
		lp.pass++
		all := lp.r.photoCandidatesFrom(lp.img, lp.base, side)
		var out []candidate
		for _, c := range all {
			seen := false
			for _, t := range lp.tried {
				seen = seen || t.Text == c.Text && (c.Quad == t.Quad || c.Text && quadIoU(c.Quad, t.Quad) > 0.9)
			}
			if !seen {
				out = append(out, c)
				lp.tried = append(lp.tried, c)
			}
		}
		lp.last = all
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// frontInLayout: the page read from a candidate shows a front where GA 450 prints it — a
// valid number starting a third into the card on its bottom row and running to its right
// part, and at least three of the labels. A quad grown over the background or cut short
// moves the number off that place.
func frontInLayout(p *page, number string, nl *tline) bool {
	if nl == nil || ValidateNumber(number) != nil || labelCount(p) < 3 {
		return false
	}
	W, H := float64(p.g.W), float64(p.g.H)
	cy := float64(nl.Y0+nl.Y1) / 2
	return float64(nl.X0) >= 0.26*W && float64(nl.X0) <= 0.42*W && float64(nl.X1) >= 0.8*W &&
		float64(nl.X1) <= 0.99*W && cy >= 0.78*H && cy <= 0.95*H
}

// backInLayout: the page shows a back where GA 450 prints it — the title (≥ 5 of its
// characters) right of the emblem in the upper half, and the issuer and validity rows in
// the lower part, right of their labels.
func backInLayout(p *page) bool {
	if n, _ := pageTitle(p); n < 5 {
		return false
	}
	W, H := float64(p.g.W), float64(p.g.H)
	title, low := false, 0
	for _, l := range p.lines {
		t := compact(l.Text)
		cy := float64(l.Y0+l.Y1) / 2
		if (strings.Contains(t, "共和国") || strings.Contains(t, "身份证")) && float64(l.X0) >= 0.25*W && cy < 0.5*H {
			title = true
		}
		if cy > 0.65*H && cy < 0.95*H && float64(l.X0) >= 0.3*W && float64(l.X0) <= 0.45*W && len([]rune(t)) >= 4 {
			low++
		}
	}
	return title && low >= 2
}

func (r *Reader) finishFront(p *page, number string, numLine *tline, threshold float64, pm PhotoMeasures) (*Outcome, error) {
	v := p.v
	out := &Outcome{Image: vision.EncodeJPEG(v.rgba, 90)}
	f := &out.Fields
	f.Number = number
	ls, err := r.pageFront(p, numLine, f)
	if err != nil {
		return nil, err
	}
	temporary := false
	for _, l := range p.lines {
		temporary = temporary || strings.Contains(l.Text, "临时")
	}
	return r.judgeFront(v, out, ls, temporary, threshold, pm)
}

func (r *Reader) finishBack(p *page, title string, threshold float64, pm PhotoMeasures) (*Outcome, error) {
	v := p.v
	out := &Outcome{Image: vision.EncodeJPEG(v.rgba, 90)}
	f := &out.Fields
	ls, err := r.pageBack(p, f)
	if err != nil {
		return nil, err
	}
	return r.judgeBack(v, out, ls, title, threshold, pm), nil
}

// labelColumn is the right edge of the printed labels (姓名, 出生, 住址, …) as a fraction of
// the card's width: value boxes start right of it.
const labelColumn = 0.19

// labelLine is the printed label of a row (出生, 住址, …): its leftmost box when that box
// ends inside the label column.
func labelLine(row []tline, W float64) (tline, bool) {
	var lb *tline
	for i := range row {
		if lb == nil || row[i].X0 < lb.X0 {
			lb = &row[i]
		}
	}
	if lb == nil || float64(lb.X1) > labelColumn*W {
		return tline{}, false
	}
	return *lb, true
}

// labelBand is the strip of a row at the height of its label lb (padded by 1/pad of it
// above and below), from just right of the label to x1: what a value reads as when a stamp
// has spoilt its own boxes.
func (p *page) labelBand(lb box, x1, pad int) box {
	h := lb.Y1 - lb.Y0
	return box{X0: lb.X1 + h/4, Y0: max(0, lb.Y0-h/pad), X1: min(x1, p.g.W), Y1: min(p.g.H, lb.Y1+h/pad)}
}

// setBirth writes a birth date into the fields (month and day without leading zeros).
func setBirth(f *faceverify.IDCardResult, y, m, d int) {
	f.BirthYear, f.BirthMonth, f.BirthDay = strconv.Itoa(y), strconv.Itoa(m), strconv.Itoa(d)
}

// digitDiff counts the positions where two strings of equal length differ (len(a) when the
// lengths differ).
func digitDiff(a, b string) int {
	if len(a) != len(b) {
		return len(a)
	}
	n := 0
	for i := range len(a) {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// rowLabel is a front row's printed label (姓名, 性别, 出生, 住址) read as a box of its own
// ending in the label's last character (its right edge is where the label ends even when a
// finger hides its first character).
func rowLabel(row []tline, W float64) (tline, bool) {
	for _, l := range row {
		t := []rune(compact(l.Text))
		if len(t) == 0 || len(t) > 2 || float64(l.X1) > 0.26*W {
			continue
		}
		if strings.ContainsRune("名别生址", t[len(t)-1]) {
			return l, true
		}
	}
	return tline{}, false
}

// startsWithLabel: the text begins with a printed label of the front (the box holds a label,
// not the start of a value).
func startsWithLabel(t string) bool {
	t = compact(t)
	for _, p := range []string{"姓名", "性别", "民族", "出生", "住址", "公民"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// labelCount counts the distinct printed labels of the front (姓名, 性别, 民族, 出生, 住址,
// 公民身份号码) among a page's lines.
// labelLeft is where the front's label column starts on the page (the least X0 of the lines
// that begin with 姓名, 性别, 出生 or 住址, when at least two do; else 0). Nothing of the card is
// printed left of it: a line ending there is off the card — papers under it that a quad grown
// past the card's edge took in, their characters then joined to the name or address rows
// (dev seed 6 #18: 伟 住址 …, 浩 和路73号, 国, 涵, 英亲 down the papers' left column, the
// address wrong and the layout check calling the card edited).
func labelLeft(p *page) int {
	n, left := 0, math.MaxInt
	for _, l := range p.lines {
		t := compact(l.Text)
		for _, lab := range []string{"姓名", "性别", "出生", "住址"} {
			if strings.HasPrefix(t, lab) {
				n++
				left = min(left, l.X0)
				break
			}
		}
	}
	if n < 2 {
		return 0
	}
	return left
}

func labelCount(p *page) int {
	n := 0
	for _, lab := range []string{"姓名", "性别", "民族", "出生", "住址", "身份号码"} {
		for _, l := range p.lines {
			if strings.Contains(compact(l.Text), lab) {
				n++
				break
			}
		}
	}
	return n
}
