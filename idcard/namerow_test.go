package idcard

import (
	"testing"

	"github.com/faceverify/faceverify"
)

// tl is a read line at x0,y0–x1,y1 of a rectified page.
func tl(text string, x0, y0, x1, y1 int) tline {
	return tline{box: box{X0: x0, Y0: y0, X1: x1, Y1: y1, Score: 0.99}, Text: text}
}

// replayFront runs pageFront on a blank page holding lines as a front's were read (the
// number's line last): the fields and the layout check's value boxes.
func replayFront(t *testing.T, lines []tline) (faceverify.IDCardResult, []line) {
	t.Helper()
	p := &page{g: &gray{W: CardW, H: CardH, Pix: make([]uint8, CardW*CardH)}, lines: lines}
	var f faceverify.IDCardResult
	values, err := testReader(t).pageFront(p, &lines[len(lines)-1], &f)
	if err != nil {
		t.Fatal(err)
	}
	return f, values
}

// TestNameRowSpeck: a speck between the label 姓名 and the name, read as ".", is not a row of
// its own (it stood between the name and the gender row, which takes the row above it for
// the name: the name was read empty on a clear photographed card, dev seed 3 #7). The lines
// are that card's, as read.
func TestNameRowSpeck(t *testing.T) {
	lines := []tline{
		tl("样本SPECIMEN·测试专用", 8, 14, 226, 38),
		tl("姓名", 64, 109, 141, 143), tl(".", 129, 117, 140, 129), tl("罗英", 167, 103, 242, 143),
		tl("性别", 65, 172, 141, 206), tl("男", 163, 168, 208, 204), tl("民族维吾尔", 284, 164, 494, 207),
		tl("出生", 64, 234, 137, 270), tl("1963年5月22日", 173, 233, 431, 265),
		tl("住址", 65, 297, 137, 331), tl("山东省济南市历下区泉城路", 174, 294, 573, 327), tl("街道利华路26号", 172, 340, 411, 378),
		tl("公民身份号码", 70, 466, 227, 498), tl("370102196305229236", 295, 461, 789, 497),
	}
	f, _ := replayFront(t, lines)
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

// TestPapersBesideFront: a page whose quad grew past the card over papers holds the papers'
// lines above the card and down its left (dev seed 6 #18, the lines as read): they are not the
// card's (nothing is printed left of the labels, no field above the name), so the address is
// not joined to them and the layout check, which had called the card edited
// (FAIL_OCR_FAKE_IDCARD), does not count them.
func TestPapersBesideFront(t *testing.T) {
	lines := []tline{
		tl("伟人生建娟朝生放浩解辉化婷平文胜", 178, 53, 422, 74), tl("样本SPECIMEN·测试专用", 127, 86, 295, 118),
		tl("姓名", 170, 162, 225, 188), tl("闫兰梓", 244, 154, 330, 187),
		tl("性别", 170, 204, 227, 233), tl("女", 248, 202, 278, 230), tl("民族满", 335, 199, 450, 232),
		tl("出生", 172, 249, 226, 278), tl("1987年1月21日", 250, 249, 452, 275),
		tl("伟", 99, 303, 128, 326), tl("住址", 172, 294, 226, 321), tl("重庆市渝中区朝天门街道胜", 249, 291, 573, 323),
		tl("浩", 99, 329, 128, 352), tl("和路73号", 250, 326, 357, 357),
		tl("国", 99, 354, 128, 377), tl("涵", 99, 379, 128, 402), tl("英亲", 99, 405, 131, 427),
		tl("公民身份号码", 176, 440, 330, 470), tl("500103198701214845", 380, 436, 800, 472),
	}
	f, values := replayFront(t, lines)
	if f.Name != "闫兰梓" || f.Address != "重庆市渝中区朝天门街道胜和路73号" {
		t.Errorf("name %q address %q, want 闫兰梓, 重庆市渝中区朝天门街道胜和路73号", f.Name, f.Address)
	}
	for _, v := range values {
		if v.Y1 < 100 || v.X1 <= 170 {
			t.Errorf("layout check counts %q at %d,%d (off the card)", v.Text, v.X0, v.Y0)
		}
	}
	if m := misalignment(values); m > 0.6 {
		t.Errorf("misalignment %.2f, want the card's own ≤ 0.6", m)
	}
}
