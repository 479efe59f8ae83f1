package idcard

import (
	"path/filepath"
	"testing"
)

func testGazetteer(t *testing.T) *gazetteer {
	t.Helper()
	g, err := loadGazetteer(filepath.Join(ocrConfig(t).OCRModelDir, gazetteerFile))
	if err != nil {
		t.Fatalf("gazetteer (scripts/setup.d/30-ocr-models.sh): %v", err)
	}
	return g
}

func TestGazetteer(t *testing.T) {
	g := testGazetteer(t)
	fix := map[string]func(string, func(read, want rune) bool) string{"Address": g.Address, "Issuer": g.Issuer}
	for _, c := range []struct{ fn, in, want string }{
		// one character misread in a township, a county
		{"Address", "陕西省宝鸡市陈仓区钓清镇梁家崖村", "陕西省宝鸡市陈仓区钓渭镇梁家崖村"},
		{"Address", "山东省德州市乐象市化楼镇时家村", "山东省德州市乐陵市化楼镇时家村"},
		// right as read: unchanged, down to a village the gazetteer does not hold
		{"Address", "山东省德州市乐陵市化楼镇时家村", "山东省德州市乐陵市化楼镇时家村"},
		{"Address", "湖南省湘西土家族苗族自治州保靖县长潭河乡官庄村", "湖南省湘西土家族苗族自治州保靖县长潭河乡官庄村"},
		// municipalities: with and without their 市辖区 level
		{"Address", "重庆市市辖区开州区三汇口乡", "重庆市市辖区开州区三汇口乡"},
		{"Address", "北京市东城区景山街道", "北京市东城区景山街道"},
		{"Address", "北京市东城区景止街道", "北京市东城区景山街道"},
		// two characters wrong in a three-character name: left as read
		{"Address", "山东省德州市乐陵市化博锁时家村", "山东省德州市乐陵市化博锁时家村"},
		// not an address
		{"Address", "公安局", "公安局"},
		{"Address", "", ""},
		{"Issuer", "宝鸡市陈仓区公安局", "宝鸡市陈仓区公安局"},
		{"Issuer", "德州市乐象市公安局", "德州市乐陵市公安局"},
		{"Issuer", "市辖区开州区公安局", "市辖区开州区公安局"},
		{"Issuer", "陈仓区公安局", "陈仓区公安局"},
	} {
		if got := fix[c.fn](c.in, nil); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.fn, c.in, got, c.want)
		}
	}
	var nilG *gazetteer
	if got := nilG.Address("x", nil); got != "x" {
		t.Errorf("nil gazetteer changed the text: %q", got)
	}
}

// A character the recogniser read without doubt is kept even where the gazetteer writes
// another (variant characters: 橘子洲 / 桔子洲).
func TestGazetteerKeepsSureCharacters(t *testing.T) {
	g := testGazetteer(t)
	in := "湖南省长沙市岳麓区橘子洲街道光利路252号"
	if got := g.Address(in, func(read, want rune) bool { return true }); got != in {
		t.Errorf("sure characters replaced: %q", got)
	}
	if got := g.Address(in, nil); got != "湖南省长沙市岳麓区桔子洲街道光利路252号" {
		t.Errorf("doubtful character kept: %q", got)
	}
	lines := []tline{{Text: "橘子洲", rec: recResult{Chars: []recChar{{R: '橘', P: 0.99}, {R: '子', P: 0.5, Alt: '孑'}}}}}
	sure := sureChars(lines)
	if !sure('橘', '桔') || sure('子', '孑') || sure('洲', '州') {
		t.Error("sureChars: want 橘 sure, 子 (low probability) and 洲 (not read) unsure")
	}
}
