package idcard

import (
	"time"

	"github.com/faceverify/faceverify"
)

// CheckConsistency checks the fields read from a card against each other and against now:
//   - front (when Number is set): the number is valid (ValidateNumber), its birth date equals
//     the printed birth_year/month/day and its 17th digit's parity the printed gender
//     (odd 男, even 女) → otherwise IDCARD_PHOTO_FRONTSIDE;
//   - back (when ValidDateStart is set): start and end are real dates (end may be 长期),
//     start ≤ now, start after the birth date when known, end after start, and the card is not
//     expired (end ≥ now, day granularity, in the card's time zone UTC+8) → otherwise
//     IDCARD_BACKSIDE_BLURRED (the vendor code for "back unreadable or logically wrong").
//
// It returns the zero Result when everything present is consistent.
func CheckConsistency(f faceverify.IDCardResult, now time.Time) faceverify.Result {
	var birth time.Time
	if f.Number != "" {
		if ValidateNumber(f.Number) != nil {
			return faceverify.ResultIDCardFrontside
		}
		birth, _ = numberBirth(f.Number)
		if f.BirthYear != "" || f.BirthMonth != "" || f.BirthDay != "" {
			if atoiTrim(f.BirthYear) != birth.Year() || atoiTrim(f.BirthMonth) != int(birth.Month()) ||
				atoiTrim(f.BirthDay) != birth.Day() {
				return faceverify.ResultIDCardFrontside
			}
		}
		if f.Gender != "" {
			if g, _ := numberGender(f.Number); g != f.Gender {
				return faceverify.ResultIDCardFrontside
			}
		}
	}
	if f.ValidDateStart != "" || f.ValidDateEnd != "" {
		cst := time.FixedZone("CST", 8*3600)
		today := now.In(cst).Format("20060102")
		start, err := time.Parse("20060102", f.ValidDateStart)
		if err != nil || f.ValidDateStart > today {
			return faceverify.ResultIDCardBacksideBlurred
		}
		if !birth.IsZero() && start.Before(birth) {
			return faceverify.ResultIDCardBacksideBlurred
		}
		if f.ValidDateEnd != "长期" {
			end, err := time.Parse("20060102", f.ValidDateEnd)
			if err != nil || !end.After(start) {
				return faceverify.ResultIDCardBacksideBlurred
			}
			if f.ValidDateEnd < today {
				return faceverify.ResultIDCardBacksideBlurred
			}
		}
	}
	return faceverify.Result{}
}
