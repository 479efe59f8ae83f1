package idcard

import (
	"fmt"
	"strconv"
	"time"

	"github.com/faceverify/faceverify/residentid"
)

// Errors returned by ValidateNumber (the rule itself is package residentid's).
var (
	ErrNumberLength   = residentid.ErrLength
	ErrNumberChars    = residentid.ErrChars
	ErrNumberChecksum = residentid.ErrChecksum
	ErrNumberBirth    = residentid.ErrBirth
	ErrNumberRegion   = residentid.ErrRegion
)

// CheckChar returns the GB 11643-1999 check character of the first 17 digits of num.
func CheckChar(num string) byte { return residentid.CheckChar(num) }

// ValidateNumber checks a number read from a card under residentid.Strict: 17 digits and
// a matching check character [0-9X], a real birth date not in the future and not before
// 1900, and a plausible region code. A 17-digit number (as printed on the contest cards)
// is rejected with ErrNumberLength.
func ValidateNumber(num string) error { return residentid.Validate(num, residentid.Strict) }

// numberBirth parses digits 7–14 (YYYYMMDD) of a number with at least 14 digits.
func numberBirth(num string) (time.Time, error) { return residentid.Birth(num) }

// numberGender returns 男 for an odd 17th digit, 女 for an even one.
func numberGender(num string) (string, error) { return residentid.Gender(num) }

// Province returns the province name of a number's region code, "" if unknown.
func Province(num string) string { return residentid.Province(num) }

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
