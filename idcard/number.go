package idcard

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Errors returned by ValidateNumber.
var (
	ErrNumberLength   = errors.New("idcard: number must have 17 digits and a check character")
	ErrNumberChars    = errors.New("idcard: number must be 17 digits followed by a digit or X")
	ErrNumberChecksum = errors.New("idcard: check character does not match (GB 11643-1999)")
	ErrNumberBirth    = errors.New("idcard: birth date in the number is not a valid date")
	ErrNumberRegion   = errors.New("idcard: region code is not plausible")
)

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

var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const checkChars = "10X98765432"

// CheckChar returns the GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17
// digits of num. It panics if num has fewer than 17 bytes; non-digits count as 0.
func CheckChar(num string) byte {
	s := 0
	for i := 0; i < 17; i++ {
		s += int(num[i]-'0') * weights[i]
	}
	return checkChars[s%11]
}

// ValidateNumber checks a citizen identity number strictly: 17 digits and a check character
// [0-9X] matching GB 11643-1999, a real birth date not in the future and not before 1900,
// and a plausible region code (known province, non-zero prefecture/county part).
// A 17-digit number (as printed on the contest cards) is rejected with ErrNumberLength.
func ValidateNumber(num string) error {
	if len(num) != 18 {
		return ErrNumberLength
	}
	for i := 0; i < 17; i++ {
		if num[i] < '0' || num[i] > '9' {
			return ErrNumberChars
		}
	}
	if c := num[17]; !(c >= '0' && c <= '9' || c == 'X') {
		return ErrNumberChars
	}
	if _, ok := provinces[num[:2]]; !ok || num[2:6] == "0000" {
		return ErrNumberRegion
	}
	if _, err := numberBirth(num); err != nil {
		return err
	}
	if CheckChar(num) != num[17] {
		return ErrNumberChecksum
	}
	return nil
}

// numberBirth parses digits 7–14 (YYYYMMDD) of a number with at least 14 digits.
func numberBirth(num string) (time.Time, error) {
	if len(num) < 14 {
		return time.Time{}, ErrNumberLength
	}
	d, err := time.Parse("20060102", num[6:14])
	if err != nil || d.Year() < 1900 || d.After(time.Now().AddDate(0, 0, 1)) {
		return time.Time{}, ErrNumberBirth
	}
	return d, nil
}

// numberGender returns 男 for an odd 17th digit, 女 for an even one.
func numberGender(num string) (string, error) {
	if len(num) < 17 || num[16] < '0' || num[16] > '9' {
		return "", ErrNumberLength
	}
	if (num[16]-'0')%2 == 1 {
		return "男", nil
	}
	return "女", nil
}

// Province returns the province name of a number's region code, "" if unknown.
func Province(num string) string {
	if len(num) < 2 {
		return ""
	}
	return provinces[num[:2]]
}

// atoiTrim parses a decimal field such as "03" or "3"; -1 if it is not a number.
func atoiTrim(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// formatDate renders YYYYMMDD.
func formatDate(y, m, d int) string { return fmt.Sprintf("%04d%02d%02d", y, m, d) }
