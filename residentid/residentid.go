// Package residentid is the one implementation of the citizen identity number of GB
// 11643-1999: the ISO 7064 MOD 11-2 check character, the birth date (digits 7–14), the
// region code (GB/T 2260 province prefix), the gender digit and the conversion of a legacy
// 15-digit number to 18 digits. The dialects, the ID card reader and the card generator
// all use it; where they accept different numbers, the difference is a named Rules value
// here, not a second implementation. It knows nothing about wire formats or OCR.
package residentid

import (
	"errors"
	"time"
)

// Errors of Validate, in the order they are checked.
var (
	ErrLength   = errors.New("idcard: number must have 17 digits and a check character")
	ErrChars    = errors.New("idcard: number must be 17 digits followed by a digit or X")
	ErrRegion   = errors.New("idcard: region code is not plausible")
	ErrBirth    = errors.New("idcard: birth date in the number is not a valid date")
	ErrChecksum = errors.New("idcard: check character does not match (GB 11643-1999)")
)

// Rules choose which numbers Validate accepts. Every 18-character number must be 17
// digits, a check character [0-9X] and a matching checksum; the rest is per caller.
type Rules struct {
	// Legacy15 accepts a 15-digit number (issued before 1999): digits only, none of the
	// other checks apply to it.
	Legacy15 bool
	// Region requires a known province prefix and a non-zero prefecture/county part.
	Region bool
	// Birth requires digits 7–14 to be a real date from MinBirthYear on.
	Birth        bool
	MinBirthYear int
	// NotFuture additionally refuses a birth date after tomorrow (with Birth).
	NotFuture bool
}

// The rules in use.
var (
	// Strict is what the ID card reader accepts from a photographed card: 18 characters,
	// a known region, a birth date from 1900 and not in the future.
	Strict = Rules{Region: true, Birth: true, MinBirthYear: 1900, NotFuture: true}
	// Lite is FaceID Lite's idcard_number: an 18-character number with a matching check
	// character, or a legacy 15-digit one; birth date and region are not checked.
	Lite = Rules{Legacy15: true}
	// Cloudauth is Cloudauth's CertNo: 18 characters with a matching check character and a
	// real birth date from 1880 (no region check, no future check).
	Cloudauth = Rules{Birth: true, MinBirthYear: 1880}
)

var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const checkChars = "10X98765432"

// CheckChar returns the check character (ISO 7064 MOD 11-2) of the first 17 digits of num.
// It panics if num has fewer than 17 bytes; non-digits count as their byte value minus '0'.
func CheckChar(num string) byte {
	s := 0
	for i := 0; i < 17; i++ {
		s += int(num[i]-'0') * weights[i]
	}
	return checkChars[s%11]
}

// provinces are the first two digits of GB/T 2260 administrative codes in use on resident
// cards (mainland provinces, autonomous regions and municipalities; 71 Taiwan, 81 Hong Kong,
// 82 Macau for residence permits of the same format).
var provinces = map[string]string{
	"11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
	"21": "辽宁", "22": "吉林", "23": "黑龙江",
	"31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
	"41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
	"50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
	"61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
	"71": "台湾", "81": "香港", "82": "澳门",
}

// Province returns the province name of a number's region code, "" if unknown.
func Province(num string) string {
	if len(num) < 2 {
		return ""
	}
	return provinces[num[:2]]
}

// ProvinceNames lists the province names of the region codes (in no particular order).
func ProvinceNames() []string {
	out := make([]string, 0, len(provinces))
	for _, p := range provinces {
		out = append(out, p)
	}
	return out
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Validate checks num under r; the error says the first check that failed.
func Validate(num string, r Rules) error {
	if len(num) == 15 && r.Legacy15 {
		if !digits(num) {
			return ErrChars
		}
		return nil
	}
	if len(num) != 18 {
		return ErrLength
	}
	if !digits(num[:17]) {
		return ErrChars
	}
	if c := num[17]; !(c >= '0' && c <= '9' || c == 'X') {
		return ErrChars
	}
	if r.Region {
		if _, ok := provinces[num[:2]]; !ok || num[2:6] == "0000" {
			return ErrRegion
		}
	}
	if r.Birth {
		d, err := time.Parse("20060102", num[6:14])
		if err != nil || d.Year() < r.MinBirthYear || r.NotFuture && d.After(time.Now().AddDate(0, 0, 1)) {
			return ErrBirth
		}
	}
	if CheckChar(num) != num[17] {
		return ErrChecksum
	}
	return nil
}

// Birth parses digits 7–14 (YYYYMMDD) of a number with at least 14 digits: a real date
// from 1900, not after tomorrow.
func Birth(num string) (time.Time, error) {
	if len(num) < 14 {
		return time.Time{}, ErrLength
	}
	d, err := time.Parse("20060102", num[6:14])
	if err != nil || d.Year() < 1900 || d.After(time.Now().AddDate(0, 0, 1)) {
		return time.Time{}, ErrBirth
	}
	return d, nil
}

// Gender returns 男 for an odd 17th digit, 女 for an even one.
func Gender(num string) (string, error) {
	if len(num) < 17 || num[16] < '0' || num[16] > '9' {
		return "", ErrLength
	}
	if (num[16]-'0')%2 == 1 {
		return "男", nil
	}
	return "女", nil
}

// To18 converts a legacy 15-digit number (YYMMDD birth, 20th century) to its 18-digit
// form: the century 19 inserted before the birth year and the check character appended.
func To18(num string) (string, error) {
	if len(num) != 15 {
		return "", ErrLength
	}
	if !digits(num) {
		return "", ErrChars
	}
	n := num[:6] + "19" + num[6:]
	return n + string(CheckChar(n)), nil
}
