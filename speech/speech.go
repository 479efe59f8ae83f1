// Package speech recognises the four spoken digits of a liveness challenge.
//
// It wraps CMU pocketsphinx (Debian libpocketsphinx, en-us acoustic model) through cgo and
// constrains the search with a JSGF grammar of exactly four digit words, so the decoder can
// only answer "which four digits, and when". English digits are the supported language;
// Mandarin digits are an experiment (en-us phones spelling the ten syllables; see
// docs/liveness.md for what it measures). The package owns the decoders and resampling to
// 16 kHz; it does not judge the answer against the challenge (pipeline does).
package speech

/*
#cgo pkg-config: pocketsphinx
#include <stdlib.h>
#include <pocketsphinx.h>

static cmd_ln_t *fv_config(const char *hmm, const char *dict) {
	return cmd_ln_init(NULL, ps_args(), TRUE,
		"-hmm", hmm,
		"-dict", dict,
		"-logfn", "/dev/null",
		"-samprate", "16000",
		"-bestpath", "yes",
		"-topn", "16",
		NULL);
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
	pool chan *C.ps_decoder_t
	all  []*C.ps_decoder_t
	dir  string
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

const (
	grammarEN = "#JSGF V1.0;\ngrammar digits;\npublic <digits> = <d> <d> <d> <d>;\n<d> = zero | one | two | three | four | five | six | seven | eight | nine;\n"
	grammarZH = "#JSGF V1.0;\ngrammar digits;\npublic <digits> = <d> <d> <d> <d>;\n<d> = ling | yi | yao | er | san | si | wu | liu | qi | ba | jiu;\n"
)

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
	var sb strings.Builder
	for _, d := range dict {
		fmt.Fprintf(&sb, "%s %s\n", d.word, d.phones)
	}
	dictPath := filepath.Join(dir, "digits.dict")
	if err := os.WriteFile(dictPath, []byte(sb.String()), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r := &Recognizer{pool: make(chan *C.ps_decoder_t, cfg.Decoders), dir: dir}
	chmm := C.CString(cfg.ModelDir)
	cdict := C.CString(dictPath)
	defer C.free(unsafe.Pointer(chmm))
	defer C.free(unsafe.Pointer(cdict))
	for i := 0; i < cfg.Decoders; i++ {
		conf := C.fv_config(chmm, cdict)
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
		for _, g := range []struct {
			name, jsgf string
		}{{string(English), grammarEN}, {string(Mandarin), grammarZH}} {
			cn, cg := C.CString(g.name), C.CString(g.jsgf)
			rc := C.ps_set_jsgf_string(ps, cn, cg)
			C.free(unsafe.Pointer(cn))
			C.free(unsafe.Pointer(cg))
			if rc != 0 {
				C.ps_free(ps)
				r.Close()
				return nil, errors.New("speech: grammar rejected")
			}
		}
		r.all = append(r.all, ps)
		r.pool <- ps
	}
	os.RemoveAll(dir) // the decoders have read the dictionary
	return r, nil
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
	if rate <= 0 {
		return Result{}, errors.New("speech: bad sample rate")
	}
	if lang != English && lang != Mandarin {
		return Result{}, fmt.Errorf("speech: unsupported language %q", lang)
	}
	if rate != 16000 {
		pcm = Resample(pcm, rate, 16000)
	}
	if len(pcm) < 1600 {
		return Result{}, ErrNoSpeech
	}
	ps, ok := <-r.pool
	if !ok || ps == nil {
		return Result{}, errors.New("speech: recognizer closed")
	}
	defer func() { r.pool <- ps }()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	cname := C.CString(string(lang))
	defer C.free(unsafe.Pointer(cname))
	if C.ps_set_search(ps, cname) != 0 {
		return Result{}, errors.New("speech: cannot select grammar")
	}
	if C.ps_start_utt(ps) != 0 {
		return Result{}, errors.New("speech: start utterance failed")
	}
	// Copy into C memory: cgo forbids keeping Go pointers, and this keeps it simple.
	n := len(pcm)
	buf := (*C.int16)(C.malloc(C.size_t(n * 2)))
	defer C.free(unsafe.Pointer(buf))
	copy(unsafe.Slice((*int16)(unsafe.Pointer(buf)), n), pcm)
	if C.ps_process_raw(ps, buf, C.size_t(n), C.FALSE, C.TRUE) < 0 {
		C.ps_end_utt(ps)
		return Result{}, errors.New("speech: decoding failed")
	}
	if C.ps_end_utt(ps) != 0 {
		return Result{}, errors.New("speech: end utterance failed")
	}
	var res Result
	lmath := C.ps_get_logmath(ps)
	for seg := C.ps_seg_iter(ps); seg != nil; seg = C.ps_seg_next(seg) {
		w := C.GoString(C.ps_seg_word(seg))
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i]
		}
		d, ok := digitOf[w]
		if !ok {
			continue
		}
		var sf, ef C.int
		C.fv_seg_frames(seg, &sf, &ef)
		var ascr, lscr, lback C.int32
		lp := C.ps_seg_prob(seg, &ascr, &lscr, &lback)
		p := float64(C.logmath_exp(lmath, lp))
		if math.IsNaN(p) || p > 1 {
			p = 1
		}
		res.Words = append(res.Words, Word{
			Digit: d,
			Start: time.Duration(sf) * 10 * time.Millisecond,
			End:   time.Duration(ef+1) * 10 * time.Millisecond,
			Score: p,
		})
		res.Digits += string(d)
	}
	if res.Digits == "" {
		return res, ErrNoSpeech
	}
	return res, nil
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
