package speech

import (
	"fmt"
	"testing"
)

// TestDeterministic: a clip decodes the same whatever the decoder heard before — a verdict
// must not depend on which clip a pooled decoder served last.
func TestDeterministic(t *testing.T) { testDeterministic(t, nil) }

func testDeterministic(t *testing.T, args map[string]string) {
	clips := [][]int16{
		synth(t, "en-us", 150, spell("4821")),
		synth(t, "en-gb", 170, spell("9306"), "pitch", "300"),
		synth(t, "en", 130, spell("5174")),
		synth(t, "en-029", 160, spell("6047"), "pad", "0.8", "0.2"),
		synth(t, "en-gb-scotland", 120, spell("3958"), "synth", "whitenoise", "vol", "0.02"),
		synth(t, "en-us", 190, spell("7260"), "vol", "0.3"),
	}
	describe := func(r *Recognizer, pcm []int16) string {
		res, err := r.Digits(pcm, 16000)
		s := res.Digits
		for _, w := range res.Words {
			s += fmt.Sprintf(" %c@%v-%v", w.Digit, w.Start, w.End)
		}
		return fmt.Sprint(s, " ", err)
	}
	fresh := make([]string, len(clips))
	for i, c := range clips {
		r, err := Open(Config{Decoders: 1, Args: args})
		if err != nil {
			t.Fatal(err)
		}
		fresh[i] = describe(r, c)
		r.Close()
	}
	r, err := Open(Config{Decoders: 1, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for round := 0; round < 2; round++ {
		for i := len(clips) - 1; i >= 0; i-- {
			if got := describe(r, clips[i]); got != fresh[i] {
				t.Errorf("clip %d after other clips: %q, fresh decoder: %q", i, got, fresh[i])
			}
		}
	}
}
