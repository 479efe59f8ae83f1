package idcard

import "testing"

// TestPageTitle: the back's title counts as read from lines that read as pieces of it, not
// from the title's characters scattered over papers' names (a blank back on papers was
// taken for an unreadable back, IDCARD_BACKSIDE_BLURRED, instead of IDCARD_PHOTO_NOTBACKSIDE).
func TestPageTitle(t *testing.T) {
	g := &gray{W: CardW, H: CardH}
	at := func(y int, texts ...string) []tline {
		var ls []tline
		for i, s := range texts {
			ls = append(ls, tline{box: box{X0: 100, Y0: y + 40*i, X1: 400, Y1: y + 40*i + 30}, Text: s})
		}
		return ls
	}
	for _, c := range []struct {
		name  string
		lines []tline
		min   int // pageTitle's count at least …
		max   int // … and at most
	}{
		{"title", at(60, "中华人民共和国", "居民身份证"), 8, 8},
		{"title misread", at(60, "中华人民共和目", "居民身分证"), 6, 7},
		{"title in pieces", at(60, "中华人民", "共和国", "居民身份证"), 8, 8},
		{"title merged with a neighbour", at(60, "中华人民共和国居民身份证签发"), 8, 8},
		{"papers' names", at(10, "放生明轩和军人", "华明豪福飞放浩光建放宇明德", "梓中桂幸丽光超朝英阳",
			"国明博设子利晓设艳胜涵人英明", "远新志和敏解", "佳化燕解玉胜雪人玉阳雪胜兰朝"), 0, 1},
		{"title below the top", at(400, "中华人民共和国"), 0, 0},
		{"title above the labels on a page over papers", append(at(400, "中华人民共和国", "居民身份证"), at(490, "签发机关")...), 8, 8},
	} {
		n, _ := pageTitle(&page{g: g, lines: c.lines})
		if n < c.min || n > c.max {
			t.Errorf("%s: pageTitle %d, want %d–%d", c.name, n, c.min, c.max)
		}
	}
	for s, want := range map[string]int{"中华人民共和国": 7, "放生明轩和军人": 1, "中x华人": 3, "中xx华人": 2, "居民身份证": 5, "": 0} {
		if got := titleRun(s); got != want {
			t.Errorf("titleRun(%q) = %d, want %d", s, got, want)
		}
	}
}
