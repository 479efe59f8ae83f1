package idcard

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/faceverify/faceverify"
	"github.com/otiai10/gosseract/v2"
)

// Ethnicities are the 56 recognised nationalities as printed on cards (without 族), plus
// 崩龙 (德昂's name before 1985, still on old cards and on the contest cards).
var Ethnicities = []string{
	"汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
	"土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西",
	"景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌",
	"普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
	"独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "崩龙",
}

// snapEthnicity maps OCR text to the closest listed ethnicity (most shared characters,
// then shortest); "" when nothing shares a character.
func snapEthnicity(s string) string {
	s = strings.TrimSuffix(s, "族")
	best, bestN := "", 0
	for _, e := range Ethnicities {
		if e == s {
			return e
		}
		n := 0
		for _, c := range e {
			if strings.ContainsRune(s, c) {
				n++
			}
		}
		// score: shared characters minus the unmatched remainder of the candidate
		sc := 2*n - len([]rune(e))
		if n > 0 && (sc > bestN || best == "") {
			best, bestN = e, sc
		}
	}
	return best
}

// cjkOnly keeps Han characters.
func cjkOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Han, r) {
			return r
		}
		return -1
	}, s)
}

// addressClean keeps Han characters, digits, Latin letters and the punctuation used in
// addresses.
func addressClean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Han, r), r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
			return r
		case strings.ContainsRune("-#()（）·", r):
			return r
		}
		return -1
	}, s)
}

// readFrontFields reads the value column of a front side; it returns the text lines (in
// column coordinates) for the layout check.
func (r *Reader) readFrontFields(v view, f *faceverify.IDCardResult) ([]line, error) {
	col := zone(v.g, zoneValues).normalize()
	lines, err := r.pool.lines(col, ocrOpts{PSM: gosseract.PSM_SINGLE_BLOCK})
	if err != nil {
		return nil, err
	}
	// Birth line: the first line with a plausible year. Gender line: the line before it
	// holding 男/女 (or the one before). Name: the first line above. Address: the lines below.
	bi := -1
	for i, l := range lines {
		if reBirth.MatchString(compact(l.Text)) || strings.ContainsAny(l.Text, "年月") && len(digitsOf(l.Text)) >= 4 {
			bi = i
			break
		}
	}
	gi := -1
	for i, l := range lines {
		if bi >= 0 && i >= bi {
			break
		}
		if strings.ContainsAny(l.Text, "男女") {
			gi = i
		}
	}
	if gi < 0 && bi > 0 {
		gi = bi - 1
	}
	if gi > 0 {
		f.Name = cleanName(lines[gi-1].Text)
	} else if gi < 0 && bi < 0 && len(lines) > 0 {
		f.Name = cleanName(lines[0].Text)
	}
	if gi >= 0 {
		f.Gender, f.Nationality = genderNation(compact(lines[gi].Text))
	}
	if bi >= 0 {
		// Re-read the birth line alone, constrained to digits and 年月日.
		l := lines[bi]
		pad := (l.Y1 - l.Y0) / 3
		sub := col.crop(0, float64(l.Y0-pad)/float64(col.H), 1, float64(l.Y1+pad)/float64(col.H))
		t, err := r.pool.text(sub, ocrOpts{PSM: gosseract.PSM_SINGLE_LINE, Whitelist: "0123456789年月日"})
		if err != nil {
			return nil, err
		}
		y, m, d, ok := parseBirth(t)
		if !ok {
			y, m, d, ok = parseBirth(l.Text)
		}
		if ok {
			setBirth(f, y, m, d)
		}
		var addr strings.Builder
		for _, l := range lines[bi+1:] {
			addr.WriteString(addressClean(l.Text))
		}
		f.Address = r.places.Address(addr.String(), nil)
	}
	// Fall back on the number for fields whose printed text could not be read at all
	// (a read value that disagrees is kept: CheckConsistency rejects it).
	if ValidateNumber(f.Number) == nil {
		if f.BirthYear == "" {
			b, _ := numberBirth(f.Number)
			setBirth(f, b.Year(), int(b.Month()), b.Day())
		}
		if f.Gender == "" {
			f.Gender, _ = numberGender(f.Number)
		}
	}
	return lines, nil
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// parseBirth reads "1969年2月10日" (with OCR noise) into numbers.
func parseBirth(s string) (y, m, d int, ok bool) { return parseDate(reBirth, s) }

// parseDate reads a date matched by re (year, month, day submatches) into numbers; ok is
// false without a match or with a month or day out of range.
func parseDate(re *regexp.Regexp, s string) (y, m, d int, ok bool) {
	s = compact(s)
	if mm := re.FindStringSubmatch(s); mm != nil {
		y, m, d = atoiTrim(mm[1]), atoiTrim(mm[2]), atoiTrim(mm[3])
		if m >= 1 && m <= 12 && d >= 1 && d <= 31 {
			return y, m, d, true
		}
	}
	return 0, 0, 0, false
}

// cleanName keeps the Han characters of a name line (and the middle dot of transliterated
// names).
func cleanName(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Han, r) || r == '·' {
			return r
		}
		return -1
	}, s)
}

// readBackFields reads the issuing authority and the validity; it returns their text lines
// (in the coordinates of the card) for the layout check.
func (r *Reader) readBackFields(v view, f *faceverify.IDCardResult) ([]line, error) {
	iz := zone(v.g, zoneIssuer).normalize()
	il, err := r.pool.lines(iz, ocrOpts{PSM: gosseract.PSM_SINGLE_BLOCK})
	if err != nil {
		return nil, err
	}
	var t strings.Builder
	for _, l := range il {
		t.WriteString(l.Text)
	}
	f.IssuedBy = r.places.Issuer(cleanIssuer(t.String()), nil)
	vz := zone(v.g, zoneValidity).normalize()
	vl, err := r.pool.lines(vz, ocrOpts{PSM: gosseract.PSM_SINGLE_LINE, Whitelist: "0123456789.-长期"})
	if err != nil {
		return nil, err
	}
	t.Reset()
	for _, l := range vl {
		t.WriteString(l.Text)
	}
	f.ValidDateStart, f.ValidDateEnd = parseValidity(t.String())
	// Both zones start at the same x on the card: compare their lines' left edges.
	dx := int((zoneIssuer[0] - zoneValidity[0]) * float64(v.g.W))
	var ls []line
	for _, l := range il {
		ls = append(ls, l)
	}
	for _, l := range vl {
		l.X0 -= dx
		l.X1 -= dx
		ls = append(ls, l)
	}
	return ls, nil
}

// cleanIssuer keeps the Han characters of the issuing authority, dropping a leading label
// fragment (签发机关) and anything after the final 局.
func cleanIssuer(s string) string {
	s = cjkOnly(s)
	if start, _ := labelAt(s, "签发机关"); start { // the label with one character misread (蜜发机关)
		s = string([]rune(s)[4:])
	}
	for _, p := range []string{"签发机关", "发机关", "机关", "关"} {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	if i := strings.LastIndex(s, "局"); i >= 0 {
		s = s[:i+len("局")]
	}
	// Every issuer is a public security bureau (公安局) or one of its branches (分局): an
	// ending lost under a stamp or at the card's edge is restored.
	switch {
	case strings.HasSuffix(s, "公安"), strings.HasSuffix(s, "分"):
		s += "局"
	case strings.HasSuffix(s, "公"):
		s += "安局"
	}
	return s
}

// parseValidity reads "2015.07.15-2035.07.15" or "2015.07.15-长期" into YYYYMMDD / 长期.
func parseValidity(s string) (start, end string) {
	s = compact(s)
	// Readings in order of trust: the dates as printed (separators read), the digits by
	// position (YYYYMMDDYYYYMMDD: the card prints both dates zero-padded, so a lost or
	// merged separator does not move a digit), the end cut after its year. The first that
	// spans a validity a card can have (5, 10 or 20 years to the day, or 长期) wins; else the
	// first reading with a start.
	var cands [][2]string
	if m := reValidity.FindStringSubmatch(s); m != nil {
		y, mo, d := atoiTrim(m[1]), atoiTrim(m[2]), atoiTrim(m[3])
		if mo >= 1 && mo <= 12 && d >= 1 && d <= 31 {
			c := [2]string{formatDate(y, mo, d), ""}
			if m[7] != "" {
				c[1] = "长期"
			} else if y2, mo2, d2 := atoiTrim(m[4]), atoiTrim(m[5]), atoiTrim(m[6]); mo2 >= 1 && mo2 <= 12 && d2 >= 1 && d2 <= 31 {
				c[1] = formatDate(y2, mo2, d2)
			}
			cands = append(cands, c)
		}
	}
	if st, en := validityDigits(s); st != "" {
		cands = append(cands, [2]string{st, en})
	}
	if st, en := validityFromYear(s); st != "" {
		cands = append(cands, [2]string{st, en})
	}
	for _, c := range cands {
		if validitySpan(c[0], c[1]) {
			return c[0], c[1]
		}
	}
	if len(cands) == 0 {
		return "", ""
	}
	return cands[0][0], cands[0][1]
}

// validityDigits reads a validity from its digits by position: the first 8 form the start
// date, the next 8 the end (or the end's year alone, completed by validityFromYear's rule);
// 长期 anywhere after the start is a long-term card.
func validityDigits(s string) (start, end string) {
	d := digitsOf(s)
	if len(d) < 8 {
		return "", ""
	}
	y, mo, dd := atoiTrim(d[:4]), atoiTrim(d[4:6]), atoiTrim(d[6:8])
	if y < 1980 || y > 2100 || mo < 1 || mo > 12 || dd < 1 || dd > 31 {
		return "", ""
	}
	start = d[:8]
	switch {
	case strings.Contains(s, "长期"):
		return start, "长期"
	case len(d) >= 16:
		if e := d[8:16]; validitySpan(start, e) {
			return start, e
		}
	}
	if len(d) >= 12 {
		if _, e := validityFromYear(d[:4] + "." + d[4:6] + "." + d[6:8] + "-" + d[8:12]); e != "" {
			return start, e
		}
	}
	return start, ""
}

// validitySpan: start → end is a validity a card is issued with (GA 450: 5, 10 or 20 years,
// ending on the day of issue; 29 February ends on 1 March in a common year), or long-term.
func validitySpan(start, end string) bool {
	if len(start) != 8 || end == "" {
		return false
	}
	if end == "长期" {
		return true
	}
	if len(end) != 8 {
		return false
	}
	switch atoiTrim(end[:4]) - atoiTrim(start[:4]) {
	case 5, 10, 20:
	default:
		return false
	}
	return end[4:] == start[4:] || start[4:] == "0229" && end[4:] == "0301"
}

// reValidityYear is a validity whose end date is cut after its year (a stamp over it).
var reValidityYear = regexp.MustCompile(`(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D{0,3}?(\d{4})`)

// validityFromYear completes "2012.10.17-2032" (the end's month and day hidden): a card is
// valid for 5, 10 or 20 years and expires on the day of issue (GA 450), so the end date is
// the start date in the end year. Any other span is not completed.
func validityFromYear(s string) (start, end string) {
	m := reValidityYear.FindStringSubmatch(s)
	if m == nil {
		return "", ""
	}
	y, mo, d, y2 := atoiTrim(m[1]), atoiTrim(m[2]), atoiTrim(m[3]), atoiTrim(m[4])
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return "", ""
	}
	switch y2 - y {
	case 5, 10, 20:
		if mo == 2 && d == 29 && !(y2%4 == 0 && (y2%100 != 0 || y2%400 == 0)) {
			return formatDate(y, mo, d), formatDate(y2, 3, 1)
		}
		return formatDate(y, mo, d), formatDate(y2, mo, d)
	}
	return formatDate(y, mo, d), ""
}

// genderNation reads the gender row's text (either OCR engine): the gender is its 男 or 女,
// the nationality what follows the last 族 (of the label 民族), or the gender when the label
// was not read, snapped to the 56 names.
func genderNation(t string) (gender, nationality string) {
	if i := strings.IndexAny(t, "男女"); i >= 0 {
		gender = t[i : i+3]
	}
	rest := t
	if i := strings.LastIndex(rest, "族"); i >= 0 {
		rest = rest[i+len("族"):]
	} else if i := strings.IndexAny(rest, "男女"); i >= 0 {
		rest = rest[i+3:]
	}
	return gender, snapEthnicity(cjkOnly(strings.NewReplacer("民", "", "族", "").Replace(rest)))
}
