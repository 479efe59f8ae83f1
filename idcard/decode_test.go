package idcard

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// TestRedecodeKept: decoding a line again from the probabilities a free read kept, restricted
// to digits (or dates, validity), gives what a restricted read of the same output gives —
// the constrained reads need no second run (no models: a made-up alphabet and output).
func TestRedecodeKept(t *testing.T) {
	p := &ppocr{index: map[rune]int{}}
	p.keys = append(p.keys, "")
	for _, r := range "姓名公民身份号码0123456789X年月日.-长期" {
		p.keys = append(p.keys, string(r))
	}
	p.keys = append(p.keys, " ")
	for i, k := range p.keys {
		if r := []rune(k); len(r) == 1 {
			p.index[r[0]] = i
		}
	}
	p.keep = []int{0}
	for _, r := range keptChars {
		p.keep = append(p.keep, p.index[r])
	}
	sort.Ints(p.keep)
	C := len(p.keys)
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 50; n++ {
		T := 20 + rng.IntN(60)
		out := make([]float32, T*C)
		for i := range out {
			out[i] = rng.Float32()
		}
		free := p.decode(out, C, nil, 0, nil)
		free.kept = p.keptOf(out, C)
		for _, cs := range []string{digitsX, "0123456789年月日", "0123456789.-长期"} {
			from := rng.IntN(10)
			want := p.decode(out, C, p.charset(cs), from, nil)
			got := p.redecode(free, p.charset(cs), from)
			if got.Text != want.Text || len(got.Chars) != len(want.Chars) {
				t.Fatalf("%q from %d: %q, want %q", cs, from, got.Text, want.Text)
			}
			for i := range got.Chars {
				if got.Chars[i] != want.Chars[i] {
					t.Fatalf("%q char %d: %+v, want %+v", cs, i, got.Chars[i], want.Chars[i])
				}
			}
		}
		if free.Text == "" {
			t.Fatalf("free read empty")
		}
	}
}
