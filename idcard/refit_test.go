package idcard

import (
	"math"
	"testing"
)

// TestRefitQuad: the labels and number read on a page place the card inside it (no models).
// A page whose quad grew over papers shows the card's anchors shrunk into part of it; the
// refit quad is the card's own, a stray line that starts like a label is dropped as an
// outlier, and a page already on the card is left alone.
func TestRefitQuad(t *testing.T) {
	tl := func(text string, x0, cy, x1 float64) tline {
		return tline{box: box{X0: int(x0), Y0: int(cy - 16), X1: int(x1), Y1: int(cy + 16)}, Text: text}
	}
	// The card occupies x 300–840, y 150–491 of the page (scale 0.6, shifted): a quad grown
	// to the left and up over printed papers.
	a := affine{0.6, 0, 300, 0, 0.6, 150}
	// A line printed from u0 to u1 at height v, 32 canonical px tall: its axis-aligned box.
	at := func(text string, u0, v, u1 float64) tline {
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range [][2]float64{{u0, v - 16}, {u1, v - 16}, {u1, v + 16}, {u0, v + 16}} {
			q := a.apply(c[0], c[1])
			x0, y0, x1, y1 = math.Min(x0, q.X), math.Min(y0, q.Y), math.Max(x1, q.X), math.Max(y1, q.Y)
		}
		return tline{box: box{X0: int(math.Round(x0)), Y0: int(math.Round(y0)), X1: int(math.Round(x1)), Y1: int(math.Round(y1))}, Text: text}
	}
	lines := []tline{
		tl("英解娟人玉设静放强设然放", 10, 60, 280), // paper text
		at("姓名秦敏超", 65, 128, 300),
		at("性别男民族汉", 65, 190, 420),
		at("出生1952年1月3日", 65, 253, 420),
		at("住址", 66, 315, 138),
		at("上海市徐汇区湖南路街道", 170, 315, 580),
		at("公民身份号码", 69, 481, 228),
		at("310104195201036592", 296, 477, 792),
		tl("住址不明", 20, 540, 120), // a paper line starting like a label: an outlier
	}
	whole := [4]pt{{0, 0}, {CardW, 0}, {CardW, CardH}, {0, CardH}}
	p := &page{v: view{cand: candidate{Quad: whole, Text: true}}, lines: lines}
	if ss := anchorPoints(p, Front); len(ss) < 6 {
		t.Fatalf("anchors %v", ss)
	}
	q, ok := refitQuad(p, Front)
	if !ok {
		t.Fatal("no refit for a card in part of the page")
	}
	want := [4]pt{a.apply(0, 0), a.apply(CardW, 0), a.apply(CardW, CardH), a.apply(0, CardH)}
	for k := range q {
		if d := math.Hypot(q[k].X-want[k].X, q[k].Y-want[k].Y); d > 12 {
			t.Errorf("corner %d at %.0f,%.0f, want %.0f,%.0f", k, q[k].X, q[k].Y, want[k].X, want[k].Y)
		}
	}
	// A page on the card: its anchors are where the layout prints them.
	a = affine{1, 0, 4, 0, 1, -3}
	p.lines = []tline{at("姓名", 65, 128, 139), at("出生1952年1月3日", 65, 253, 420), at("310104195201036592", 296, 477, 792)}
	if q, ok := refitQuad(p, Front); ok {
		t.Errorf("refit of a page already on the card: %v", q)
	}
	// A few per cent off: refit from a text-located quad, not from an outline (the card's
	// own edge; the contest's copies print their labels a little elsewhere).
	a = affine{1.08, 0, -30, 0, 1.08, -20}
	p.lines = []tline{at("姓名", 65, 128, 139), at("出生1952年1月3日", 65, 253, 420), at("310104195201036592", 296, 477, 792)}
	if _, ok := refitQuad(p, Front); !ok {
		t.Error("no refit of a text-located quad 5 % off")
	}
	p.v.cand.Text = false
	if q, ok := refitQuad(p, Front); ok {
		t.Errorf("refit of an outline 5 %% off: %v", q)
	}
	p.v.cand.Text = true
	// Too few anchors (the number alone) place nothing.
	p.lines = []tline{at("310104195201036592", 296, 477, 792)}
	if _, ok := refitQuad(p, Front); ok {
		t.Error("refit from the number alone")
	}
	// The back: title and labels.
	a = affine{0.7, 0.05, 120, -0.05, 0.7, 90}
	p.lines = []tline{at("中华人民共和国", 326, 109, 670), at("居民身份证", 303, 214, 658), at("签发机关", 192, 418, 303),
		at("乌鲁木齐市天山区公安局", 346, 418, 700), at("有效期限", 193, 488, 302), at("2023.11.21-长期", 346, 488, 600)}
	q, ok = refitQuad(p, Back)
	if !ok {
		t.Fatal("no refit of the back")
	}
	want = [4]pt{a.apply(0, 0), a.apply(CardW, 0), a.apply(CardW, CardH), a.apply(0, CardH)}
	for k := range q {
		if d := math.Hypot(q[k].X-want[k].X, q[k].Y-want[k].Y); d > 12 {
			t.Errorf("back corner %d at %.0f,%.0f, want %.0f,%.0f", k, q[k].X, q[k].Y, want[k].X, want[k].Y)
		}
	}
}

// TestLabelAt: a label is matched at the start of a box, one character misread in labels of
// four or more (蜜发机关), none in two-character labels.
func TestLabelAt(t *testing.T) {
	for _, c := range []struct {
		text, label  string
		start, alone bool
	}{
		{"姓名秦敏超", "姓名", true, false},
		{"姓名", "姓名", true, true},
		{"姓各秦敏超", "姓名", false, false},
		{"蜜发机关", "签发机关", true, true},
		{"蜜发机关成都市武侯区公安局", "签发机关", true, false},
		{"公民身份号码", "公民身份号码", true, true},
		{"中华人民共和国", "中华人民共和国", true, true},
		{"中", "中华人民共和国", false, false},
	} {
		if s, a := labelAt(c.text, c.label); s != c.start || a != c.alone {
			t.Errorf("labelAt(%q, %q) = %v, %v; want %v, %v", c.text, c.label, s, a, c.start, c.alone)
		}
	}
}
