package idcard

import "testing"

// TestSplitLeaningRow: on a leaning rectified photo the first address line is grouped with
// the birth row; it is moved to a row of its own right after it (no models).
func TestSplitLeaningRow(t *testing.T) {
	tl := func(text string, x0, y0, x1, y1 int) tline {
		return tline{box: box{X0: x0, Y0: y0, X1: x1, Y1: y1}, Text: text}
	}
	rows := [][]tline{
		{tl("熊红涵", 128, 192, 220, 236)},
		{tl("出生", 51, 306, 110, 337), tl("1950年4月14日", 126, 273, 369, 337), tl("北京市海淀区清河街道建光", 121, 303, 517, 393)},
		{tl("路130号", 137, 376, 247, 419)},
	}
	got := splitLeaningRow(rows, 1)
	if len(got) != 4 || len(got[1]) != 2 || len(got[2]) != 1 || got[2][0].Text != "北京市海淀区清河街道建光" || got[3][0].Text != "路130号" {
		t.Fatalf("split rows %v", got)
	}
	// An upright birth row is left alone: the 出生 label and the date's own pieces stay.
	upright := [][]tline{{tl("出生", 51, 300, 110, 330), tl("1950", 126, 300, 200, 330), tl("年4月14日", 205, 300, 369, 331)}}
	if got := splitLeaningRow(upright, 0); len(got) != 1 || len(got[0]) != 3 {
		t.Errorf("upright row split: %v", got)
	}
}

// TestNumberAnchor: the number line read on the rectified front anchors the card's size and
// reach in the photo (no models): a card cut through its labels is cut although its quad
// (placed by the layout around the values) lies inside the photo; a small card whose quad
// grew over background text is still small.
func TestNumberAnchor(t *testing.T) {
	const W, H = 1600, 1200
	blank := &gray{W: CardW, H: CardH, Pix: make([]uint8, CardW*CardH)}
	for i := range blank.Pix {
		blank.Pix[i] = 128
	}
	page := func(q [4]pt, sides int) *page {
		return &page{v: view{cand: candidate{Quad: q, Text: true, sides: sides, support: 2}, g: blank}, g: blank}
	}
	rect := func(x0, y0, w float64) [4]pt {
		h := w / 1.585
		return [4]pt{{x0, y0}, {x0 + w, y0}, {x0 + w, y0 + h}, {x0, y0 + h}}
	}
	// The printed number: x 0.33–0.91 of the card, y 0.87.
	num := &tline{box: box{X0: CardW * 33 / 100, Y0: CardH * 84 / 100, X1: CardW * 91 / 100, Y1: CardH * 90 / 100}}
	const number = "110108195004143936"

	if pm := measurePhoto(page(rect(300, 300, 1000), 4), Front, num, number, W, H); pm.Completeness != 0 || pm.CardWidth < 900 {
		t.Errorf("card inside: %+v", pm)
	}
	// The quad lies inside the photo (x 40–1040) but the page shows the number starting at
	// its left edge: the labels and the card's left part are beyond the photo's left border.
	cutNum := &tline{box: box{X0: 10, Y0: num.Y0, X1: 10 + CardW*58/100, Y1: num.Y1}}
	if pm := measurePhoto(page(rect(40, 300, 1000), 3), Front, cutNum, number, W, H); pm.Completeness != 2 {
		t.Errorf("cut through the labels: completeness %d, want 2", pm.Completeness)
	}
	// A 300 px card whose quad grew to 1000 px over text around it: the number is 174 px long.
	smallNum := &tline{box: box{X0: 400, Y0: num.Y0, X1: 400 + CardW*174/1000, Y1: num.Y1}}
	if pm := measurePhoto(page(rect(300, 300, 1000), 4), Front, smallNum, number, W, H); pm.CardWidth >= minCardWidth {
		t.Errorf("small card: width %.0f, want < %d", pm.CardWidth, minCardWidth)
	}
	// Cut 12 % at the bottom: a quad clipped at the photo's border (an outline, corners not
	// graded) whose page shows the number whole at its very bottom — the card's last rows
	// below it lie beyond the border. The same number higher up the page is inside.
	clipped := page(rect(300, H-1000/1.585, 1000), 4)
	clipped.v.cand.Text, clipped.v.cand.Touches = false, true
	low := &tline{box: box{X0: num.X0, Y0: CardH - 40, X1: num.X1, Y1: CardH - 4}}
	if pm := measurePhoto(clipped, Front, low, number, W, H); pm.Completeness != 2 {
		t.Errorf("number at the bottom border: completeness %d, want 2", pm.Completeness)
	}
	if pm := measurePhoto(clipped, Front, num, number, W, H); pm.Completeness == 2 {
		t.Errorf("number where it is printed on a clipped quad: completeness 2")
	}
	// A card filling the frame, tilted: the number as read in the photo is longer than its
	// printed share, and its reach extrapolated to the left passes the border. Read with
	// the labels of its left column, the card's content is inside; without them it is cut.
	long := &tline{box: box{X0: CardW * 26 / 100, Y0: num.Y0, X1: CardW * 91 / 100, Y1: num.Y1}}
	full := page(rect(20, 300, 1000), 3)
	if pm := measurePhoto(full, Front, long, number, W, H); pm.Completeness != 2 {
		t.Errorf("number reaching past the border, no labels read: completeness %d, want 2", pm.Completeness)
	}
	for i, lab := range []string{"姓名闫兰梓", "性别女", "出生1987年1月21日", "住址重庆市"} {
		full.lines = append(full.lines, tline{box: box{X0: CardW * 7 / 100, Y0: 100 + 60*i, X1: CardW / 2, Y1: 130 + 60*i}, Text: lab})
	}
	if pm := measurePhoto(full, Front, long, number, W, H); pm.Completeness == 2 {
		t.Errorf("left labels read: completeness 2 (cut)")
	}
	full.lines = full.lines[:minLeftLabels-1]
	if pm := measurePhoto(full, Front, long, number, W, H); pm.Completeness != 2 {
		t.Errorf("%d left labels read: completeness %d, want 2", minLeftLabels-1, pm.Completeness)
	}
	// A quad placed by the anchors' fit whose far corner (top right) is extrapolated past the
	// border: the number, read whole inside the photo, decides (not cut); the same quad seen
	// as four edges is cut, and so is a fitted quad whose left corner (by the labels) is out.
	fit := page([4]pt{{300, 300}, {1300, -300}, {1300, 631}, {300, 631}}, 4)
	if pm := measurePhoto(fit, Front, num, number, W, H); pm.Completeness != 2 {
		t.Errorf("four edges seen, corner outside: completeness %d, want 2", pm.Completeness)
	}
	fit.v.cand.fitted = true
	if pm := measurePhoto(fit, Front, num, number, W, H); pm.Completeness == 2 {
		t.Errorf("fitted quad, corner outside, number inside: completeness 2")
	}
	if pm := measurePhoto(fit, Front, num, "32010219610303", W, H); pm.Completeness != 2 {
		t.Errorf("fitted quad, corner outside, number cut short: completeness %d, want 2", pm.Completeness)
	}
	fitTop := page([4]pt{{300, -300}, {1300, 300}, {1300, 931}, {300, 331}}, 4)
	fitTop.v.cand.fitted = true
	if pm := measurePhoto(fitTop, Front, num, number, W, H); pm.Completeness != 2 {
		t.Errorf("fitted quad, top-left corner outside: completeness %d, want 2", pm.Completeness)
	}
	// Without a whole number nothing is anchored: the quad's own figures stand.
	if pm := measurePhoto(page(rect(300, 300, 1000), 4), Front, smallNum, "1101", W, H); pm.CardWidth < 900 {
		t.Errorf("short number anchored the width: %+v", pm)
	}
}
