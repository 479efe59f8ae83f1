package speech

import (
	"fmt"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/speech/model"
)

// TestDeterministic: a clip gives the same result whatever the recogniser heard before and
// whichever session serves it — a verdict must not depend on the order of clips.
func TestDeterministic(t *testing.T) {
	clips := [][]int16{
		synth(t, "en-us", 150, spell("4821")),
		synth(t, "cmn-latn-pinyin", 150, pinyin("9306"), "pitch", "300"),
		synth(t, "en", 130, spell("5174")),
		synth(t, "cmn-latn-pinyin+f2", 160, pinyin("6047"), "pad", "0.8", "0.2"),
		synth(t, "en-gb-scotland", 120, spell("3958"), "synth", "whitenoise", "vol", "0.02"),
		synth(t, "en-us", 190, spell("7260"), "vol", "0.3"),
	}
	chal := []string{"4821", "9306", "5174", "6047", "3958", "7260"}
	describe := func(r *Recognizer, i int) string {
		v, err := r.Verify(clips[i], 16000, chal[i])
		s := fmt.Sprintf("%s right %d conf %v margins %v ins %d", v.Heard.Digits, v.Right, v.Conf, v.Margins, v.Inserted)
		for _, w := range v.Aligned.Words {
			s += fmt.Sprintf(" %c@%v-%v", w.Digit, w.Start, w.End)
		}
		return fmt.Sprint(s, " ", err)
	}
	r := recognizer(t)
	first := make([]string, len(clips))
	for i := range clips {
		first[i] = describe(r, i)
	}
	r2, err := Open(Config{LibPath: testenvLib(t), Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	for round := 0; round < 2; round++ {
		for i := len(clips) - 1; i >= 0; i-- {
			for _, rr := range []*Recognizer{r, r2} {
				if got := describe(rr, i); got != first[i] {
					t.Errorf("clip %d again: %q, first: %q", i, got, first[i])
				}
			}
		}
	}
}

// TestCandidateModel: Config.ModelONNX (digiteval -model) runs the given graph instead of the
// embedded one — the same bytes give the same result, bytes that are not a model are refused.
func TestCandidateModel(t *testing.T) {
	pcm := synth(t, "en-us", 150, spell("4821"))
	want, err := recognizer(t).Verify(pcm, 16000, "4821")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(Config{LibPath: testenvLib(t), Threads: 1, ModelONNX: append([]byte(nil), model.ONNX()...)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.HasPrefix(c.Version, "candidate-") {
		t.Errorf("candidate version %q", c.Version)
	}
	got, err := c.Verify(pcm, 16000, "4821")
	if err != nil {
		t.Fatal(err)
	}
	if got.Heard.Digits != want.Heard.Digits || got.Right != want.Right || got.Conf != want.Conf || got.Margins != want.Margins {
		t.Errorf("candidate (same bytes) %+v, embedded %+v", got, want)
	}
	for _, bad := range [][]byte{{}, []byte("not an onnx graph")} {
		if r, err := Open(Config{LibPath: testenvLib(t), Threads: 1, ModelONNX: bad}); err == nil {
			r.Close()
			t.Errorf("candidate %q accepted", bad)
		}
	}
}
