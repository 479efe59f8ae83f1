package speech

import (
	"encoding/binary"
	"math"
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

// TestVerify checks the challenge-aware verification: the right challenge is accepted
// (all four digits) on varied voices, including ones whose free decode is wrong, and a
// challenge with one digit changed is rejected at that digit.
func TestVerify(t *testing.T) {
	r := recognizer(t)
	cases := []struct {
		digits, voice, wrong string
		speed                int
	}{
		{"4821", "en-us", "4825", 150}, {"3907", "en-gb-scotland", "3905", 150},
		{"5162", "en-us+f3", "5182", 160}, {"7340", "en-gb", "7390", 130},
		{"9586", "en-029+m3", "6586", 170}, {"2619", "en+f2", "2719", 145},
	}
	accepted, rejected := 0, 0
	for _, c := range cases {
		pcm := synth(t, c.voice, c.speed, spell(c.digits), "pad", "0.4", "0.4")
		v, err := r.Verify(pcm, 16000, c.digits)
		if err != nil {
			t.Fatalf("%s %s: %v", c.digits, c.voice, err)
		}
		w, err := r.Verify(pcm, 16000, c.wrong)
		if err != nil {
			t.Fatalf("%s %s: %v", c.digits, c.voice, err)
		}
		t.Logf("%s %-15s heard %s: right %d %.2f | wrong %s: right %d %.2f", c.digits, c.voice, v.Heard.Digits, v.Right, v.Margins, c.wrong, w.Right, w.Margins)
		if v.Right == 4 {
			accepted++
		}
		if w.Right < 4 {
			rejected++
			for i := 0; i < 4; i++ {
				if c.wrong[i] == c.digits[i] && !w.Match[i] && w.Right == 3 {
					t.Errorf("%s vs %s: the unchanged digit %d was rejected", c.digits, c.wrong, i)
				}
			}
		}
		if len(v.Aligned.Words) == 4 {
			for i, wd := range v.Aligned.Words {
				if wd.Digit != c.digits[i] || wd.End <= wd.Start {
					t.Errorf("bad alignment %v", v.Aligned.Words)
				}
			}
		}
	}
	if accepted < len(cases)*2/3 {
		t.Errorf("right challenge accepted on %d/%d clips", accepted, len(cases))
	}
	if rejected < len(cases) {
		t.Errorf("one-digit-wrong challenge rejected on only %d/%d clips", rejected, len(cases))
	}
	// Speech that is not digits at all must not pass.
	pcm := synth(t, "en-us", 150, "the quick brown fox jumps over the lazy dog", "pad", "0.4", "0.4")
	v, err := r.Verify(pcm, 16000, "4821")
	if err != nil && err != ErrNoSpeech {
		t.Fatal(err)
	}
	// Known limit: Verify only compares digits with digits, so speech that is not digits
	// at all can pass it (docs/liveness.md); the pipeline decides on the free decode.
	t.Logf("sentence vs 4821: right %d %.2f (known limit: not rejected by Verify alone)", v.Right, v.Margins)
	if _, err := r.Verify(pcm, 16000, "48x1"); err == nil {
		t.Error("bad challenge accepted")
	}
}

// TestTrim checks the silence trimming keeps the speech and reports the cut.
func TestTrim(t *testing.T) {
	pcm := make([]int16, 48000)
	for i := 16000; i < 32000; i++ {
		pcm[i] = int16(8000 * math.Sin(float64(i)*0.2))
	}
	for i := range pcm {
		pcm[i] += int16(i%7) - 3 // faint floor
	}
	out, a := trim(pcm, 16000)
	if a < 10000 || a > 16000 || a+len(out) < 32000 || a+len(out) > 38000 {
		t.Fatalf("trim kept [%d, %d)", a, a+len(out))
	}
}
