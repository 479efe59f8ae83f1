// Package speech recognises the four spoken digits of a liveness challenge, in Mandarin
// (零/〇 一/幺 二 … 九) and English (zero/oh … nine), with the project's own model.
//
// The model (speech/model: trained by speech/train, committed, pinned by sha256) is a small
// CTC acoustic model run on ONNX Runtime: 16 kHz audio in, per-frame log-probabilities of
// 22 classes out (blank, English 0–9, Mandarin 0–9, <filler> for speech that is not a
// digit). This package owns what happens around it: resampling, DC removal and level
// normalisation (audio.go), merging the two languages per frame (ctc.go), the free decode
// (Digits) and the challenge verification by forced alignment against its strongest
// competitors (verify.go). By default both languages are decoded at once (Any); a tenant or
// the page may narrow to English or Mandarin.
package speech

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/faceverify/faceverify/internal/onnxrt"
	"github.com/faceverify/faceverify/speech/model"
	"github.com/faceverify/faceverify/vision"
	ort "github.com/yalue/onnxruntime_go"
)

// Language of the spoken digits.
type Language string

const (
	// Any decodes English and Mandarin digits together (the default): a user may read in
	// either language, even mix them.
	Any      Language = ""
	English  Language = "en"
	Mandarin Language = "zh"
)

// ParseLanguage accepts "", "any", "both", "en", "zh" (and a few spellings of them).
func ParseLanguage(s string) (Language, error) {
	switch s {
	case "", "any", "both", "auto":
		return Any, nil
	case "en", "en-US", "en-GB", "english":
		return English, nil
	case "zh", "zh-CN", "cmn", "mandarin":
		return Mandarin, nil
	}
	return Any, fmt.Errorf("speech: unknown language %q (want en, zh or empty for both)", s)
}

// Config of a Recognizer.
type Config struct {
	// LibPath is the ONNX Runtime library ("" = vision.DefaultORTLib()); the environment is
	// shared with vision (vision.InitORT).
	LibPath string
	// Threads is the intra-op thread count of the session (0 = 1).
	Threads int
	// Thresholds overrides DefaultThresholds (nil = default); for tuning (digiteval).
	Thresholds *Thresholds
	// ModelONNX, when set, replaces the embedded model with a candidate graph of the same form
	// (input audio, output logprobs [1,T,22], the frame shift of digits.json); it is not checked
	// against model.SHA256. For evaluating a candidate before it is shipped (digiteval -model);
	// the service always runs the embedded, pinned model.
	ModelONNX []byte
}

// Word is one recognised digit. Digit is '0'…'9'; Start/End are relative to the start of
// the PCM passed in (the spoken word around the model's CTC spike); Score is the digit's
// posterior probability (0–1) at its spike.
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

// ErrNoSpeech is returned when the clip holds no digit at all (or is empty).
var ErrNoSpeech = errors.New("speech: no digits recognised")

// Recognizer decodes digits; safe for concurrent use (one ORT session, Run is concurrent).
type Recognizer struct {
	s      *ort.DynamicAdvancedSession
	hop    int           // samples per output frame
	shift  time.Duration // frame duration
	offset time.Duration // centre of frame 0
	th     Thresholds
	// Version is the model's version (digits.json).
	Version string
}

// Open loads the embedded model, checking its sha256 against model.SHA256.
func Open(cfg Config) (*Recognizer, error) {
	data := model.ONNX()
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != model.SHA256 {
		return nil, fmt.Errorf("speech: model sha256 %s, want %s", got, model.SHA256)
	}
	m, err := model.Meta()
	if err != nil {
		return nil, err
	}
	if cfg.ModelONNX != nil {
		if len(cfg.ModelONNX) == 0 {
			return nil, errors.New("speech: empty candidate model")
		}
		data = cfg.ModelONNX
		sum = sha256.Sum256(data)
		m.Version = "candidate-" + hex.EncodeToString(sum[:4])
	}
	if m.SampleRate != SampleRate {
		return nil, fmt.Errorf("speech: model wants %d Hz, runtime feeds %d", m.SampleRate, SampleRate)
	}
	if len(m.Labels) != modelClasses {
		return nil, fmt.Errorf("speech: model has %d classes, want %d", len(m.Labels), modelClasses)
	}
	if m.FrameShiftMs <= 0 {
		return nil, errors.New("speech: digits.json has no frame_shift_ms")
	}
	in, out := m.Input, m.Output
	if in == "" {
		in = "audio"
	}
	if out == "" {
		out = "logprobs"
	}
	if err := vision.InitORT(cfg.LibPath); err != nil {
		return nil, err
	}
	opts, err := onnxrt.SessionOptions(cfg.Threads)
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{in}, []string{out}, opts)
	if err != nil {
		return nil, fmt.Errorf("speech: model session: %w", err)
	}
	r := &Recognizer{s: s, th: DefaultThresholds, Version: m.Version,
		hop:    int(math.Round(m.FrameShiftMs * SampleRate / 1000)),
		shift:  time.Duration(m.FrameShiftMs * float64(time.Millisecond)),
		offset: time.Duration(m.FrameOffsetMs * float64(time.Millisecond))}
	if cfg.Thresholds != nil {
		r.th = *cfg.Thresholds
	}
	return r, nil
}

// Close frees the session; the Recognizer must not be in use.
func (r *Recognizer) Close() error {
	if r.s != nil {
		err := r.s.Destroy()
		r.s = nil
		return err
	}
	return nil
}

// Thresholds returns the decision thresholds in use.
func (r *Recognizer) Thresholds() Thresholds { return r.th }

// run feeds the prepared audio to the model and returns the raw log-probabilities T×22.
func (r *Recognizer) run(x []float32) ([]float32, int, error) {
	if r.s == nil {
		return nil, 0, errors.New("speech: recognizer closed")
	}
	in, err := ort.NewTensor(ort.NewShape(1, int64(len(x))), x)
	if err != nil {
		return nil, 0, err
	}
	defer in.Destroy()
	outs := []ort.Value{nil}
	if err := onnxrt.Run(func() error { return r.s.Run([]ort.Value{in}, outs) }); err != nil {
		return nil, 0, fmt.Errorf("speech: model: %w", err)
	}
	defer outs[0].Destroy()
	ot, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, 0, errors.New("speech: model output is not float32")
	}
	sh := ot.GetShape()
	if len(sh) != 3 || sh[0] != 1 || sh[2] != modelClasses {
		return nil, 0, fmt.Errorf("speech: model output shape %v", sh)
	}
	return append([]float32(nil), ot.GetData()...), int(sh[1]), nil
}

// clip is one decoded clip: posteriors and what maps frames to time.
type clip struct {
	p      *post
	energy []float64
}

func (r *Recognizer) analyse(lang Language, pcm []int16, rate int) (*clip, error) {
	if rate <= 0 {
		return nil, errors.New("speech: bad sample rate")
	}
	switch lang {
	case Any, English, Mandarin:
	default:
		return nil, fmt.Errorf("speech: unsupported language %q", lang)
	}
	if len(pcm) < rate/10 {
		return nil, ErrNoSpeech
	}
	x := prepare(pcm, rate)
	raw, T, err := r.run(x)
	if err != nil {
		return nil, err
	}
	for _, v := range raw {
		if math.IsNaN(float64(v)) {
			return nil, errors.New("speech: model produced NaN")
		}
	}
	c := &clip{p: merge(raw, T, lang, r.th.LangPrior), energy: frameEnergy(x, r.hop, int(r.offset.Seconds()*SampleRate), T)}
	gateQuiet(c.p, c.energy, r.th.QuietDB, quietSpan)
	return c, nil
}

// maxWordSide bounds how far a word extends from its CTC spike (each side).
const maxWordSide = 400 * time.Millisecond

func (r *Recognizer) words(c *clip, digits []int, segs []segment) []Word {
	wide := widen(segs, c.energy, int(maxWordSide/r.shift))
	out := make([]Word, 0, len(segs))
	for i, sg := range wide {
		if sg.s < 0 {
			continue
		}
		out = append(out, Word{Digit: byte('0' + digits[i]), Start: r.frameTime(sg.s),
			End: r.frameTime(sg.e), Score: segs[i].conf})
	}
	return out
}

// frameTime is where frame t begins (frames are centred at offset + t·shift).
func (r *Recognizer) frameTime(t int) time.Duration {
	return max(0, r.offset+time.Duration(t)*r.shift-r.shift/2)
}

// Digits recognises the digits in pcm (mono, any rate 8–48 kHz), either language.
func (r *Recognizer) Digits(pcm []int16, rate int) (Result, error) {
	return r.DigitsIn(Any, pcm, rate)
}

// DigitsIn recognises the digits spoken in lang (Any = both). ErrNoSpeech when none.
func (r *Recognizer) DigitsIn(lang Language, pcm []int16, rate int) (Result, error) {
	c, err := r.analyse(lang, pcm, rate)
	if err != nil {
		return Result{}, err
	}
	res, _, _ := r.free(c, 0)
	if res.Digits == "" {
		return res, ErrNoSpeech
	}
	return res, nil
}

// free is the free decode (greedy). With n > 0 (the challenge's length) and
// Thresholds.LenMargin > 0 it is length-aware: when the best path does not hold n digits but
// the best path holding exactly n scores within LenMargin nats of it, that path is the
// reading. The length is what the page asked for, never the digits. best is the plain best
// path's digits whatever n; lenGap is the best path's score minus the best n-digit path's (0
// when the best path already holds n digits, +Inf when no path can).
func (r *Recognizer) free(c *clip, n int) (res Result, best string, lenGap float64) {
	toks, sc := greedy(c.p)
	best = tokenDigits(toks)
	if n > 0 && digitCount(toks) != n {
		lenGap = math.Inf(1)
		if lt, ls, ok := bestOfLength(c.p, n); ok {
			lenGap = sc - ls
			if r.th.LenMargin > 0 && lenGap <= r.th.LenMargin {
				toks = lt
			}
		}
	}
	var ds []int
	var segs []segment
	for _, tk := range toks {
		if isDigit(tk.k) {
			ds = append(ds, tk.k-kDigit0)
			segs = append(segs, segment{s: tk.s, e: tk.e, conf: tk.conf})
		}
	}
	return Result{Digits: tokenDigits(toks), Words: r.words(c, ds, segs)}, best, lenGap
}

// Verify checks that pcm says the challenge (four digits), in either language.
func (r *Recognizer) Verify(pcm []int16, rate int, challenge string) (Verification, error) {
	return r.VerifyIn(Any, pcm, rate, challenge)
}

// VerifyIn checks that pcm says challenge in lang (Any = either). It aligns the challenge
// with the audio (CTC Viterbi, optional filler between digits) and compares that score with
// its strongest competitors per position: every other digit in its place, the digit left
// out, and one digit inserted; a position is confirmed when the challenge wins each by the
// margins of the Thresholds and the digit's posterior at its alignment is high enough.
// Heard is the free decode, told only the challenge's length (Thresholds.LenMargin).
// ErrNoSpeech only for an empty or too-short clip.
func (r *Recognizer) VerifyIn(lang Language, pcm []int16, rate int, challenge string) (Verification, error) {
	if err := checkChallenge(challenge); err != nil {
		return Verification{}, err
	}
	c, err := r.analyse(lang, pcm, rate)
	if err != nil {
		return Verification{}, err
	}
	v, segs := verify(c.p, challenge, r.th)
	v.Heard, v.BestPath, v.LenGap = r.free(c, len(challenge))
	if segs != nil {
		v.Aligned = Result{Digits: challenge, Words: r.words(c, digitsOf(challenge), segs)}
	}
	v.Judge(r.th)
	return v, nil
}
