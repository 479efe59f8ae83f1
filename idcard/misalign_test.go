package idcard

import "testing"

// TestMisalignmentLean: the Edited signal without models. A rectified photo that leans (a
// loose quad) shifts every row's label and value together; a pasted name moves alone.
func TestMisalignmentLean(t *testing.T) {
	// Rows of a front at 900×568: name, gender, birth, address (label right edge 108).
	rows := []struct {
		text   string
		y, x0  int
		ref    int
		height int
	}{
		{"熊红涵", 130, 180, 108, 40}, {"男", 190, 180, 108, 38}, {"1950年4月14日", 255, 180, 108, 39}, {"北京市海淀区清河街道", 320, 180, 108, 40},
	}
	build := func(lean float64, shiftName int, withRef bool) []line {
		var ls []line
		for i, r := range rows {
			dx := int(lean * float64(r.y))
			x0, ref := r.x0+dx, r.ref+dx
			if i == 0 {
				x0 += shiftName
			}
			if !withRef {
				ref = 0
			}
			ls = append(ls, line{Text: r.text, X0: x0, X1: x0 + 200, Y0: r.y, Y1: r.y + r.height, Ref: ref})
		}
		return ls
	}
	// The one-character gender value's box starts 24 px early (detector jitter on a short
	// box, seen on a JPEG-50 portrait photo, dev seed 7): not a pasted value.
	gender := build(0, 0, true)
	gender[1].X0 -= 24
	// Label boxes of one card 23 px apart in width (姓名 163, 性别 157, 生 140, 住址 144: a
	// finger over 出, dev seed 1) while the values line up with a slight lean: measured.
	jitter := []line{
		{Text: "孟宇", X0: 172, X1: 250, Y0: 104, Y1: 145, Ref: 163},
		{Text: "男", X0: 175, X1: 215, Y0: 170, Y1: 207, Ref: 157},
		{Text: "1950年12月20日", X0: 177, X1: 461, Y0: 234, Y1: 272, Ref: 140},
		{Text: "云南省昆明市五华区华山街", X0: 180, X1: 581, Y0: 297, Y1: 333, Ref: 144},
		{Text: "道文利路124号", X0: 178, X1: 404, Y0: 344, Y1: 382},
	}
	jitterPasted := append([]line(nil), jitter...)
	jitterPasted[0].X0 += 32
	for _, c := range []struct {
		name    string
		ls      []line
		edited  bool
		comment string
	}{
		{"upright, printed layout", build(0, 0, true), false, ""},
		{"leaning 25 % (loose quad), labels known", build(-0.25, 0, true), false, "the lean moves labels and values together"},
		{"name pasted 32 px right, labels known", build(0, 32, true), true, ""},
		{"name pasted 32 px right on a leaning photo", build(-0.25, 32, true), true, ""},
		{"name pasted, labels not read", build(0, 32, false), true, "the left edges alone"},
		{"gender box 24 px early", gender, false, "a one-character box's edge is not trusted"},
		{"label boxes of uneven width, values aligned", jitter, false, "the value column is a straight line"},
		{"label boxes of uneven width, name pasted 32 px right", jitterPasted, true, ""},
	} {
		l := legality(signals{ChromaSpread: 10, Misalign: misalignment(c.ls)}, DefaultThreshold)
		if got := l.Edited >= 0.5; got != c.edited {
			t.Errorf("%s: misalignment %.2f Edited %.2f, want edited=%v %s", c.name, misalignment(c.ls), l.Edited, c.edited, c.comment)
		}
	}
}
