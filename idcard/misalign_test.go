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
	} {
		l := legality(signals{ChromaSpread: 10, Misalign: misalignment(c.ls)}, DefaultThreshold)
		if got := l.Edited >= 0.5; got != c.edited {
			t.Errorf("%s: misalignment %.2f Edited %.2f, want edited=%v %s", c.name, misalignment(c.ls), l.Edited, c.edited, c.comment)
		}
	}
}
