package idcard

import (
	"strconv"
	"strings"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/residentid"
)

// Cross-field repair of the front: the citizen number repeats the printed birth date
// (digits 7–14) and its 18th character is a checksum, so a number that fails validation is
// re-read or corrected with the help of the birth line, and a birth line read incompletely
// is completed from the number. The name's surname is checked against common surnames.

// repairNumber corrects an 18-character number that fails ValidateNumber when replacing
// its digits 7–14 by the birth date printed on the card (printed, YYYYMMDD; "" when
// unreadable) makes it valid; otherwise num is returned unchanged. Single-digit
// substitutions that the checksum would allow are deliberately not tried: one position in
// eight gives a valid number, and under the contest stamps the recogniser's own
// alternatives ranked the true digit below wrong ones (measured on 0a1c9d66…_1), so the
// stamp is dealt with by a re-read instead (rereadNumber). Gender parity is not used as a
// constraint: the contest cards print it at random (5 of the 13 dev cards disagree).
func repairNumber(num, printed string) string {
	if len(num) != 18 || len(printed) != 8 || ValidateNumber(num) == nil || num[6:14] == printed {
		return num
	}
	if b := num[:6] + printed + num[14:]; ValidateNumber(b) == nil {
		return b
	}
	return num
}

// addressProvince is the province an address starts with ("" if none is recognised).
func addressProvince(addr string) string {
	for _, p := range residentid.ProvinceNames() {
		if strings.HasPrefix(addr, p) {
			return p
		}
	}
	return ""
}

// birthFromNumber completes a printed birth date read incompletely (digits dropped under a
// stamp or at low resolution: 1981-1-1 for 1981-11-24) from the number's digits 7–14, when
// the number has a real date there and the read date's digits are a proper subsequence of
// the number's (year, month and day written without leading zeros).
func birthFromNumber(num string, y, m, d int) (int, int, int, bool) {
	if len(num) < 17 {
		return 0, 0, 0, false
	}
	b, err := numberBirth(num)
	if err != nil {
		return 0, 0, 0, false
	}
	if b.Year() == y && int(b.Month()) == m && b.Day() == d {
		return 0, 0, 0, false
	}
	read := strconv.Itoa(y) + strconv.Itoa(m) + strconv.Itoa(d)
	full := strconv.Itoa(b.Year()) + strconv.Itoa(int(b.Month())) + strconv.Itoa(b.Day())
	if len(read) >= len(full) || b.Year() != y || !isSubsequence(read, full) {
		return 0, 0, 0, false
	}
	return b.Year(), int(b.Month()), b.Day(), true
}

func isSubsequence(s, of string) bool {
	j := 0
	for i := 0; i < len(of) && j < len(s); i++ {
		if of[i] == s[j] {
			j++
		}
	}
	return j == len(s)
}

// commonSurnames are the ~100 most frequent Chinese surnames (the same list idcard/gen draws
// from), covering most of the population.
const commonSurnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"

// surnameFix replaces the first character of a name read as an uncommon surname by the
// recogniser's second choice at that position when that one is a common surname and was
// given a fair probability (产华根 → 严华根: 产 0.60, 严 0.35).
func surnameFix(name string, row []tline) string {
	rs := []rune(name)
	if len(rs) < 2 || strings.ContainsRune(commonSurnames, rs[0]) {
		return name
	}
	for _, l := range row { // sorted left to right; the first occurrence is the name's
		for _, c := range l.rec.Chars {
			if c.R != rs[0] {
				continue
			}
			if c.Alt != 0 && c.AltP >= 0.1 && strings.ContainsRune(commonSurnames, c.Alt) {
				rs[0] = c.Alt
				return string(rs)
			}
			return name
		}
	}
	return name
}

// rereadNumber reads the number strip again with what usually spoils it taken off: long
// horizontal rules (the frame of a 复印无效 stamp crossing the digits) whitened, on the strip
// as it is and stretched to its own contrast range, then the top 4/5 of the strip (a frame
// crossing the feet of the digits). It returns the readings in that order.
func (r *Reader) rereadNumber(p *page, nl *tline) ([]string, error) {
	strip := p.g.sub(nl.box)
	h := strip.H
	variants := []*gray{
		strip.removeLines(2*h, strip.H+1, max(2, h/6)),
		strip.normalize().removeLines(2*h, strip.H+1, max(2, h/6)),
		p.g.sub(box{X0: nl.X0, Y0: nl.Y0, X1: nl.X1, Y1: nl.Y0 + h*4/5}),
	}
	var out []string
	for _, v := range variants {
		res, err := r.pp.recognize(v, r.ppDigits)
		if err != nil {
			return nil, err
		}
		out = append(out, bestNumber([]string{res.Text}))
	}
	return out, nil
}

// repairFromReread replaces a number that fails validation, or whose date disagrees with
// the printed birth date, by a re-read (rereadNumber) that validates and agrees with the
// printed date, or, for 17-digit numbers, that is 17 digits long and agrees with it. When
// the address starts with a province name (province), the re-read must carry its code.
func (r *Reader) repairFromReread(p *page, nl *tline, f *faceverify.IDCardResult, printed, province string) error {
	n := f.Number
	agrees := func(c string) bool {
		return (printed == "" || len(c) >= 14 && c[6:14] == printed) && (province == "" || Province(c) == province)
	}
	if ValidateNumber(n) == nil || len(n) == 17 && agrees(n) || len(n) < 17 {
		return nil
	}
	reads, err := r.rereadNumber(p, nl)
	if err != nil {
		return err
	}
	for _, c := range reads {
		if ValidateNumber(c) == nil && agrees(c) || len(n) == 17 && len(c) == 17 && printed != "" && agrees(c) {
			f.Number = c
			return nil
		}
	}
	return nil
}
