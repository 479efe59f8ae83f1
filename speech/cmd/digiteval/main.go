// Command digiteval measures the speech package on speakers it never saw: 4-digit
// sequences built from real isolated-digit recordings of the TEST speakers of
// speech/train/split.csv (FSDD and en-digits: English; zh-digits: Mandarin), one speaker per
// sequence, random gaps, seeded. Per language it prints the free decode's exact-string
// rate, the genuine challenge accepted at liveness_preferences 1 (3 of 4) and 2 (all four),
// a challenge with one wrong digit accepted at preferences 2 and with two wrong digits at
// preferences 1, non-digit sounds accepted (espeak-ng sentences in English, Mandarin pinyin
// and other languages with no digits, noise, tones, humming, music-like chords), the
// per-digit confusion of the free decode and the CPU time per 5 s of audio.
//
//	go run ./speech/cmd/digiteval                 # test speakers
//	go run ./speech/cmd/digiteval -split val      # tuning speakers
//	go run ./speech/cmd/digiteval -aug opus       # through an Opus round trip (ffmpeg)
//	go run ./speech/cmd/digiteval -aug tel        # every take through an 8 kHz band first (a
//	                                              # narrow-band voice; the pauses' hiss stays wide-band)
//	go run ./speech/cmd/digiteval -split val -model /tmp/cand.onnx   # a candidate graph, before shipping it
//
// Thresholds may be overridden (-minconf, -minsub, -mindel) to tune on -split val only;
// -sweep prints accept rates over a grid of thresholds from the same measurements.
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
	"strconv"
	"syscall"

	"github.com/faceverify/faceverify/internal/csvfile"
	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/verify"
)

type rec struct {
	dataset, speaker string
	digit            int
	path             string
}

type seq struct {
	lang     string // "en" | "zh"
	speaker  string
	digits   string // "" = non-digit sound
	desc     string
	pcm      []int16 // 16 kHz
	short    []int16 // the same string with one take left out (3 digits said), same gaps
	wrong1   string
	wrong2   string
	challeng string // the challenge tried on non-digit sounds
}

type outcome struct {
	s              seq
	heard          string
	v, w1, w2      speech.Verification
	short          speech.Verification // the short clip against the full challenge
	vErr           error
	audioS, cpuSec float64
}

func main() {
	split := flag.String("split", "test", "speakers to evaluate: test or val")
	aug := flag.String("aug", "none", "none, opus (ffmpeg Opus 24 kb/s round trip) or tel (each take band-limited to 8 kHz)")
	n := flag.Int("n", 150, "sequences per language")
	nimp := flag.Int("imp", 60, "non-digit clips (sentences and signals)")
	seed := flag.Int64("seed", 21, "random seed")
	ds := flag.String("datasets", "/work/shared/datasets/speech", "speech datasets directory")
	splitCSV := flag.String("splitcsv", "", "split file (default speech/train/split.csv of the repo)")
	lang := flag.String("lang", "", "narrow the recogniser to en or zh (default both)")
	th := speech.DefaultThresholds
	// Threshold overrides: NaN (not given) keeps the shipped value.
	for _, o := range []struct {
		name, usage string
		field       *float64
	}{
		{"minconf", "Thresholds.MinConf", &th.MinConf},
		{"minsub", "Thresholds.MinSubMargin", &th.MinSubMargin},
		{"mindel", "Thresholds.MinDelMargin", &th.MinDelMargin},
		{"langprior", "Thresholds.LangPrior", &th.LangPrior},
		{"quietdb", "Thresholds.QuietDB (0 = no quiet gate)", &th.QuietDB},
		{"lenmargin", "Thresholds.LenMargin (0 = plain best-path free decode)", &th.LenMargin},
	} {
		flag.Func(o.name, "override "+o.usage, func(v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				*o.field = f
			}
			return err
		})
	}
	modelPath := flag.String("model", "", "evaluate this candidate digits.onnx instead of the embedded model (same form; not pinned)")
	sweep := flag.Bool("sweep", false, "print accept rates over a grid of thresholds")
	verbose := flag.Bool("v", false, "print every sequence")
	flag.Parse()

	language, err := speech.ParseLanguage(*lang)
	check(err)
	cfg := speech.Config{Threads: 1, Thresholds: &th}
	if *modelPath != "" {
		cfg.ModelONNX, err = os.ReadFile(*modelPath)
		check(err)
	}
	r, err := speech.Open(cfg)
	check(err)
	defer r.Close()
	if *splitCSV == "" {
		*splitCSV = filepath.Join(repoRoot(), "speech", "train", "split.csv")
	}
	speakers := readSplit(*splitCSV, *split)
	rng := rand.New(rand.NewSource(*seed))
	byLang := map[string]map[string][]rec{"en": {}, "zh": {}}
	for _, d := range []struct{ name, lang string }{{"fsdd", "en"}, {"en-digits", "en"}, {"zh-digits", "zh"}} {
		for _, rc := range readLabels(*ds, d.name) {
			if speakers[d.name+"/"+rc.speaker] {
				k := d.name + "/" + rc.speaker
				byLang[d.lang][k] = append(byLang[d.lang][k], rc)
			}
		}
	}
	var seqs []seq
	for _, l := range []string{"en", "zh"} {
		seqs = append(seqs, buildSeqs(rng, l, byLang[l], *n, *aug == "tel")...)
	}
	seqs = append(seqs, nonDigit(rng, *nimp)...)
	if *aug == "opus" {
		for i := range seqs {
			seqs[i].pcm = opus(seqs[i].pcm)
			if seqs[i].short != nil {
				seqs[i].short = opus(seqs[i].short)
			}
		}
	}
	fmt.Printf("digiteval: split=%s aug=%s seed=%d lang=%q model=%s thresholds=%+v\n", *split, *aug, *seed, *lang, r.Version, th)

	outs := make([]outcome, len(seqs))
	for i, s := range seqs {
		o := outcome{s: s, audioS: float64(len(s.pcm)) / 16000}
		c0 := cpu()
		chal := s.digits
		if chal == "" {
			chal = s.challeng
		}
		o.v, o.vErr = r.VerifyIn(language, s.pcm, 16000, chal)
		o.cpuSec = cpu() - c0
		if o.vErr != nil && !errors.Is(o.vErr, speech.ErrNoSpeech) {
			check(o.vErr)
		}
		o.heard = o.v.Heard.Digits
		if s.digits != "" {
			o.w1, _ = r.VerifyIn(language, s.pcm, 16000, s.wrong1)
			o.w2, _ = r.VerifyIn(language, s.pcm, 16000, s.wrong2)
			o.short, _ = r.VerifyIn(language, s.short, 16000, s.digits)
		}
		if *verbose && s.digits != "" {
			fmt.Printf("%-3s %-34s %-5s heard %-8q right %d conf %.2f margin %.1f ins %d zh %.2f lengap %.1f | w1 %s %d | w2 %s %d | short heard %q right %d lengap %.1f\n",
				s.lang, s.speaker, s.digits, o.heard, o.v.Right, o.v.Conf, o.v.Margins, o.v.Inserted, o.v.Zh, o.v.LenGap,
				s.wrong1, o.w1.Right, s.wrong2, o.w2.Right, o.short.Heard.Digits, o.short.Right, o.short.LenGap)
		}
		if *verbose && s.digits == "" {
			fmt.Printf("non %-20s %s heard %-8q right %d lengap %.1f\n", s.lang, chal, o.heard, o.v.Right, o.v.LenGap)
		}
		outs[i] = o
	}
	report(outs, th)
	if *sweep {
		sweepGrid(outs, th)
	}
}

func report(outs []outcome, th speech.Thresholds) {
	var cpuS, audioS float64
	for _, o := range outs {
		cpuS += o.cpuSec
		audioS += o.audioS
	}
	for _, l := range []string{"en", "zh"} {
		var nSeq, exact, acc1, acc2, w1, w2, sh4, shAcc1, shAcc2 int
		spk := map[string]bool{}
		miss := map[string]int{}
		var conf [10][11]int // spoken × heard (10 = wrong length)
		for _, o := range outs {
			if o.s.lang != l || o.s.digits == "" {
				continue
			}
			nSeq++
			spk[o.s.speaker] = true
			if o.heard == o.s.digits {
				exact++
			} else {
				miss[o.s.speaker]++
			}
			sh4 += b2i(len(o.short.Heard.Digits) == 4)
			shAcc1 += b2i(o.short.Right >= 3)
			shAcc2 += b2i(o.short.Right == 4)
			if o.v.Right >= 3 {
				acc1++
			}
			if o.v.Right == 4 {
				acc2++
			}
			if o.w1.Right == 4 {
				w1++
			}
			if o.w2.Right >= 3 {
				w2++
			}
			for i := 0; i < 4; i++ {
				h := 10
				if len(o.heard) == 4 {
					h = int(o.heard[i] - '0')
				}
				conf[o.s.digits[i]-'0'][h]++
			}
		}
		if nSeq == 0 {
			fmt.Printf("\n[%s] no sequences (no speakers in this split?)\n", l)
			continue
		}
		name := map[string]string{"en": "English", "zh": "Mandarin"}[l]
		fmt.Printf("\n[%s] %d sequences from %d speakers\n", name, nSeq, len(spk))
		fmt.Printf("  4-digit string exactly right        %6.1f %%  (%d/%d)\n", pct(exact, nSeq), exact, nSeq)
		fmt.Printf("  genuine accepted, preferences 1     %6.1f %%  (%d/%d)\n", pct(acc1, nSeq), acc1, nSeq)
		fmt.Printf("  genuine accepted, preferences 2     %6.1f %%  (%d/%d)\n", pct(acc2, nSeq), acc2, nSeq)
		fmt.Printf("  1 wrong digit accepted (pref 2)     %6.1f %%  (%d/%d)\n", pct(w1, nSeq), w1, nSeq)
		fmt.Printf("  2 wrong digits accepted (pref 1)    %6.1f %%  (%d/%d)\n", pct(w2, nSeq), w2, nSeq)
		fmt.Printf("  one digit left out: heard 4 long    %6.1f %%  (%d/%d)\n", pct(sh4, nSeq), sh4, nSeq)
		fmt.Printf("  one digit left out: accepted pref 1 %6.1f %%  (%d/%d; 3 of 4 said: by design)\n", pct(shAcc1, nSeq), shAcc1, nSeq)
		fmt.Printf("  one digit left out: accepted pref 2 %6.1f %%  (%d/%d)\n", pct(shAcc2, nSeq), shAcc2, nSeq)
		var ms []string
		for k := range miss {
			ms = append(ms, k)
		}
		sort.Slice(ms, func(i, j int) bool { return miss[ms[i]] > miss[ms[j]] || miss[ms[i]] == miss[ms[j]] && ms[i] < ms[j] })
		fmt.Printf("  misses by speaker:")
		for _, k := range ms {
			fmt.Printf(" %s %d", k, miss[k])
		}
		fmt.Println()
		fmt.Printf("  confusion (free decode; rows spoken, cols heard, '-' = string not 4 long):\n       ")
		for h := 0; h < 10; h++ {
			fmt.Printf("%4d", h)
		}
		fmt.Printf("   -\n")
		for d := 0; d < 10; d++ {
			fmt.Printf("    %d: ", d)
			for h := 0; h <= 10; h++ {
				fmt.Printf("%4d", conf[d][h])
			}
			fmt.Println()
		}
	}
	groups := map[string][2]int{}
	var keys []string
	for _, o := range outs {
		if o.s.digits != "" {
			continue
		}
		g := groups[o.s.lang]
		if g == [2]int{} {
			keys = append(keys, o.s.lang)
		}
		g[0]++
		if o.v.Right >= 3 {
			g[1]++
		}
		groups[o.s.lang] = g
	}
	sort.Strings(keys)
	fmt.Printf("\n[non-digit] accepted at preferences 1 (3 of 4), random challenge:\n")
	tn, ta := 0, 0
	for _, k := range keys {
		g := groups[k]
		tn += g[0]
		ta += g[1]
		fmt.Printf("  %-22s %d/%d\n", k, g[1], g[0])
	}
	fmt.Printf("  all                    %6.1f %% (%d/%d)\n", pct(ta, tn), ta, tn)
	fmt.Printf("\nCPU: %.1f ms per 5 s of audio (Verify: model + decoding, 1 thread; %0.f s of audio)\n", 5000*cpuS/audioS, audioS)
}

// sweepGrid re-judges the stored measurements over a grid of thresholds and prints the
// settings that pass the wrong-digit and non-digit limits (≤ 1 % each, every language),
// best first by the worse language's genuine acceptance at preferences 1, then at 2.
// Run it on -split val only: that is how DefaultThresholds were chosen.
func sweepGrid(outs []outcome, base speech.Thresholds) {
	type row struct {
		th        speech.Thresholds
		line      string
		ok        bool
		key, key2 float64
	}
	var rows []row
	for _, mc := range []float64{0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8} {
		for _, ms := range []float64{0, 1, 2, 3, 4, 5, 6} {
			for _, md := range []float64{0, 1, 2, 3, 4, 5, 6} {
				th := base
				th.MinConf, th.MinSubMargin, th.MinDelMargin = mc, ms, md
				r := row{th: th, ok: true, key: 101, key2: 101}
				r.line = fmt.Sprintf("conf %.1f sub %.0f del %.0f |", mc, ms, md)
				for _, l := range []string{"en", "zh"} {
					var n, a1, a2, f1, f2 int
					for _, o := range outs {
						if o.s.lang != l || o.s.digits == "" {
							continue
						}
						n++
						v, w1, w2 := o.v, o.w1, o.w2
						v.Judge(th)
						w1.Judge(th)
						w2.Judge(th)
						a1 += b2i(v.Right >= 3)
						a2 += b2i(v.Right == 4)
						f1 += b2i(w1.Right == 4)
						f2 += b2i(w2.Right >= 3)
					}
					if n == 0 {
						continue
					}
					r.line += fmt.Sprintf(" %s %5.1f %5.1f %4.1f %4.1f |", l, pct(a1, n), pct(a2, n), pct(f1, n), pct(f2, n))
					r.ok = r.ok && pct(f1, n) <= 1 && pct(f2, n) <= 1
					r.key = math.Min(r.key, pct(a1, n))
					r.key2 = math.Min(r.key2, pct(a2, n))
				}
				var ni, ai int
				for _, o := range outs {
					if o.s.digits == "" {
						v := o.v
						v.Judge(th)
						ni++
						ai += b2i(v.Right >= 3)
					}
				}
				r.ok = r.ok && pct(ai, ni) <= 1
				r.line += fmt.Sprintf(" non-digit %4.1f", pct(ai, ni))
				rows = append(rows, r)
			}
		}
	}
	fmt.Printf("\nsweep (per language: genuine pref1, pref2, wrong1@2, wrong2@1 in %%; non-digit@1)\n")
	for _, r := range rows {
		fmt.Println(r.line)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].ok != rows[j].ok {
			return rows[i].ok
		}
		if rows[i].key != rows[j].key {
			return rows[i].key > rows[j].key
		}
		return rows[i].key2 > rows[j].key2
	})
	fmt.Printf("\nbest within the limits (wrong-digit and non-digit accepts ≤ 1 %%):\n")
	for _, r := range rows[:min(8, len(rows))] {
		if r.ok {
			fmt.Println(" ", r.line)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pct(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
}

// challenge draws a challenge the service could issue (verify.NewChallenge's rules) from
// the digits avail; with too few distinct digits it relaxes the rules.
func challenge(rng *rand.Rand, avail []int) string {
	for try := 0; try < 200; try++ {
		b := make([]byte, 4)
		for i := range b {
			b[i] = byte('0' + avail[rng.Intn(len(avail))])
		}
		if try > 100 || !verify.EasyChallenge(string(b)) {
			return string(b)
		}
	}
	return ""
}

func mutate(rng *rand.Rand, s string, k int) string {
	b := []byte(s)
	for _, i := range rng.Perm(4)[:k] {
		for {
			d := byte('0' + rng.Intn(10))
			if d != s[i] {
				b[i] = d
				break
			}
		}
	}
	return string(b)
}

// buildSeqs builds n 4-digit strings per language from the speakers' takes; tel band-limits
// every take to 8 kHz before the strings are joined (-aug tel: the pauses stay wide-band).
func buildSeqs(rng *rand.Rand, lang string, bySpk map[string][]rec, n int, tel bool) []seq {
	var spks []string
	for k, rs := range bySpk {
		distinct := map[int]bool{}
		for _, r := range rs {
			distinct[r.digit] = true
		}
		if len(distinct) >= 2 {
			spks = append(spks, k)
		}
	}
	sort.Strings(spks)
	if len(spks) == 0 {
		return nil
	}
	cache := map[string][]int16{}
	load := func(p string) []int16 {
		if c, ok := cache[p]; ok {
			return c
		}
		pcm, rate := readWav(p)
		pcm = speech.Resample(pcm, rate, 16000)
		pcm = speech.TrimIsolated(pcm)
		if tel {
			pcm = speech.Resample(speech.Resample(pcm, 16000, 8000), 8000, 16000)
		}
		cache[p] = pcm
		return pcm
	}
	var out []seq
	for i := 0; i < n; i++ {
		spk := spks[i%len(spks)]
		rs := bySpk[spk]
		byDigit := map[int][]rec{}
		var avail []int
		for _, r := range rs {
			if len(byDigit[r.digit]) == 0 {
				avail = append(avail, r.digit)
			}
			byDigit[r.digit] = append(byDigit[r.digit], r)
		}
		sort.Ints(avail)
		digits := challenge(rng, avail)
		// pieces: gap, take 0, gap, take 1, gap, take 2, gap, take 3, gap
		pieces := [][]int16{noise(rng, 0.3+0.5*rng.Float64())}
		for k := 0; k < 4; k++ {
			cands := byDigit[int(digits[k]-'0')]
			pieces = append(pieces, load(cands[rng.Intn(len(cands))].path))
			if k < 3 {
				pieces = append(pieces, noise(rng, 0.12+0.5*rng.Float64()))
			}
		}
		pieces = append(pieces, noise(rng, 0.3+0.5*rng.Float64()))
		// The take left out is drawn from its own generator so that the strings (and the
		// figures of every earlier run with the same seed) do not change.
		drop := 1 + 2*rand.New(rand.NewSource(int64(i)*7919+int64(len(pieces[0])))).Intn(4)
		var pcm, short []int16
		for j, pc := range pieces {
			pcm = append(pcm, pc...)
			if j != drop {
				short = append(short, pc...)
			}
		}
		out = append(out, seq{lang: lang, speaker: spk, digits: digits, pcm: pcm, short: short,
			wrong1: mutate(rng, digits, 1), wrong2: mutate(rng, digits, 2)})
	}
	return out
}

// noise is a gap of faint room noise (−60 dBFS).
func noise(rng *rand.Rand, sec float64) []int16 {
	out := make([]int16, int(sec*16000))
	for i := range out {
		out[i] = int16(rng.NormFloat64() * 30)
	}
	return out
}

var enSentences = []string{
	"the weather is lovely this morning",
	"please look at the camera and smile",
	"I would like a cup of coffee with milk",
	"my name is Alice and I live in the city",
	"the quick brown fox jumps over the lazy dog",
	"can you hear me clearly now",
	"we are going shopping this afternoon",
	"open the door and close the window",
	"thank you very much, have a nice day",
	"she sells sea shells by the sea shore",
	"hello, this is a test of the microphone",
	"let us meet at the station tomorrow",
}

// Mandarin pinyin (espeak-ng cmn-latn-pinyin) with none of the digit syllables
// (ling yi yao er san si wu liu qi ba jiu, any tone).
var zhSentences = []string{
	"ni3 hao3 , wo3 men zhun3 bei4 chu1 fa1 le",
	"jin1 tian1 tian1 kong1 hen3 lan2",
	"qing3 kan4 zhe che4 xiang4 tou2 , bao3 chi2 bu2 dong4",
	"wo3 xiang3 he1 bei1 re4 cha2",
	"ta1 zai4 tu2 shu1 guan3 kan4 shu1",
	"ming2 tian1 zao3 shang4 jian4 mian4",
	"zhe4 ge dian4 ying3 fei1 chang2 hao3 kan4",
	"xie4 xie4 ni3 de bang1 zhu4",
	"wo3 men xian4 zai4 kai1 shi3 ba",
	"ni3 ting1 de dao4 wo3 shuo1 hua4 ma",
	"zhong1 guo2 de cheng2 shi4 hen3 da4",
	"mei3 tian1 dou1 yao4 duan4 lian4 shen1 ti3",
}

var otherSentences = []struct{ voice, text string }{
	{"de", "guten morgen, wie geht es dir heute"},
	{"fr", "bonjour, je voudrais un café s'il vous plaît"},
	{"es", "buenos días, me llamo Carlos y vivo en Madrid"},
	{"ja", "konnichiwa, hajimemashite"},
	{"ru", "dobroye utro, kak dela"},
	{"it", "buongiorno, come stai oggi"},
}

// nonDigit builds n clips that hold no digit: sentences (English, Mandarin, others) and
// signals (noise, tone, humming, chords).
func nonDigit(rng *rand.Rand, n int) []seq {
	var out []seq
	enVoices := []string{"en-us", "en", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-us+f3", "en+m3"}
	zhVoices := []string{"cmn-latn-pinyin", "cmn-latn-pinyin+f2", "cmn-latn-pinyin+m3", "cmn-latn-pinyin+f4"}
	haveEspeak := exec.Command("espeak-ng", "--version").Run() == nil
	for i := 0; len(out) < n; i++ {
		kind := i % 5
		var s seq
		chal := challenge(rng, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
		switch {
		case kind == 0 && haveEspeak:
			s = seq{lang: "sentence-en", desc: enSentences[rng.Intn(len(enSentences))]}
			s.pcm = espeak(enVoices[rng.Intn(len(enVoices))], 120+rng.Intn(70), s.desc)
		case kind == 1 && haveEspeak:
			s = seq{lang: "sentence-zh", desc: zhSentences[rng.Intn(len(zhSentences))]}
			s.pcm = espeak(zhVoices[rng.Intn(len(zhVoices))], 120+rng.Intn(60), s.desc)
		case kind == 2 && haveEspeak:
			o := otherSentences[rng.Intn(len(otherSentences))]
			s = seq{lang: "sentence-other", desc: o.voice + ": " + o.text}
			s.pcm = espeak(o.voice, 130+rng.Intn(40), o.text)
		default:
			s = seq{lang: "signal", desc: "signal"}
			s.desc, s.pcm = signal(rng, i/5)
		}
		s.challeng = chal
		out = append(out, s)
	}
	return out
}

// signal synthesises 4 s of a non-speech sound: white noise, a hum with vibrato, a chord
// sequence (music-like), or babble-like modulated noise.
func signal(rng *rand.Rand, k int) (string, []int16) {
	const sr = 16000
	n := 4 * sr
	out := make([]int16, n)
	kind := k % 4
	f0 := 110 + 120*rng.Float64()
	for i := range out {
		t := float64(i) / sr
		var v float64
		switch kind {
		case 0:
			v = 0.2 * rng.NormFloat64()
		case 1: // humming: harmonics with vibrato and a slow envelope
			f := f0 * (1 + 0.02*math.Sin(2*math.Pi*5*t))
			for h := 1; h <= 6; h++ {
				v += math.Sin(2*math.Pi*f*float64(h)*t) / float64(h*h)
			}
			v *= 0.3 * (0.6 + 0.4*math.Sin(2*math.Pi*0.7*t))
		case 2: // chords changing every 0.5 s
			notes := [][]float64{{261.6, 329.6, 392}, {220, 261.6, 329.6}, {196, 246.9, 293.7}, {174.6, 220, 261.6}}
			ch := notes[int(t*2)%4]
			for _, f := range ch {
				v += 0.12 * math.Sin(2*math.Pi*f*t) * math.Exp(-3*math.Mod(t, 0.5))
			}
		case 3: // noise bursts at a syllable rate
			v = 0.2 * rng.NormFloat64() * math.Max(0, math.Sin(2*math.Pi*4*t))
		}
		out[i] = int16(math.Max(-32768, math.Min(32767, v*32767)))
	}
	return []string{"white noise", "humming", "chords", "syllabic noise"}[kind], out
}

func espeak(voice string, speed int, text string) []int16 {
	dir, err := os.MkdirTemp("", "digiteval")
	check(err)
	defer os.RemoveAll(dir)
	wav := filepath.Join(dir, "s.wav")
	if out, err := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-w", wav, text).CombinedOutput(); err != nil {
		check(fmt.Errorf("espeak-ng: %v %s", err, out))
	}
	pcm, rate := readWav(wav)
	return speech.Resample(pcm, rate, 16000)
}

// opus round-trips 16 kHz PCM through Opus in WebM (what a browser's MediaRecorder sends).
func opus(pcm []int16) []int16 {
	dir, err := os.MkdirTemp("", "digiteval")
	check(err)
	defer os.RemoveAll(dir)
	raw, webm, back := filepath.Join(dir, "a.raw"), filepath.Join(dir, "a.webm"), filepath.Join(dir, "b.raw")
	var buf bytes.Buffer
	check(binary.Write(&buf, binary.LittleEndian, pcm))
	check(os.WriteFile(raw, buf.Bytes(), 0o600))
	run("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", raw, "-c:a", "libopus", "-b:a", "24k", webm)
	run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", webm, "-f", "s16le", "-ar", "16000", "-ac", "1", back)
	b, err := os.ReadFile(back)
	check(err)
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

func run(name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		check(fmt.Errorf("%s: %v %s", name, err, out))
	}
}

// readWav reads a PCM WAV (8/16/24/32-bit integer or 32-bit float, any channels → mono).
func readWav(path string) ([]int16, int) {
	b, err := os.ReadFile(path)
	check(err)
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		check(fmt.Errorf("%s: not a WAV file", path))
	}
	var ch, bits, format int
	rate := 0
	for p := 12; p+8 <= len(b); {
		id, sz := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(len(b), p+8+sz)]
		switch id {
		case "fmt ":
			format = int(binary.LittleEndian.Uint16(body))
			ch = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
			if format == 0xFFFE && len(body) >= 26 {
				format = int(binary.LittleEndian.Uint16(body[24:]))
			}
		case "data":
			if ch == 0 {
				check(fmt.Errorf("%s: data before fmt", path))
			}
			bps := bits / 8
			nfr := len(body) / (bps * ch)
			out := make([]int16, nfr)
			for i := 0; i < nfr; i++ {
				var acc float64
				for c := 0; c < ch; c++ {
					o := (i*ch + c) * bps
					var v float64
					switch {
					case format == 3 && bits == 32:
						v = float64(math.Float32frombits(binary.LittleEndian.Uint32(body[o:]))) * 32768
					case bits == 8:
						v = (float64(body[o]) - 128) * 256
					case bits == 16:
						v = float64(int16(binary.LittleEndian.Uint16(body[o:])))
					case bits == 24:
						v = float64(int32(uint32(body[o])<<8|uint32(body[o+1])<<16|uint32(body[o+2])<<24)>>8) / 256
					case bits == 32:
						v = float64(int32(binary.LittleEndian.Uint32(body[o:]))) / 65536
					}
					acc += v
				}
				out[i] = int16(math.Max(-32768, math.Min(32767, acc/float64(ch))))
			}
			return out, rate
		}
		p += 8 + sz + sz%2
	}
	check(fmt.Errorf("%s: no data chunk", path))
	return nil, 0
}

func readCSV(path string) []map[string]string {
	rows, err := csvfile.Read(path)
	check(err)
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

func readSplit(path, split string) map[string]bool {
	out := map[string]bool{}
	for _, m := range readCSV(path) {
		if m["split"] == split {
			out[m["dataset"]+"/"+m["speaker"]] = true
		}
	}
	if len(out) == 0 {
		check(fmt.Errorf("%s: no speakers in split %q", path, split))
	}
	return out
}

func readLabels(root, dataset string) []rec {
	var out []rec
	for _, m := range readCSV(filepath.Join(root, dataset, "labels.csv")) {
		d := int(m["digit"][0] - '0')
		out = append(out, rec{dataset: dataset, speaker: m["speaker"], digit: d, path: filepath.Join(root, dataset, m["file"])})
	}
	return out
}

func repoRoot() string {
	dir, err := os.Getwd()
	check(err)
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func cpu() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "digiteval:", err)
		os.Exit(1)
	}
}
