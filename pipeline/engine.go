package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/idcard"
	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/vision"
)

// EngineConfig selects the models and pool sizes of the whole engine.
type EngineConfig struct {
	Vision   vision.Config
	Speech   speech.Config
	IDCard   idcard.Config // Vision is filled in by OpenEngine
	Liveness LivenessConfig
	// Slots bounds the model work running at once (verdicts, ID cards, reference photos
	// together); 0 = one per core.
	Slots int
}

// Engine implements faceverify.Engine on the real models: vision for faces, Liveness for
// videos, idcard for ID card photos.
type Engine struct {
	Vision   *vision.Engine
	Speech   *speech.Recognizer
	Liveness *Liveness
	IDCard   *idcard.Reader
	Slots    *Slots // shared by every call below
}

var _ faceverify.Engine = (*Engine)(nil)

// OpenEngine loads every model once.
func OpenEngine(cfg EngineConfig) (*Engine, error) {
	v, err := vision.Open(cfg.Vision)
	if err != nil {
		return nil, fmt.Errorf("vision: %w", err)
	}
	if cfg.Speech.LibPath == "" {
		cfg.Speech.LibPath = cfg.Vision.LibPath
	}
	sp, err := speech.Open(cfg.Speech)
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("speech: %w", err)
	}
	cfg.IDCard.Vision = v
	// PP-OCR is the production OCR: its models sit beside the face models (scripts/setup.d);
	// a missing model is a start-up error, never a silent fall-back to another engine.
	if cfg.IDCard.OCRModelDir == "" {
		dir := cfg.Vision.ModelDir
		if dir == "" {
			dir = vision.DefaultModelDir()
		}
		cfg.IDCard.OCRModelDir = filepath.Join(dir, "ocr")
	}
	if cfg.IDCard.Engine == "" {
		cfg.IDCard.Engine = "ppocr"
	}
	if cfg.IDCard.ORTLib == "" {
		cfg.IDCard.ORTLib = cfg.Vision.LibPath
	}
	ic, err := idcard.Open(cfg.IDCard)
	if err != nil {
		sp.Close()
		v.Close()
		return nil, fmt.Errorf("idcard: %w", err)
	}
	return &Engine{Vision: v, Speech: sp, IDCard: ic, Liveness: NewLiveness(v, sp, cfg.Liveness), Slots: NewSlots(cfg.Slots)}, nil
}

// Close releases the models.
func (e *Engine) Close() error {
	return errors.Join(e.IDCard.Close(), e.Speech.Close(), e.Vision.Close())
}

// ReferenceFace returns the template of the single usable face of a reference photo
// (vision.ReferenceFace: exactly one in-focus subject; EINVALID otherwise).
func (e *Engine) ReferenceFace(ctx context.Context, data []byte) ([]float32, error) {
	release, err := e.Slots.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := e.Vision.ReferenceFace(data)
	if err != nil {
		return nil, err
	}
	return f.Embedding, nil
}

// CheckVideo runs the video_number liveness check.
func (e *Engine) CheckVideo(ctx context.Context, path, challenge string, opt faceverify.LivenessOptions) (*faceverify.Liveness, error) {
	release, err := e.Slots.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	lipSync := opt.LipSync
	lang, err := speech.ParseLanguage(opt.Language)
	if err != nil {
		return nil, err
	}
	rep, dec, err := e.Liveness.CheckDecision(ctx, path, challenge, LivenessOptions{Preferences: opt.Preferences, LipSync: &lipSync, Language: lang})
	if err != nil {
		return nil, err
	}
	return withRule(rep, dec), nil
}

// withRule keeps the decision with the report (Liveness.Rule: the row of LivenessRules
// that fired, with the values and thresholds it compared), for the review console.
func withRule(rep *faceverify.Liveness, dec Decision) *faceverify.Liveness {
	if rep != nil && dec.Rule != nil {
		rep.Rule = dec.String()
	}
	return rep
}

// ReadIDCard reads one side of an ID card.
func (e *Engine) ReadIDCard(ctx context.Context, side string, img []byte, threshold float64) (*faceverify.IDCardRead, error) {
	release, err := e.Slots.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out, err := e.IDCard.Read(ctx, idcard.Side(side), img, threshold)
	if err != nil {
		return nil, err
	}
	return &faceverify.IDCardRead{Result: out.Result, Fields: out.Fields, Portrait: out.Portrait, Image: out.Image, Retake: out.Retake}, nil
}

// Compare scores live against ref with the calibrated tables; far picks the threshold.
func (e *Engine) Compare(live, ref []float32, far string) faceverify.Comparison {
	sim := vision.Similarity(live, ref)
	sc := vision.Calibrate(sim)
	thr := vision.ConfidenceThreshold(far)
	return faceverify.Comparison{Similarity: sim, Confidence: sc.Confidence, VerifyScore: sc.VerifyScore,
		Thresholds: sc.Thresholds, Threshold: thr, Passed: sc.Confidence >= thr}
}
