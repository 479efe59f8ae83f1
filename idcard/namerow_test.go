package idcard

import (
	"testing"

	"github.com/faceverify/faceverify"
)

// TestNameRowSpeck: a speck between the label 姓名 and the name, read as ".", is not a row of
// its own (it stood between the name and the gender row, which takes the row above it for
// the name: the name was read empty on a clear photographed card, dev seed 3 #7). The lines
// are that card's, as read.
func TestNameRowSpeck(t *testing.T) {
	r := testReader(t)
	l := func(text string, x0, y0, x1, y1 int) tline {
		return tline{box: box{X0: x0, Y0: y0, X1: x1, Y1: y1, Score: 0.99}, Text: text}
	}
	lines := []tline{
		l("样本SPECIMEN·测试专用", 8, 14, 226, 38),
		l("姓名", 64, 109, 141, 143), l(".", 129, 117, 140, 129), l("罗英", 167, 103, 242, 143),
		l("性别", 65, 172, 141, 206), l("男", 163, 168, 208, 204), l("民族维吾尔", 284, 164, 494, 207),
		l("出生", 64, 234, 137, 270), l("1963年5月22日", 173, 233, 431, 265),
		l("住址", 65, 297, 137, 331), l("山东省济南市历下区泉城路", 174, 294, 573, 327), l("街道利华路26号", 172, 340, 411, 378),
		l("公民身份号码", 70, 466, 227, 498), l("370102196305229236", 295, 461, 789, 497),
	}
	p := &page{g: &gray{W: CardW, H: CardH, Pix: make([]uint8, CardW*CardH)}, lines: lines}
	var f faceverify.IDCardResult
	if _, err := r.pageFront(p, &lines[len(lines)-1], &f); err != nil {
		t.Fatal(err)
	}
	if f.Name != "罗英" || f.Gender != "男" || f.Nationality != "维吾尔" || f.BirthYear != "1963" {
		t.Errorf("name %q gender %q nationality %q birth %s, want 罗英 男 维吾尔 1963", f.Name, f.Gender, f.Nationality, f.BirthYear)
	}
	for s, want := range map[string]bool{".": true, "M": true, "7": true, "英": false, "·": false, "26号": false} {
		if strayMark(s) != want {
			t.Errorf("strayMark(%q) = %v, want %v", s, !want, want)
		}
	}
}

// TestGenderNation: the gender row as either OCR engine reads it (label read or not).
func TestGenderNation(t *testing.T) {
	for in, want := range map[string][2]string{
		"男民族汉": {"男", "汉"}, "女民族维吾尔": {"女", "维吾尔"}, "男族回": {"男", "回"},
		"女蒙古": {"女", "蒙古"}, "民族满": {"", "满"}, "": {"", ""},
	} {
		if g, n := genderNation(in); g != want[0] || n != want[1] {
			t.Errorf("genderNation(%q) = %q, %q, want %q, %q", in, g, n, want[0], want[1])
		}
	}
}
