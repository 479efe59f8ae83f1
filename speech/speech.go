// Package speech recognises the four spoken digits of a liveness challenge.
//
// It wraps CMU pocketsphinx (Debian libpocketsphinx, en-us acoustic model) through cgo and
// constrains the search with a JSGF grammar of exactly four digit words, so the decoder can
// only answer "which four digits, and when". English digits are the supported language;
// Mandarin digits are an experiment (en-us phones spelling the ten syllables; see
// docs/liveness.md for what it measures). The package owns the decoders, resampling to
// 16 kHz and silence trimming. Digits decodes freely; Verify checks a known challenge digit
// by digit (pipeline decides pass/fail from the count).
package speech

/*
#cgo pkg-config: pocketsphinx
#include <stdlib.h>
#include <pocketsphinx.h>

static cmd_ln_t *fv_config(int argc, char **argv) {
	return cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE);
}

static const char *fv_cfg_str(ps_decoder_t *ps, const char *name) {
	return cmd_ln_str_r(ps_get_config(ps), name);
}

static double fv_cfg_float(ps_decoder_t *ps, const char *name) {
	return cmd_ln_float32_r(ps_get_config(ps), name);
}

static int fv_seg_frames(ps_seg_t *seg, int *sf, int *ef) {
	ps_seg_frames(seg, sf, ef);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
	"unsafe"
)

// Language of the spoken digits.
type Language string

const (
	English  Language = "en"
	Mandarin Language = "zh" // experimental: en-us phones approximating the syllables
)

// Config of a Recognizer.
type Config struct {
	// ModelDir is the pocketsphinx acoustic model ("" = Debian's en-us model).
	ModelDir string
	// Decoders is the number of decoders in the pool (0 = 2); each holds its own copy of
	// the acoustic model (~10 MB) and serves one clip at a time.
	Decoders int
	// Args overrides pocketsphinx options, name → value (e.g. "-beam": "1e-60"), on top of
	// DefaultArgs. For tuning (speech/cmd/digiteval); nil is the measured default.
	Args map[string]string
	// Tolerance overrides DefaultTolerance for Verify (0 = default; negative = stricter).
	Tolerance float64
	// NoTrim disables the energy-based trimming of leading/trailing silence before decoding
	// (on by default: every clip starts a fresh stream, and the decoder's own voice-activity
	// estimate starts cold, which loses the first digit without trimming).
	NoTrim bool
}

// DefaultArgs are the pocketsphinx options used unless Config.Args overrides them
// (-hmm, -dict and -featparams are set by Open). Tuned with speech/cmd/digiteval.
var DefaultArgs = map[string]string{
	"-samprate": "16000",
	"-bestpath": "yes",
	"-topn":     "16",
	"-cmn":      "current", // cepstral mean over the clip itself: no state carried between clips
	"-logfn":    "/dev/null",
	// The front end's voice-activity filter (-remove_silence, on by default) keeps noise
	// estimates per stream; decode starts a new stream for every clip (ps_start_stream), so a
	// clip decodes the same whatever a pooled decoder heard before (TestDeterministic).
}

// DefaultModelDir is where Debian's pocketsphinx-en-us installs the acoustic model.
const DefaultModelDir = "/usr/share/pocketsphinx/model/en-us/en-us"

// Word is one recognised digit. Digit is '0'…'9'; Start/End are relative to the start of
// the PCM passed in; Score is the word's posterior probability (0–1).
type Word struct {
	Digit      byte
	Start, End time.Duration
	Score      float64
}

// Result of one recognition.
type Result struct {
	Digits string
	Words  []Word
}

// ErrNoSpeech is returned when the decoder finds no digit at all.
var ErrNoSpeech = errors.New("speech: no digits recognised")

// Recognizer decodes digits; safe for concurrent use (a pool of decoders).
type Recognizer struct {
	pool      chan *C.ps_decoder_t
	all       []*C.ps_decoder_t
	trim      bool
	tolerance float64 // see DefaultTolerance
	lw        float64 // language weight (-lw) the grammars' transition scores carry
}

// Dictionary: English digit words (CMUdict pronunciations) and Mandarin syllables in en-us
// phones. Words are named so that the digit is recoverable from the word.
var dict = []struct{ word, phones string }{
	{"zero", "Z IH R OW"}, {"zero(2)", "Z IY R OW"}, {"oh", "OW"},
	{"one", "W AH N"}, {"one(2)", "HH W AH N"}, {"two", "T UW"}, {"three", "TH R IY"},
	{"four", "F AO R"}, {"five", "F AY V"}, {"six", "S IH K S"}, {"seven", "S EH V AH N"},
	{"eight", "EY T"}, {"nine", "N AY N"},
	{"ling", "L IH NG"}, {"ling(2)", "L IY NG"}, {"yi", "IY"}, {"yi(2)", "Y IY"}, {"yao", "Y AW"},
	{"er", "AA R"}, {"er(2)", "ER"}, {"san", "S AA N"}, {"si", "S Z"}, {"si(2)", "S IH"}, {"si(3)", "S ER"},
	{"wu", "W UW"}, {"wu(2)", "UW"}, {"liu", "L Y OW"}, {"liu(2)", "L IY OW"}, {"qi", "CH IY"},
	{"ba", "B AA"}, {"jiu", "JH Y OW"}, {"jiu(2)", "JH IY OW"},
}

var digitOf = map[string]byte{
	"zero": '0', "oh": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5',
	"six": '6', "seven": '7', "eight": '8', "nine": '9',
	"ling": '0', "yi": '1', "yao": '1', "er": '2', "san": '3', "si": '4', "wu": '5', "liu": '6',
	"qi": '7', "ba": '8', "jiu": '9',
}

// wordsOf lists, per language and digit, the grammar words that say it.
var wordsOf = map[Language][10][]string{
	English:  {{"zero"}, {"one"}, {"two"}, {"three"}, {"four"}, {"five"}, {"six"}, {"seven"}, {"eight"}, {"nine"}},
	Mandarin: {{"ling"}, {"yi", "yao"}, {"er"}, {"san"}, {"si"}, {"wu"}, {"liu"}, {"qi"}, {"ba"}, {"jiu"}},
}

// grammar is a JSGF grammar of four slots; slot i allows the words of digits allow[i].
func grammar(lang Language, allow [4]string) string {
	var sb strings.Builder
	sb.WriteString("#JSGF V1.0;\ngrammar digits;\npublic <digits> = <d0> <d1> <d2> <d3>;\n")
	for i, ds := range allow {
		var alts []string
		for _, d := range []byte(ds) {
			alts = append(alts, wordsOf[lang][d-'0']...)
		}
		fmt.Fprintf(&sb, "<d%d> = %s;\n", i, strings.Join(alts, " | "))
	}
	return sb.String()
}

const allDigits = "0123456789"

func freeGrammar(lang Language) string {
	return grammar(lang, [4]string{allDigits, allDigits, allDigits, allDigits})
}

// Open loads cfg.Decoders decoders.
func Open(cfg Config) (*Recognizer, error) {
	if cfg.ModelDir == "" {
		cfg.ModelDir = DefaultModelDir
	}
	if cfg.Decoders <= 0 {
		cfg.Decoders = 2
	}
	if _, err := os.Stat(filepath.Join(cfg.ModelDir, "mdef")); err != nil {
		return nil, fmt.Errorf("speech: acoustic model: %w", err)
	}
	dir, err := os.MkdirTemp("", "fv-speech-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // the decoders read the files in ps_init
	var sb strings.Builder
	for _, d := range dict {
		fmt.Fprintf(&sb, "%s %s\n", d.word, d.phones)
	}
	dictPath := filepath.Join(dir, "digits.dict")
	if err := os.WriteFile(dictPath, []byte(sb.String()), 0o600); err != nil {
		return nil, err
	}
	args := map[string]string{}
	for k, v := range DefaultArgs {
		args[k] = v
	}
	for k, v := range cfg.Args {
		args[k] = v
	}
	args["-hmm"] = cfg.ModelDir
	args["-dict"] = dictPath
	// The model's feat.params would override options given here (it is read after them):
	// write a copy without the options we set ourselves.
	if fp, err := os.ReadFile(filepath.Join(cfg.ModelDir, "feat.params")); err == nil {
		var keep []string
		for _, l := range strings.Split(string(fp), "\n") {
			f := strings.Fields(l)
			if len(f) == 0 {
				continue
			}
			if _, ours := args[f[0]]; ours {
				continue
			}
			keep = append(keep, l)
		}
		fpPath := filepath.Join(dir, "feat.params")
		if err := os.WriteFile(fpPath, []byte(strings.Join(keep, "\n")+"\n"), 0o600); err != nil {
			return nil, err
		}
		args["-featparams"] = fpPath
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	argv := []*C.char{C.CString("faceverify")}
	for _, k := range keys {
		argv = append(argv, C.CString(k), C.CString(args[k]))
	}
	defer func() {
		for _, a := range argv {
			C.free(unsafe.Pointer(a))
		}
	}()
	cargv := (**C.char)(C.malloc(C.size_t(len(argv)) * C.size_t(unsafe.Sizeof(argv[0]))))
	defer C.free(unsafe.Pointer(cargv))
	copy(unsafe.Slice(cargv, len(argv)), argv)

	r := &Recognizer{pool: make(chan *C.ps_decoder_t, cfg.Decoders), trim: !cfg.NoTrim, tolerance: DefaultTolerance}
	if cfg.Tolerance != 0 {
		r.tolerance = cfg.Tolerance
	}
	for i := 0; i < cfg.Decoders; i++ {
		conf := C.fv_config(C.int(len(argv)), cargv)
		if conf == nil {
			r.Close()
			return nil, errors.New("speech: bad pocketsphinx configuration")
		}
		ps := C.ps_init(conf)
		C.cmd_ln_free_r(conf)
		if ps == nil {
			r.Close()
			return nil, errors.New("speech: pocketsphinx init failed")
		}
		r.all = append(r.all, ps)
		for _, lang := range []Language{English, Mandarin} {
			if err := setGrammar(ps, string(lang), freeGrammar(lang)); err != nil {
				r.Close()
				return nil, err
			}
		}
		r.pool <- ps
	}
	clw := C.CString("-lw")
	r.lw = float64(C.fv_cfg_float(r.all[0], clw))
	C.free(unsafe.Pointer(clw))
	return r, nil
}

// optionString returns a string-valued pocketsphinx option as the decoders use it.
func (r *Recognizer) optionString(name string) string {
	if len(r.all) == 0 {
		return ""
	}
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	v := C.fv_cfg_str(r.all[0], cn)
	if v == nil {
		return ""
	}
	return C.GoString(v)
}

func setGrammar(ps *C.ps_decoder_t, name, jsgf string) error {
	cn, cg := C.CString(name), C.CString(jsgf)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cg))
	if C.ps_set_jsgf_string(ps, cn, cg) != 0 {
		return errors.New("speech: grammar rejected")
	}
	return nil
}

// Close frees the decoders; the Recognizer must not be in use.
func (r *Recognizer) Close() error {
	for _, ps := range r.all {
		C.ps_free(ps)
	}
	r.all = nil
	return nil
}

// Digits recognises four English digits in pcm (mono, any rate; resampled to 16 kHz).
func (r *Recognizer) Digits(pcm []int16, rate int) (Result, error) {
	return r.DigitsIn(English, pcm, rate)
}

// DigitsIn recognises four digits spoken in lang.
func (r *Recognizer) DigitsIn(lang Language, pcm []int16, rate int) (Result, error) {
	pcm, off, err := r.prepare(lang, pcm, rate)
	if err != nil {
		return Result{}, err
	}
	ps, release, err := r.acquire()
	if err != nil {
		return Result{}, err
	}
	defer release()
	h, err := decode(ps, string(lang), pcm)
	if err != nil {
		return Result{}, err
	}
	res := h.result(off)
	if res.Digits == "" {
		return res, ErrNoSpeech
	}
	return res, nil
}

// prepare checks the input, resamples to 16 kHz and trims silence; off is the time cut
// from the start.
func (r *Recognizer) prepare(lang Language, pcm []int16, rate int) ([]int16, time.Duration, error) {
	if rate <= 0 {
		return nil, 0, errors.New("speech: bad sample rate")
	}
	if lang != English && lang != Mandarin {
		return nil, 0, fmt.Errorf("speech: unsupported language %q", lang)
	}
	if rate != 16000 {
		pcm = Resample(pcm, rate, 16000)
	}
	var off time.Duration
	if r.trim {
		var a int
		pcm, a = trim(pcm, 16000)
		off = time.Duration(a) * time.Second / 16000
	}
	if len(pcm) < 1600 {
		return nil, 0, ErrNoSpeech
	}
	return pcm, off, nil
}

func (r *Recognizer) acquire() (*C.ps_decoder_t, func(), error) {
	ps, ok := <-r.pool
	if !ok || ps == nil {
		return nil, nil, errors.New("speech: recognizer closed")
	}
	runtime.LockOSThread()
	return ps, func() {
		runtime.UnlockOSThread()
		r.pool <- ps
	}, nil
}

// seg is one segment of a decoded path (digit words and fillers).
type seg struct {
	word       string
	digit      byte // 0 for fillers
	sf, ef     int
	ascr, prob int32
}

// hyp is one decoding: the best path through the selected grammar.
type hyp struct {
	segs   []seg
	score  int32 // path score (acoustic + grammar), decoder log units
	frames int
	lmath  *C.logmath_t
}

func (h hyp) result(off time.Duration) Result {
	var res Result
	for _, s := range h.segs {
		if s.digit == 0 {
			continue
		}
		p := float64(C.logmath_exp(h.lmath, C.int(s.prob)))
		if math.IsNaN(p) || p > 1 {
			p = 1
		}
		res.Words = append(res.Words, Word{
			Digit: s.digit,
			Start: off + time.Duration(s.sf)*10*time.Millisecond,
			End:   off + time.Duration(s.ef+1)*10*time.Millisecond,
			Score: p,
		})
		res.Digits += string(s.digit)
	}
	return res
}

// ascr is the acoustic score of the whole path (digits and fillers).
func (h hyp) ascr() int32 {
	var a int32
	for _, s := range h.segs {
		a += s.ascr
	}
	return a
}

// digitSegs returns the digit segments of the path.
func (h hyp) digitSegs() []seg {
	var out []seg
	for _, s := range h.segs {
		if s.digit != 0 {
			out = append(out, s)
		}
	}
	return out
}

// decode runs the search named search over pcm (16 kHz) as one utterance.
func decode(ps *C.ps_decoder_t, search string, pcm []int16) (hyp, error) {
	if err := selectSearch(ps, search); err != nil {
		return hyp{}, err
	}
	// Each clip is its own stream: reset the front end's noise/VAD estimates so a clip decodes
	// the same whatever the pooled decoder heard before (TestDeterministic).
	if C.ps_start_stream(ps) != 0 {
		return hyp{}, errors.New("speech: start stream failed")
	}
	if C.ps_start_utt(ps) != 0 {
		return hyp{}, errors.New("speech: start utterance failed")
	}
	// Copy into C memory: cgo forbids keeping Go pointers, and this keeps it simple.
	n := len(pcm)
	buf := (*C.int16)(C.malloc(C.size_t(n * 2)))
	defer C.free(unsafe.Pointer(buf))
	copy(unsafe.Slice((*int16)(unsafe.Pointer(buf)), n), pcm)
	if C.ps_process_raw(ps, buf, C.size_t(n), C.FALSE, C.TRUE) < 0 {
		C.ps_end_utt(ps)
		return hyp{}, errors.New("speech: decoding failed")
	}
	if C.ps_end_utt(ps) != 0 {
		return hyp{}, errors.New("speech: end utterance failed")
	}
	h := hyp{lmath: C.ps_get_logmath(ps), frames: int(C.ps_get_n_frames(ps))}
	var score C.int32
	if C.ps_get_hyp(ps, &score) == nil {
		return h, nil
	}
	h.score = int32(score)
	for s := C.ps_seg_iter(ps); s != nil; s = C.ps_seg_next(s) {
		w := C.GoString(C.ps_seg_word(s))
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i]
		}
		var sf, ef C.int
		C.fv_seg_frames(s, &sf, &ef)
		var ascr, lscr, lback C.int32
		lp := C.ps_seg_prob(s, &ascr, &lscr, &lback)
		h.segs = append(h.segs, seg{word: w, digit: digitOf[w], sf: int(sf), ef: int(ef), ascr: int32(ascr), prob: int32(lp)})
	}
	return h, nil
}

func selectSearch(ps *C.ps_decoder_t, search string) error {
	cname := C.CString(search)
	defer C.free(unsafe.Pointer(cname))
	if C.ps_set_search(ps, cname) != 0 {
		return errors.New("speech: cannot select grammar")
	}
	return nil
}

// trim cuts leading and trailing silence (keeping a margin) by frame energy; it returns
// the kept samples and the index of the first one.
func trim(pcm []int16, rate int) ([]int16, int) {
	fr := rate / 100
	nf := len(pcm) / fr
	if nf < 20 {
		return pcm, 0
	}
	db := make([]float64, nf)
	for i := range db {
		var e float64
		for _, v := range pcm[i*fr : (i+1)*fr] {
			e += float64(v) * float64(v)
		}
		db[i] = 10 * math.Log10(e/float64(fr)+1)
	}
	sorted := append([]float64(nil), db...)
	sort.Float64s(sorted)
	floor, peak := sorted[nf/10], sorted[nf-1]
	th := math.Max(floor+6, peak-40)
	if peak-floor < 12 {
		return pcm, 0 // no clear speech/silence contrast: leave it alone
	}
	first, last := -1, -1
	for i, d := range db {
		if d > th {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return pcm, 0
	}
	const margin = 30 // frames (300 ms)
	a := max(0, first-margin) * fr
	b := min(len(pcm), (last+1+margin)*fr)
	return pcm[a:b], a
}

// Resample converts mono PCM from rate `from` to rate `to` with a Hann-windowed sinc
// low-pass (16 zero crossings), adequate for speech.
func Resample(in []int16, from, to int) []int16 {
	if from == to || len(in) == 0 {
		return append([]int16(nil), in...)
	}
	ratio := float64(to) / float64(from)
	n := int(float64(len(in)) * ratio)
	out := make([]int16, n)
	cut := math.Min(1, ratio) // cutoff relative to input Nyquist
	const half = 16
	width := float64(half) / cut
	for i := range out {
		x := float64(i) / ratio
		c := int(math.Floor(x))
		lo, hi := c-int(width)+1, c+int(width)
		var acc, wsum float64
		for j := lo; j <= hi; j++ {
			if j < 0 || j >= len(in) {
				continue
			}
			d := x - float64(j)
			if math.Abs(d) >= width {
				continue
			}
			arg := d * cut
			s := 1.0
			if arg != 0 {
				s = math.Sin(math.Pi*arg) / (math.Pi * arg)
			}
			w := 0.5 + 0.5*math.Cos(math.Pi*d/width)
			k := s * w
			acc += float64(in[j]) * k
			wsum += k
		}
		if wsum != 0 {
			acc /= wsum
		}
		if acc > 32767 {
			acc = 32767
		} else if acc < -32768 {
			acc = -32768
		}
		out[i] = int16(math.Round(acc))
	}
	return out
}
