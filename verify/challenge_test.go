package verify

import "testing"

func TestChallenge(t *testing.T) {
	for _, c := range []string{"1111", "1234", "4321", "1212", "1122", "1221", "0001", "5550", "0123", "9876", "7778", "12", "12a4"} {
		if !EasyChallenge(c) {
			t.Errorf("%s should be easy", c)
		}
	}
	for _, c := range []string{"4821", "3907", "5162", "1351", "9021", "1240"} {
		if EasyChallenge(c) {
			t.Errorf("%s should be fine", c)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 500; i++ {
		c := NewChallenge()
		if len(c) != 4 || EasyChallenge(c) {
			t.Fatalf("bad challenge %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 400 {
		t.Fatalf("only %d distinct challenges in 500", len(seen))
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("1763900000,0123456789abcdef0123456789abcdef"); got != "1763900000,0123456789abcdef01234567…" {
		t.Fatalf("%q", got)
	}
}
