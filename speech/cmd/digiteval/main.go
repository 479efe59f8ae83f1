// Command digiteval measures the speech package on synthetic and real spoken digits:
// espeak-ng voices (several accents, variants, speeds, pitches, word gaps and noise levels)
// and Free Spoken Digit Dataset speakers (real people, 8 kHz, single digits concatenated
// into four-digit utterances). It reports, per group, the free decode's exact-string and
// per-digit rates and, for Verify, acceptance of the right challenge (false rejects) and
// of wrong challenges (false accepts) under liveness_preferences 2 (all four) and 1 (3 of 4).
//
//	go run ./speech/cmd/digiteval -set dev -n 120 -fsdd 60
//
// -set dev and -set holdout use disjoint espeak voice variants (partly disjoint accents)
// and disjoint FSDD takes, so settings tuned on dev can be checked on holdout.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/faceverify/faceverify/speech"
)

var enWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
var zhSyll = []string{"ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"}

type clip struct {
	group, sub string // e.g. "espeak en-gb", "fsdd george"
	desc       string
	lang       speech.Language
	digits     string // "" = not digits (impostor speech)
	pcm        []int16
	rate       int
}

func main() {
	set := flag.String("set", "dev", "dev or holdout")
	n := flag.Int("n", 80, "espeak clips")
	nf := flag.Int("fsdd", 48, "FSDD clips")
	nz := flag.Int("zh", 0, "Mandarin espeak clips")
	ni := flag.Int("imp", 16, "non-digit speech clips (impostor)")
	argStr := flag.String("args", "", "pocketsphinx overrides: -name=value,-name=value")
	doTrim := flag.Bool("trim", true, "trim silence before decoding (the product default)")
	tol := flag.Float64("tol", 0, "Verify tolerance (0 = default)")
	verify := flag.Bool("verify", true, "run Verify (and false-accept trials)")
	ds := flag.String("datasets", "/work/shared/datasets", "datasets directory")
	seed := flag.Int64("seed", 0, "random seed (0 = by set)")
	verbose := flag.Bool("v", false, "print every clip")
	flag.Parse()

	args := map[string]string{}
	if *argStr != "" {
		for _, kv := range strings.Split(*argStr, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				fatal(fmt.Errorf("bad -args item %q", kv))
			}
			args[k] = v
		}
	}
	rec, err := speech.Open(speech.Config{Decoders: 2, Args: args, NoTrim: !*doTrim, Tolerance: *tol})
	if err != nil {
		fatal(err)
	}
	s := *seed
	if s == 0 {
		s = 1
		if *set == "holdout" {
			s = 2
		}
	}
	rng := rand.New(rand.NewSource(s))
	t0 := time.Now()
	var clips []clip
	clips = append(clips, espeakClips(rng, *set, *n)...)
	clips = append(clips, fsddClips(rng, *ds, *set, *nf)...)
	clips = append(clips, zhClips(rng, *set, *nz)...)
	clips = append(clips, impostorClips(rng, *set, *ni)...)
	fmt.Fprintf(os.Stderr, "generated %d clips in %v\n", len(clips), time.Since(t0).Round(time.Millisecond))

	type outcome struct {
		c                      clip
		heard                  string
		decodeMS, verifyMS     float64
		v                      speech.Verification
		wrong1, wrong2, wrong4 speech.Verification
		w1, w2, w4             string
	}
	outs := make([]outcome, len(clips))
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := clips[i]
				o := outcome{c: c}
				t := time.Now()
				res, err := rec.DigitsIn(c.lang, c.pcm, c.rate)
				o.decodeMS = float64(time.Since(t).Microseconds()) / 1000
				if err != nil && !errors.Is(err, speech.ErrNoSpeech) {
					fatal(err)
				}
				o.heard = res.Digits
				if *verify {
					r2 := rand.New(rand.NewSource(int64(i) + 1000))
					chal := c.digits
					if chal == "" {
						chal = randDigits(r2)
					}
					t = time.Now()
					o.v, err = rec.VerifyIn(c.lang, c.pcm, c.rate, chal)
					o.verifyMS = float64(time.Since(t).Microseconds()) / 1000
					if err != nil && !errors.Is(err, speech.ErrNoSpeech) {
						fatal(err)
					}
					if c.digits != "" {
						o.w1 = mutate(r2, c.digits, 1)
						o.w2 = mutate(r2, c.digits, 2)
						o.w4 = mutate(r2, c.digits, 4)
						o.wrong1, _ = rec.VerifyIn(c.lang, c.pcm, c.rate, o.w1)
						o.wrong2, _ = rec.VerifyIn(c.lang, c.pcm, c.rate, o.w2)
						o.wrong4, _ = rec.VerifyIn(c.lang, c.pcm, c.rate, o.w4)
					}
				}
				outs[i] = o
			}
		}()
	}
	for i := range clips {
		work <- i
	}
	close(work)
	wg.Wait()

	type agg struct {
		n, exact, digits     int
		acc2, acc1, vdig     int
		fa1, fa2, fa4, fa4p2 int
		nimp, imp1, imp2     int
		dec, ver             []float64
	}
	groups := map[string]*agg{}
	var order []string
	get := func(k string) *agg {
		if groups[k] == nil {
			groups[k] = &agg{}
			order = append(order, k)
		}
		return groups[k]
	}
	var trueM, wrongM []float64
	var conf [10][10]int // spoken × heard (free decode)
	for _, o := range outs {
		if o.c.digits != "" && len(o.heard) == 4 {
			for i := 0; i < 4; i++ {
				conf[o.c.digits[i]-'0'][o.heard[i]-'0']++
			}
		}
		for _, k := range []string{"ALL " + string(o.c.lang), o.c.group, o.c.group + " / " + o.c.sub} {
			a := get(k)
			a.dec = append(a.dec, o.decodeMS)
			a.ver = append(a.ver, o.verifyMS)
			if o.c.digits == "" {
				a.nimp++
				if o.v.Right >= 3 {
					a.imp1++
				}
				if o.v.Right == 4 {
					a.imp2++
				}
				continue
			}
			a.n++
			if o.heard == o.c.digits {
				a.exact++
			}
			for i := 0; i < 4 && i < len(o.heard); i++ {
				if o.heard[i] == o.c.digits[i] {
					a.digits++
				}
			}
			if *verify {
				if o.v.Right == 4 {
					a.acc2++
				}
				if o.v.Right >= 3 {
					a.acc1++
				}
				a.vdig += o.v.Right
				if o.wrong1.Right == 4 {
					a.fa1++
				}
				if o.wrong2.Right >= 3 {
					a.fa2++
				}
				if o.wrong4.Right >= 3 {
					a.fa4++
				}
				if o.wrong4.Right == 4 {
					a.fa4p2++
				}
			}
		}
		if o.c.digits != "" && *verify {
			for i := 0; i < 4; i++ {
				trueM = append(trueM, o.v.Margins[i])
				for _, w := range []struct {
					v    speech.Verification
					chal string
				}{{o.wrong1, o.w1}, {o.wrong2, o.w2}, {o.wrong4, o.w4}} {
					if w.chal[i] != o.c.digits[i] {
						wrongM = append(wrongM, w.v.Margins[i])
					}
				}
			}
		}
		if *verbose {
			fmt.Printf("%-28s %-44s want %-4s heard %-4s verify %d %v | w1 %s→%d w2 %s→%d\n", o.c.group+"/"+o.c.sub, o.c.desc, o.c.digits, o.heard,
				o.v.Right, fmtM(o.v.Margins), o.w1, o.wrong1.Right, o.w2, o.wrong2.Right)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i] < order[j] })
	pct := func(a, b int) string {
		if b == 0 {
			return "   -  "
		}
		return fmt.Sprintf("%5.1f%%", 100*float64(a)/float64(b))
	}
	fmt.Printf("set=%s args=%q trim=%v tol=%g\n", *set, *argStr, *doTrim, *tol)
	fmt.Printf("%-34s %4s | %7s %7s | %7s %7s %7s | %7s %7s %7s %7s | %4s %7s %7s | %6s %6s\n",
		"group", "n", "exact", "digit", "acc p2", "acc p1", "v-digit", "FA1 p2", "FA2 p1", "FA4 p1", "FA4 p2", "imp", "imp p1", "imp p2", "dec ms", "ver ms")
	for _, k := range order {
		a := groups[k]
		fmt.Printf("%-34s %4d | %7s %7s | %7s %7s %7s | %7s %7s %7s %7s | %4d %7s %7s | %6.0f %6.0f\n", k, a.n,
			pct(a.exact, a.n), pct(a.digits, 4*a.n), pct(a.acc2, a.n), pct(a.acc1, a.n), pct(a.vdig, 4*a.n),
			pct(a.fa1, a.n), pct(a.fa2, a.n), pct(a.fa4, a.n), pct(a.fa4p2, a.n), a.nimp, pct(a.imp1, a.nimp), pct(a.imp2, a.nimp),
			median(a.dec), median(a.ver))
	}
	fmt.Println("free-decode confusion (row spoken, column heard):")
	for d := 0; d < 10; d++ {
		tot := 0
		for h := 0; h < 10; h++ {
			tot += conf[d][h]
		}
		fmt.Printf("  %d %-6s %v  %s\n", d, enWords[d], conf[d], pct(conf[d][d], tot))
	}
	if *verify {
		fmt.Printf("margins (ln/frame) said digit:  %s\n", quant(trueM))
		fmt.Printf("margins (ln/frame) wrong digit: %s\n", quant(wrongM))
		for _, t := range []float64{-0.05, 0, 0.05, 0.1, 0.2, 0.3, 0.5} {
			fr, fa := 0, 0
			for _, m := range trueM {
				if m < -t {
					fr++
				}
			}
			for _, m := range wrongM {
				if m >= -t {
					fa++
				}
			}
			fmt.Printf("  tol %5.2f: per-digit false reject %s  per-digit false accept %s\n", t, pct(fr, len(trueM)), pct(fa, len(wrongM)))
		}
	}
}

func fmtM(m [4]float64) string {
	var s []string
	for _, x := range m {
		s = append(s, fmt.Sprintf("%+.2f", x))
	}
	return strings.Join(s, " ")
}

func quant(x []float64) string {
	if len(x) == 0 {
		return "-"
	}
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	q := func(p float64) float64 { return y[int(p*float64(len(y)-1))] }
	return fmt.Sprintf("p1 %+.2f p5 %+.2f p10 %+.2f p50 %+.2f p90 %+.2f p95 %+.2f p99 %+.2f (n=%d)", q(.01), q(.05), q(.1), q(.5), q(.9), q(.95), q(.99), len(y))
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	return y[len(y)/2]
}

func randDigits(r *rand.Rand) string {
	b := make([]byte, 4)
	for i := range b {
		b[i] = byte('0' + r.Intn(10))
	}
	return string(b)
}

// mutate changes k positions of s to other digits.
func mutate(r *rand.Rand, s string, k int) string {
	b := []byte(s)
	for _, p := range r.Perm(4)[:k] {
		d := b[p]
		for d == b[p] {
			d = byte('0' + r.Intn(10))
		}
		b[p] = d
	}
	return string(b)
}

type espeakVoice struct{ family, variant string }

// Voice families and variants: dev and holdout use disjoint variants and partly disjoint
// families.
func voices(set string) (fams, vars []string) {
	if set == "holdout" {
		return []string{"en-us", "en-gb", "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-x-rp"},
			[]string{"m5", "m6", "m7", "f4", "f5", "klatt2", "klatt3", "Andy", "Annie", "john", "linda"}
	}
	return []string{"en", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp"},
		[]string{"", "m1", "m2", "m3", "m4", "f1", "f2", "f3", "klatt"}
}

var cacheDir = filepath.Join(os.TempDir(), "digiteval-cache")

// say synthesises text and returns 16 kHz mono PCM.
func say(voice string, speed, pitch int, text string) []int16 {
	key := fmt.Sprintf("%s_%d_%d_%s", voice, speed, pitch, strings.ReplaceAll(text, " ", "_"))
	if len(key) > 120 {
		key = fmt.Sprintf("%s_%d_%d_%x", voice, speed, pitch, hash(text))
	}
	path := filepath.Join(cacheDir, key+".raw")
	if b, err := os.ReadFile(path); err == nil {
		return bytesPCM(b)
	}
	os.MkdirAll(cacheDir, 0o755)
	cmd := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-p", fmt.Sprint(pitch), "--stdout", text)
	wav, err := cmd.Output()
	if err != nil {
		fatal(fmt.Errorf("espeak-ng %s: %v", voice, err))
	}
	pcm, rate := parseWAV(wav)
	pcm = speech.Resample(pcm, rate, 16000)
	os.WriteFile(path, pcmBytes(pcm), 0o644)
	return pcm
}

func hash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func espeakClips(r *rand.Rand, set string, n int) []clip {
	fams, vars := voices(set)
	var out []clip
	for i := 0; i < n; i++ {
		fam := fams[r.Intn(len(fams))]
		vr := vars[r.Intn(len(vars))]
		voice := fam
		if vr != "" {
			voice += "+" + vr
		}
		speed := 120 + r.Intn(71)
		pitch := 30 + r.Intn(51)
		digits := randDigits(r)
		style := "words"
		var pcm []int16
		if r.Intn(3) == 0 {
			style = "phrase"
			var w []string
			for _, d := range digits {
				w = append(w, enWords[d-'0'])
			}
			pcm = say(voice, speed, pitch, strings.Join(w, " "))
		} else {
			var parts [][]int16
			for _, d := range digits {
				parts = append(parts, trimPCM(say(voice, speed, pitch, enWords[d-'0'])))
			}
			pcm = join(r, parts, 0.08, 0.6)
		}
		snr := []float64{0, 0, 30, 20, 10}[r.Intn(5)]
		pcm = finish(r, pcm, snr)
		out = append(out, clip{group: "espeak " + fam, sub: fmt.Sprintf("%s snr%s", style, snrName(snr)),
			desc: fmt.Sprintf("%s -s %d -p %d", voice, speed, pitch), lang: speech.English, digits: digits, pcm: pcm, rate: 16000})
	}
	return out
}

func zhClips(r *rand.Rand, set string, n int) []clip {
	var out []clip
	for i := 0; i < n; i++ {
		vr := []string{"", "m1", "m3", "f2", "f4", "m6"}[r.Intn(6)]
		voice := "cmn-latn-pinyin"
		if vr != "" {
			voice += "+" + vr
		}
		speed := 120 + r.Intn(61)
		pitch := 30 + r.Intn(51)
		digits := randDigits(r)
		var w []string
		for _, d := range digits {
			w = append(w, zhSyll[d-'0'])
		}
		var pcm []int16
		style := "phrase"
		if r.Intn(2) == 0 {
			pcm = say(voice, speed, pitch, strings.Join(w, " "))
		} else {
			style = "words"
			var parts [][]int16
			for _, s := range w {
				parts = append(parts, trimPCM(say(voice, speed, pitch, s)))
			}
			pcm = join(r, parts, 0.08, 0.5)
		}
		pcm = finish(r, pcm, []float64{0, 30, 20}[r.Intn(3)])
		out = append(out, clip{group: "zh espeak", sub: style, desc: fmt.Sprintf("%s -s %d -p %d", voice, speed, pitch),
			lang: speech.Mandarin, digits: digits, pcm: pcm, rate: 16000})
	}
	return out
}

var sentences = []string{
	"the quick brown fox jumps over the lazy dog",
	"please call me back when you get this message",
	"I think the weather will be nice tomorrow",
	"she sells sea shells by the sea shore",
	"we went to the market to buy some bread and cheese",
	"my name is not important right now",
	"how much does this cost in total",
	"good morning everybody and welcome to the show",
}

// impostorClips are speech that is not digits: any acceptance is a false accept.
func impostorClips(r *rand.Rand, set string, n int) []clip {
	fams, vars := voices(set)
	var out []clip
	for i := 0; i < n; i++ {
		voice := fams[r.Intn(len(fams))]
		if v := vars[r.Intn(len(vars))]; v != "" {
			voice += "+" + v
		}
		speed := 130 + r.Intn(50)
		s := sentences[r.Intn(len(sentences))]
		pcm := finish(r, say(voice, speed, 50, s), 0)
		out = append(out, clip{group: "impostor", sub: "sentence", desc: voice + ": " + s, lang: speech.English, pcm: pcm, rate: 16000})
	}
	return out
}

func fsddClips(r *rand.Rand, ds, set string, n int) []clip {
	speakers := []string{"george", "jackson", "lucas", "nicolas", "theo", "yweweler"}
	// The shared FSDD copy holds takes 5–24 (0–4 are a hidden holdout): dev uses 5–14,
	// holdout 15–24.
	lo, hi := 5, 14
	if set == "holdout" {
		lo, hi = 15, 24
	}
	var out []clip
	for i := 0; i < n; i++ {
		sp := speakers[i%len(speakers)]
		digits := randDigits(r)
		var parts [][]int16
		for _, d := range digits {
			take := lo + r.Intn(hi-lo+1)
			path := filepath.Join(ds, "speech", "fsdd", fmt.Sprintf("%c_%s_%d.wav", d, sp, take))
			b, err := os.ReadFile(path)
			if err != nil {
				fatal(err)
			}
			pcm, rate := parseWAV(b)
			if rate != 8000 {
				fatal(fmt.Errorf("%s: rate %d", path, rate))
			}
			parts = append(parts, pcm)
		}
		// Work at 8 kHz: the recogniser gets the 8 kHz signal, as from a phone.
		pcm := joinRate(r, parts, 0.1, 0.45, 8000)
		lead := make([]int16, 8000*(3+r.Intn(5))/10)
		pcm = append(append(lead, pcm...), make([]int16, 8000*(3+r.Intn(5))/10)...)
		addNoise(r, pcm, 45) // a faint noise floor instead of digital silence
		out = append(out, clip{group: "fsdd", sub: sp, desc: "takes " + fmt.Sprint(lo, "-", hi), lang: speech.English, digits: digits, pcm: pcm, rate: 8000})
	}
	return out
}

func snrName(s float64) string {
	if s == 0 {
		return "clean"
	}
	return fmt.Sprint(s)
}

// finish pads with silence, scales to a random level and adds white noise at snr dB
// (0 = a faint floor only).
func finish(r *rand.Rand, pcm []int16, snr float64) []int16 {
	lead := make([]int16, 16000*(2+r.Intn(7))/10)
	out := append(append(lead, pcm...), make([]int16, 16000*(2+r.Intn(7))/10)...)
	g := math.Pow(10, (-6-r.Float64()*18)/20) // peak −6…−24 dBFS
	peak := 1.0
	for _, v := range out {
		peak = math.Max(peak, math.Abs(float64(v)))
	}
	for i, v := range out {
		out[i] = int16(float64(v) * g * 32767 / peak)
	}
	if snr == 0 {
		snr = 55
	}
	addNoise(r, out, snr)
	return out
}

// addNoise adds white noise at snr dB below the RMS of the loud (speech) part.
func addNoise(r *rand.Rand, pcm []int16, snr float64) {
	var e float64
	var n int
	for _, v := range pcm {
		if math.Abs(float64(v)) > 100 {
			e += float64(v) * float64(v)
			n++
		}
	}
	if n == 0 {
		return
	}
	sd := math.Sqrt(e/float64(n)) * math.Pow(10, -snr/20)
	for i, v := range pcm {
		x := float64(v) + r.NormFloat64()*sd
		pcm[i] = int16(math.Max(-32768, math.Min(32767, x)))
	}
}

func join(r *rand.Rand, parts [][]int16, gmin, gmax float64) []int16 {
	return joinRate(r, parts, gmin, gmax, 16000)
}

func joinRate(r *rand.Rand, parts [][]int16, gmin, gmax float64, rate int) []int16 {
	var out []int16
	for i, p := range parts {
		if i > 0 {
			out = append(out, make([]int16, int((gmin+r.Float64()*(gmax-gmin))*float64(rate)))...)
		}
		out = append(out, p...)
	}
	return out
}

// trimPCM cuts silence (below 1% of peak) at both ends.
func trimPCM(p []int16) []int16 {
	peak := 0.0
	for _, v := range p {
		peak = math.Max(peak, math.Abs(float64(v)))
	}
	th := int16(peak * 0.01)
	a, b := 0, len(p)
	for a < b && p[a] < th && p[a] > -th {
		a++
	}
	for b > a && p[b-1] < th && p[b-1] > -th {
		b--
	}
	return p[a:b]
}

func parseWAV(b []byte) ([]int16, int) {
	if len(b) < 12 || string(b[:4]) != "RIFF" {
		fatal(errors.New("not a WAV"))
	}
	rate := 0
	p := 12
	for p+8 <= len(b) {
		id := string(b[p : p+4])
		sz := int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		if id == "fmt " {
			if ch := binary.LittleEndian.Uint16(body[2:]); ch != 1 {
				fatal(fmt.Errorf("WAV has %d channels", ch))
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		}
		if id == "data" {
			if sz > len(body) || sz <= 0 {
				sz = len(body) // espeak --stdout leaves the size unset
			}
			return bytesPCM(body[:sz&^1]), rate
		}
		p += 8 + sz + sz&1
	}
	fatal(errors.New("WAV without data"))
	return nil, 0
}

func bytesPCM(b []byte) []int16 {
	pcm := make([]int16, len(b)/2)
	binary.Read(bytes.NewReader(b[:2*len(pcm)]), binary.LittleEndian, pcm)
	return pcm
}

func pcmBytes(p []int16) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, p)
	return buf.Bytes()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "digiteval:", err)
	os.Exit(1)
}
