package speech

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// Unit tests of the decoding logic on synthetic log-probability matrices (no model).

// frame is one synthetic model frame: class probabilities (the rest share what is left).
type frame map[int]float64

// raw builds a T×22 log-softmax matrix from frames.
func raw(frames []frame) ([]float32, int) {
	out := make([]float32, len(frames)*modelClasses)
	for t, f := range frames {
		var used float64
		for _, p := range f {
			used += p
		}
		rest := math.Max(1-used, 1e-6) / float64(modelClasses-len(f))
		for k := 0; k < modelClasses; k++ {
			p, ok := f[k]
			if !ok {
				p = rest
			}
			out[t*modelClasses+k] = float32(math.Log(p))
		}
	}
	return out, len(frames)
}

// spoken builds frames for a token string: 'e4' English 4, 'z8' Mandarin 8, 'f' filler,
// '_' blank; each token is spike frames of the class, separated by gap blank frames.
type tok struct {
	cls    int
	frames int
	p      float64
}

func en(d int) tok     { return tok{clsEn0 + d, 2, 0.95} }
func zh(d int) tok     { return tok{clsZh0 + d, 2, 0.95} }
func filler(n int) tok { return tok{clsFiller, n, 0.9} }

func utter(gap int, toks ...tok) []frame {
	var fs []frame
	blank := func(n int) {
		for i := 0; i < n; i++ {
			fs = append(fs, frame{clsBlank: 0.98})
		}
	}
	blank(gap)
	for _, tk := range toks {
		for i := 0; i < tk.frames; i++ {
			fs = append(fs, frame{tk.cls: tk.p})
		}
		blank(gap)
	}
	return fs
}

func postOf(lang Language, fs []frame) *post {
	r, T := raw(fs)
	return merge(r, T, lang, DefaultThresholds.LangPrior)
}

func heard(p *post) string {
	toks, _ := greedy(p)
	return tokenDigits(toks)
}

func TestGreedy(t *testing.T) {
	p := postOf(Any, utter(10, en(4), zh(8), filler(5), en(2), en(2), zh(1)))
	if got := heard(p); got != "48221" {
		t.Fatalf("heard %q", got)
	}
	toks, _ := greedy(p)
	if toks[0].s != 10 || toks[0].e != 12 || toks[0].conf < 0.9 {
		t.Errorf("first token %+v", toks[0])
	}
	// Narrowed to English, the Mandarin digits are filler.
	if got := heard(postOf(English, utter(10, en(4), zh(8), en(2), zh(1)))); got != "42" {
		t.Errorf("English only heard %q", got)
	}
	if got := heard(postOf(Mandarin, utter(10, en(4), zh(8), en(2), zh(1)))); got != "81" {
		t.Errorf("Mandarin only heard %q", got)
	}
	if got := heard(postOf(Any, utter(50))); got != "" {
		t.Errorf("silence heard %q", got)
	}
}

func TestVerifySynthetic(t *testing.T) {
	th := DefaultThresholds
	cases := []struct {
		name      string
		lang      Language
		fs        []frame
		challenge string
		right     int
		miss      []int // positions expected unconfirmed
	}{
		{"english genuine", Any, utter(12, en(4), en(8), en(2), en(1)), "4821", 4, nil},
		{"mandarin genuine", Any, utter(12, zh(4), zh(8), zh(2), zh(1)), "4821", 4, nil},
		{"mixed genuine", Any, utter(12, zh(4), en(8), zh(2), en(1)), "4821", 4, nil},
		{"mixed narrowed to en", English, utter(12, zh(4), en(8), zh(2), en(1)), "4821", 2, []int{0, 2}},
		{"mandarin narrowed to zh", Mandarin, utter(12, zh(4), zh(8), zh(2), zh(1)), "4821", 4, nil},
		{"filler around", Any, utter(8, filler(20), en(4), en(8), filler(6), en(2), en(1), filler(15)), "4821", 4, nil},
		{"one wrong", Any, utter(12, en(4), en(8), en(3), en(1)), "4821", 3, []int{2}},
		{"two wrong", Any, utter(12, en(5), en(8), en(3), en(1)), "4821", 2, []int{0, 2}},
		{"other string", Any, utter(12, en(7), en(3), en(5), en(9)), "4821", 0, []int{0, 1, 2, 3}},
		{"digit left out", Any, utter(12, en(4), en(8), en(1)), "4821", 3, []int{2}},
		{"digit inserted", Any, utter(12, en(4), en(8), en(5), en(2), en(1)), "4821", 3, nil},
		{"repeated digit", Any, utter(12, en(4), en(4), en(8), en(1)), "4481", 4, nil},
		// Which of two equal neighbours is missing cannot be told: both are refused.
		{"repeated digit, one short", Any, utter(12, en(4), en(8), en(1)), "4481", 2, []int{0, 1}},
		{"non-digit speech", Any, utter(5, filler(40), filler(30), filler(50)), "4821", 0, []int{0, 1, 2, 3}},
		{"silence", Any, utter(200), "4821", 0, []int{0, 1, 2, 3}},
		{"too short", Any, utter(1), "4821", 0, []int{0, 1, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := verify(postOf(c.lang, c.fs), c.challenge, th)
			t.Logf("right %d conf %.2f sub %.1f del %.1f ins %d gap %.1f zh %.2f", v.Right, v.Conf, v.SubMargin, v.DelMargin, v.Inserted, v.FreeGap, v.Zh)
			if v.Right != c.right {
				t.Errorf("right %d, want %d", v.Right, c.right)
			}
			for _, i := range c.miss {
				if v.Match[i] {
					t.Errorf("position %d confirmed", i)
				}
			}
		})
	}
}

// TestVerifyContested: where the model clearly prefers another digit (0.75 vs 0.2) the
// challenge digit is refused and the preferred one confirmed. (A near tie is confirmed:
// EditPenalty is a prior for the challenge, and MinConf/MinSubMargin were tuned on the
// validation speakers with it: docs/speech.md "Runtime".)
func TestVerifyContested(t *testing.T) {
	fs := utter(12, en(4), en(8), en(2), en(1))
	for t := range fs {
		if _, ok := fs[t][clsEn0+2]; ok {
			fs[t] = frame{clsEn0 + 2: 0.2, clsEn0 + 3: 0.75}
		}
	}
	p := postOf(Any, fs)
	v, _ := verify(p, "4821", DefaultThresholds)
	if v.Match[2] || v.Right != 3 {
		t.Errorf("4821: right %d, match %v (sub %.2f conf %.2f)", v.Right, v.Match, v.SubMargin, v.Conf)
	}
	v, _ = verify(p, "4831", DefaultThresholds)
	if v.Right != 4 {
		t.Errorf("4831: right %d, match %v (sub %.2f conf %.2f)", v.Right, v.Match, v.SubMargin, v.Conf)
	}
}

func TestVerifyLanguageShare(t *testing.T) {
	v, _ := verify(postOf(Any, utter(12, zh(4), zh(8), zh(2), zh(1))), "4821", DefaultThresholds)
	if v.Zh < 0.9 {
		t.Errorf("Mandarin clip zh share %.2f", v.Zh)
	}
	v, _ = verify(postOf(Any, utter(12, en(4), en(8), en(2), en(1))), "4821", DefaultThresholds)
	if v.Zh > 0.1 {
		t.Errorf("English clip zh share %.2f", v.Zh)
	}
}

func TestAlignmentSegments(t *testing.T) {
	p := postOf(Any, utter(10, en(4), en(8), en(2), en(1)))
	g := buildGraph(digitsOf("4821"), nil)
	_, path := viterbi(p, g, true)
	segs := segments(p, g, path)
	want := []int{10, 22, 34, 46}
	for i, sg := range segs {
		if sg.s != want[i] || sg.e != want[i]+2 {
			t.Errorf("segment %d = [%d,%d), want [%d,%d)", i, sg.s, sg.e, want[i], want[i]+2)
		}
	}
	// Energy: words voiced over 6 frames around each spike; widen grows spikes to them.
	energy := make([]float64, p.T)
	for i := range energy {
		energy[i] = -80
	}
	for _, s := range want {
		for t := s - 2; t < s+4; t++ {
			energy[t] = -20
		}
	}
	w := widen(segs, energy, 20)
	for i, sg := range w {
		if sg.s != want[i]-2 || sg.e != want[i]+4 {
			t.Errorf("widened %d = [%d,%d), want [%d,%d)", i, sg.s, sg.e, want[i]-2, want[i]+4)
		}
	}
}

func TestPrepareLevels(t *testing.T) {
	mk := func(amp, dc float64, n int) []int16 {
		pcm := make([]int16, n)
		for i := range pcm {
			v := dc + amp*math.Sin(float64(i)*2*math.Pi*300/16000)
			pcm[i] = int16(math.Max(-32768, math.Min(32767, v)))
		}
		return pcm
	}
	for _, c := range []struct {
		name    string
		amp, dc float64
	}{{"quiet", 30, 0}, {"normal", 3000, 0}, {"loud clipped", 60000, 0}, {"dc offset", 3000, 8000}} {
		x := prepare(mk(c.amp, c.dc, 16000), 16000)
		var peak, sum float64
		for _, v := range x[4000:] {
			peak = math.Max(peak, math.Abs(float64(v)))
			sum += float64(v)
		}
		mean := sum / float64(len(x)-4000)
		if peak > PeakLimit+1e-6 || peak < 0.05 || math.Abs(mean) > 0.01 {
			t.Errorf("%s: peak %.3f mean %.4f", c.name, peak, mean)
		}
	}
	if prepare(nil, 16000) != nil {
		t.Error("empty clip prepared")
	}
	if x := prepare(make([]int16, 100), 16000); len(x) != minSamples {
		t.Errorf("short clip padded to %d", len(x))
	}
	for _, v := range prepare(make([]int16, 16000), 16000) {
		if v != 0 || math.IsNaN(float64(v)) {
			t.Fatal("silence not kept silent")
		}
	}
}

// TestResampleRates: a 1 kHz tone keeps its level and frequency from every source rate.
func TestResampleRates(t *testing.T) {
	for _, from := range []int{8000, 11025, 22050, 32000, 44100, 48000} {
		in := make([]int16, from)
		for i := range in {
			in[i] = int16(10000 * math.Sin(2*math.Pi*1000*float64(i)/float64(from)))
		}
		out := Resample(in, from, 16000)
		if len(out) != 16000 {
			t.Fatalf("%d: %d samples", from, len(out))
		}
		var e, c float64
		for i := 1000; i < 15000; i++ {
			ref := 10000 * math.Sin(2*math.Pi*1000*float64(i)/16000)
			e += (float64(out[i]) - ref) * (float64(out[i]) - ref)
			c += ref * ref
		}
		if snr := 10 * math.Log10(c/e); snr < 30 {
			t.Errorf("%d Hz → 16 kHz: SNR %.1f dB", from, snr)
		}
	}
}

// TestQuietGate: a confident digit spike in a frame 50 dB under the clip's loudest frame (a
// faint hiss in a pause heard as "six") is dropped by the quiet gate; the same spike at speech
// level, and the four real words, stay; a gate of 0 changes nothing.
func TestQuietGate(t *testing.T) {
	fs := utter(6, en(4), en(8), en(6), en(2), en(1))
	energy := make([]float64, len(fs))
	for i := range energy {
		energy[i] = -70 // digital-near-silence between words
	}
	// Words at speech level (−20 … −28 dB), except the "six" at −70 dB: the hiss.
	spikes := 0
	for i, f := range fs {
		if _, blank := f[clsBlank]; blank {
			continue
		}
		if spikes/2 != 2 { // the third token (two frames each) is the hiss
			energy[i] = -20 - float64(spikes)
		}
		spikes++
	}
	if got := heard(postOf(Any, fs)); got != "48621" {
		t.Fatalf("ungated decode %q, want 48621", got)
	}
	p := postOf(Any, fs)
	gateQuiet(p, energy, 0, quietSpan)
	if got := heard(p); got != "48621" {
		t.Fatalf("gate 0 changed the decode: %q", got)
	}
	p = postOf(Any, fs)
	gateQuiet(p, energy, 40, quietSpan)
	if got := heard(p); got != "4821" {
		t.Fatalf("gated decode %q, want 4821 (the quiet six dropped)", got)
	}
	v, _ := verify(p, "4821", DefaultThresholds)
	if v.Right != 4 || v.Inserted != 0 {
		t.Fatalf("4821 after the gate: right %d, inserted %d", v.Right, v.Inserted)
	}
	// The same spike at speech level is a word: the gate keeps it.
	for i, f := range fs {
		if _, blank := f[clsBlank]; !blank {
			energy[i] = -25
		}
	}
	p = postOf(Any, fs)
	gateQuiet(p, energy, 40, quietSpan)
	if got := heard(p); got != "48621" {
		t.Fatalf("gate dropped a digit at speech level: %q", got)
	}
}

// TestBestOfLength: the length-constrained best path equals an exhaustive search over every
// path of a short random matrix, for each number of digits.
func TestBestOfLength(t *testing.T) {
	const T = 5
	rng := rand.New(rand.NewSource(3))
	fs := make([]frame, T)
	for i := range fs {
		fs[i] = frame{}
		for _, k := range []int{clsBlank, clsFiller, clsEn0 + rng.Intn(3), clsEn0 + 3 + rng.Intn(3), clsZh0 + rng.Intn(10)} {
			fs[i][k] = 0.05 + 0.15*rng.Float64()
		}
	}
	p := postOf(Any, fs)
	want := map[int]float64{}
	path := make([]int, T)
	var walk func(t int, sc float64)
	walk = func(t int, sc float64) {
		if t == T {
			n := digitCount(pathTokens(p, path))
			if v, ok := want[n]; !ok || sc > v {
				want[n] = sc
			}
			return
		}
		for k := 0; k < nK; k++ {
			path[t] = k
			walk(t+1, sc+p.at(t, k))
		}
	}
	walk(0, 0)
	for n := 0; n <= T+1; n++ {
		toks, sc, ok := bestOfLength(p, n)
		w, exists := want[n]
		if ok != exists {
			t.Fatalf("n=%d: ok %v, exhaustive search found a path: %v", n, ok, exists)
		}
		if !ok {
			continue
		}
		if got := digitCount(toks); got != n {
			t.Errorf("n=%d: path holds %d digits", n, got)
		}
		if math.Abs(sc-w) > 1e-9 {
			t.Errorf("n=%d: score %.6f, exhaustive %.6f", n, sc, w)
		}
	}
	// The unconstrained best path is the best of its own length.
	toks, sc := greedy(p)
	if _, lsc, _ := bestOfLength(p, digitCount(toks)); math.Abs(lsc-sc) > 1e-9 {
		t.Errorf("greedy %.6f, best of its length %.6f", sc, lsc)
	}
}

// TestLengthAwareDecode: told the challenge's length, the free decode mends a word split in
// two and a weak word the best path lost, but a clip that really says three digits stays three
// digits long; with LenMargin 0 the decode is the plain best path.
func TestLengthAwareDecode(t *testing.T) {
	r := &Recognizer{th: DefaultThresholds, hop: 480, shift: 30 * time.Millisecond}
	decode := func(fs []frame, margin float64) (string, float64) {
		r.th.LenMargin = margin
		p := postOf(Any, fs)
		res, _, gap := r.free(&clip{p: p, energy: make([]float64, p.T)}, 4)
		return res.Digits, gap
	}
	// "seven" split: one frame in its middle where blank narrowly wins.
	split := utter(10, en(4), en(8), tok{clsEn0 + 7, 2, 0.6}, en(1))
	split = append(split[:35], append([]frame{{clsBlank: 0.5, clsEn0 + 7: 0.45}, {clsEn0 + 7: 0.6}}, split[35:]...)...)
	// a weak "two": blank 0.55 over the digit's 0.4.
	weak := utter(10, en(4), en(8), tok{clsEn0 + 2, 2, 0}, en(1))
	for i := range weak {
		if _, ok := weak[i][clsEn0+2]; ok {
			weak[i] = frame{clsBlank: 0.55, clsEn0 + 2: 0.4}
		}
	}
	three := utter(10, en(4), en(8), en(1))
	for _, c := range []struct {
		name       string
		fs         []frame
		plain, len string
	}{
		{"split word", split, "48771", "4871"},
		{"weak word", weak, "481", "4821"},
		{"three said", three, "481", "481"},
		{"four said", utter(10, en(4), en(8), en(2), en(1)), "4821", "4821"},
	} {
		if got, _ := decode(c.fs, 0); got != c.plain {
			t.Errorf("%s: plain decode %q, want %q", c.name, got, c.plain)
		}
		got, gap := decode(c.fs, DefaultThresholds.LenMargin)
		t.Logf("%s: length-aware %q, gap %.2f nats", c.name, got, gap)
		if DefaultThresholds.LenMargin > 0 && got != c.len {
			t.Errorf("%s: length-aware decode %q, want %q (gap %.2f, margin %.2f)", c.name, got, c.len, gap, DefaultThresholds.LenMargin)
		}
	}
	// A clip too short to hold four digits has no 4-digit path.
	if got, gap := decode(utter(0, en(4)), 100); got != "4" || !math.IsInf(gap, 1) {
		t.Errorf("two frames: %q, gap %v", got, gap)
	}
}
