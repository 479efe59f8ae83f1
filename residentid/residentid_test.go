package residentid_test

import (
	"testing"

	"github.com/faceverify/faceverify/residentid"
)

func TestValidateRules(t *testing.T) {
	const ok = "11010519491231002X"
	cases := []struct {
		num                     string
		strict, lite, cloudauth error
	}{
		{ok, nil, nil, nil},
		{"110105194912310021", residentid.ErrChecksum, residentid.ErrChecksum, residentid.ErrChecksum},
		{"11010519491231002x", residentid.ErrChars, residentid.ErrChars, residentid.ErrChars},
		{"A1010519491231002X", residentid.ErrChars, residentid.ErrChars, residentid.ErrChars},
		{"11010519491231002", residentid.ErrLength, residentid.ErrLength, residentid.ErrLength},
		{"1101051949123100211", residentid.ErrLength, residentid.ErrLength, residentid.ErrLength},
		// legacy 15 digits: only Lite takes them
		{"110105491231002", residentid.ErrLength, nil, residentid.ErrLength},
		{"11010549123100A", residentid.ErrLength, residentid.ErrChars, residentid.ErrLength},
		// checksum fine, born 1880: Cloudauth's floor, below the reader's
		{"440524188001010014", residentid.ErrBirth, nil, nil},
		// 30 February: the rules that read the birth date say so before the checksum
		{"110105194902300025", residentid.ErrBirth, residentid.ErrChecksum, residentid.ErrBirth},
		// no province 99 / province only: only the reader checks the region
		{"990105194912310028", residentid.ErrRegion, residentid.ErrChecksum, residentid.ErrChecksum},
		{"110000194912310020", residentid.ErrRegion, residentid.ErrChecksum, residentid.ErrChecksum},
		{"99010519491231002" + string(residentid.CheckChar("99010519491231002")), residentid.ErrRegion, nil, nil},
	}
	for _, c := range cases {
		for _, r := range []struct {
			name  string
			rules residentid.Rules
			want  error
		}{{"strict", residentid.Strict, c.strict}, {"lite", residentid.Lite, c.lite}, {"cloudauth", residentid.Cloudauth, c.cloudauth}} {
			if got := residentid.Validate(c.num, r.rules); got != r.want {
				t.Errorf("%s under %s: %v, want %v", c.num, r.name, got, r.want)
			}
		}
	}
}

func TestTo18(t *testing.T) {
	n, err := residentid.To18("110105491231002")
	if err != nil || n != "11010519491231002X" {
		t.Fatalf("%q %v", n, err)
	}
	if residentid.Validate(n, residentid.Strict) != nil {
		t.Fatal("a converted number must be valid")
	}
	for _, bad := range []string{"11010549123100", "11010549123100A", "11010519491231002X"} {
		if _, err := residentid.To18(bad); err == nil {
			t.Errorf("%q converted", bad)
		}
	}
}

func TestBirthGenderProvince(t *testing.T) {
	b, err := residentid.Birth("11010519491231002X")
	if err != nil || b.Format("2006-01-02") != "1949-12-31" {
		t.Fatalf("%v %v", b, err)
	}
	if g, _ := residentid.Gender("11010519491231002X"); g != "女" {
		t.Fatalf("gender %s", g)
	}
	if g, _ := residentid.Gender("110101199003074514"); g != "男" {
		t.Fatalf("gender %s", g)
	}
	if p := residentid.Province("11010519491231002X"); p != "北京" {
		t.Fatalf("province %q", p)
	}
	if residentid.CheckChar("11010519491231002") != 'X' {
		t.Fatal("check character")
	}
}
