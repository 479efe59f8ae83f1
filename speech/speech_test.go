package speech

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faceverify/faceverify/internal/testenv"
)

var (
	recOnce sync.Once
	rec     *Recognizer
	recErr  error
)

func recognizer(t testing.TB) *Recognizer {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultModelDir, "mdef")); err != nil {
		if testenv.InCI() {
			t.Fatalf("pocketsphinx-en-us missing: %v", err)
		}
		t.Skipf("pocketsphinx-en-us missing: %v", err)
	}
	recOnce.Do(func() { rec, recErr = Open(Config{Decoders: 2}) })
	if recErr != nil {
		t.Fatal(recErr)
	}
	return rec
}

// synth speaks text with espeak-ng and returns 16 kHz mono PCM (through sox).
func synth(t testing.TB, voice string, speed int, text string, extra ...string) []int16 {
	t.Helper()
	for _, b := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	dir := t.TempDir()
	wav := filepath.Join(dir, "v.wav")
	cmd := exec.Command("espeak-ng", "-v", voice, "-s", itoa(speed), "-w", wav, text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	raw := filepath.Join(dir, "v.raw")
	args := append([]string{wav, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", raw}, extra...)
	if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	return readRaw(t, raw)
}

func readRaw(t testing.TB, path string) []int16 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

var words = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

func spell(d string) string {
	var w []string
	for _, c := range d {
		w = append(w, words[c-'0'])
	}
	return strings.Join(w, " ")
}

func TestEnglishEspeak(t *testing.T) {
	r := recognizer(t)
	cases := []struct {
		digits, voice string
		speed         int
	}{
		{"4821", "en-us", 150}, {"3907", "en", 140}, {"5162", "en-us+f3", 160},
		{"7340", "en-gb", 130}, {"9586", "en-us+m3", 170}, {"2619", "en+f2", 145},
		{"8053", "en-us", 120}, {"1476", "en-gb+m1", 155},
	}
	exact, digitsRight := 0, 0
	for _, c := range cases {
		pcm := synth(t, c.voice, c.speed, spell(c.digits), "pad", "0.4", "0.4")
		res, err := r.Digits(pcm, 16000)
		if err != nil {
			t.Errorf("%s %s: %v", c.digits, c.voice, err)
			continue
		}
		if res.Digits == c.digits {
			exact++
		}
		for i := 0; i < 4 && i < len(res.Digits); i++ {
			if res.Digits[i] == c.digits[i] {
				digitsRight++
			}
		}
		t.Logf("%s %-10s %d → %s %v", c.digits, c.voice, c.speed, res.Digits, res.Words)
		if len(res.Words) != 4 {
			t.Errorf("want 4 words, got %d", len(res.Words))
		}
		for i, w := range res.Words {
			if w.End <= w.Start || (i > 0 && w.Start < res.Words[i-1].End) {
				t.Errorf("bad word timing %v", res.Words)
			}
		}
	}
	t.Logf("exact %d/%d, digits %d/%d", exact, len(cases), digitsRight, 4*len(cases))
	if exact < len(cases)*3/8 || digitsRight < 4*len(cases)*3/4 {
		t.Errorf("accuracy too low: exact %d/%d, digits %d/%d", exact, len(cases), digitsRight, 4*len(cases))
	}
}

func TestResample(t *testing.T) {
	in := make([]int16, 8000)
	for i := range in {
		if (i/20)%2 == 0 {
			in[i] = 8000
		} else {
			in[i] = -8000
		}
	}
	out := Resample(in, 8000, 16000)
	if len(out) != 16000 {
		t.Fatalf("len %d", len(out))
	}
	// 200 Hz square wave: sign pattern preserved with period 80 samples at 16 kHz.
	if out[20] < 4000 || out[60] > -4000 {
		t.Fatalf("resampled wave wrong: %d %d", out[20], out[60])
	}
	down := Resample(out, 16000, 8000)
	if len(down) != 8000 {
		t.Fatalf("len %d", len(down))
	}
}

func TestSilenceAndNoise(t *testing.T) {
	r := recognizer(t)
	if _, err := r.Digits(make([]int16, 32000), 16000); err == nil {
		t.Log("silence produced digits (grammar forces four); pipeline must gate on energy")
	}
}
