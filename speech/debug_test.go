package speech

import (
	"fmt"
	"testing"
)

func TestDebugScores(t *testing.T) {
	r := recognizer(t)
	t.Log("cmninit", r.optionString("-cmninit"), "lw", r.lw)
	pcm := synth(t, "en-us", 150, spell("4821"), "pad", "0.4", "0.4")
	pcm, _, _ = r.prepare(English, pcm, 16000)
	ps, rel, _ := r.acquire()
	defer rel()
	for _, g := range [][4]string{{allDigits, allDigits, allDigits, allDigits}, {allDigits, allDigits, allDigits, allDigits}, {"4", "8", "2", "1"}, {"4", "8", "2", "023456789"}, {"4", "8", "2", "5"}} {
		h, err := r.decodeWith(ps, English, g, pcm)
		if err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprintf("%v score %d frames %d:", g, h.score, h.frames)
		var sum int32
		for _, sg := range h.segs {
			s += fmt.Sprintf(" %s[%d-%d a%d p%d]", sg.word, sg.sf, sg.ef, sg.ascr, sg.prob)
			sum += sg.ascr
		}
		t.Log(s, "sum ascr", sum)
	}
}
