package idcard

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/faceverify/faceverify"
)

// LabelledImage is one row of the contest dataset's labels.csv (see
// ../shared/datasets/idcards/SOURCE.txt): an image and the fields of the card it shows.
type LabelledImage struct {
	Path  string // absolute path of the image
	Kind  string // raw_both_sides | rectified_side_crop
	Truth faceverify.IDCardResult
}

// LoadLabels reads labels.csv of the idcards dataset directory.
func LoadLabels(dir string) ([]LabelledImage, error) {
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("idcard: %s: no rows", f.Name())
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"image", "image_kind", "name", "ethnicity", "sex", "birth_year", "birth_month", "birth_day", "address", "id_number", "issuing_authority", "validity"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("idcard: labels.csv lacks column %q", h)
		}
	}
	var out []LabelledImage
	for _, r := range rows[1:] {
		li := LabelledImage{Path: filepath.Join(dir, r[col["image"]]), Kind: r[col["image_kind"]]}
		t := &li.Truth
		t.Name, t.Nationality, t.Gender = r[col["name"]], r[col["ethnicity"]], r[col["sex"]]
		t.BirthYear, t.BirthMonth, t.BirthDay = r[col["birth_year"]], r[col["birth_month"]], r[col["birth_day"]]
		t.Address, t.Number, t.IssuedBy = r[col["address"]], r[col["id_number"]], r[col["issuing_authority"]]
		if a, b, ok := strings.Cut(r[col["validity"]], "-"); ok {
			t.ValidDateStart = strings.ReplaceAll(a, ".", "")
			t.ValidDateEnd = strings.ReplaceAll(b, ".", "")
		}
		out = append(out, li)
	}
	return out, nil
}

// FieldNames lists the compared fields, front then back.
var FieldNames = []string{"name", "gender", "nationality", "birth", "address", "idcard_number", "issued_by", "valid_date"}

// FrontFields / BackFields say which side prints which field.
var (
	FrontFields = FieldNames[:6]
	BackFields  = FieldNames[6:]
)

// FieldValue returns a compared field of r ("birth" is Y-M-D, "valid_date" start-end).
func FieldValue(r faceverify.IDCardResult, name string) string {
	switch name {
	case "name":
		return r.Name
	case "gender":
		return r.Gender
	case "nationality":
		return r.Nationality
	case "birth":
		if r.BirthYear == "" {
			return ""
		}
		return r.BirthYear + "-" + r.BirthMonth + "-" + r.BirthDay
	case "address":
		return r.Address
	case "idcard_number":
		return r.Number
	case "issued_by":
		return r.IssuedBy
	case "valid_date":
		if r.ValidDateStart == "" {
			return ""
		}
		return r.ValidDateStart + "-" + r.ValidDateEnd
	}
	return ""
}
