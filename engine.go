package faceverify

import "context"

// Engine is what the use cases need from the vision, speech and OCR stack (implemented by
// package pipeline on real models).
type Engine interface {
	// ReferenceFace returns the face template of a reference photo that must hold exactly
	// one usable face; otherwise an EINVALID *Error saying why.
	ReferenceFace(ctx context.Context, img []byte) ([]float32, error)
	// CheckVideo runs the liveness checks on one uploaded video. User-caused outcomes are in
	// the report's Result (ResultVideoOK = usable); error only for internal failures.
	CheckVideo(ctx context.Context, path, challenge string, opt LivenessOptions) (*Liveness, error)
	// ReadIDCard reads one side of an ID card. A zero Result means success.
	ReadIDCard(ctx context.Context, side string, img []byte, threshold float64) (*IDCardRead, error)
	// Compare scores a live template against a reference template. far selects the
	// threshold applied ("1e-3", "1e-4", "1e-5").
	Compare(live, ref []float32, far string) Comparison
}

// LivenessOptions tune one liveness check.
type LivenessOptions struct {
	Preferences int  // 1: 3 of 4 digits pass, 2: all 4
	LipSync     bool // lip-voice sync check on (the default; a tenant may turn it off)
	// Language narrows the spoken digits to "en" or "zh" ("" = both, the default).
	Language string
}

// IDCardRead is the outcome of reading one side of an ID card.
type IDCardRead struct {
	Result   Result       // zero = success
	Fields   IDCardResult // the fields of this side
	Portrait []byte       // JPEG portrait crop (front)
	Image    []byte       // JPEG of the rectified side
	// Retake names the photo problem behind a refused side (cut | small | blur | glare,
	// idcard.Retake*); "" when the photo showed none. The page shows its retake text.
	Retake string
}

// Notifier delivers a session's callback to its tenant (package notify).
type Notifier interface {
	// Notify delivers one callback; detail describes the attempt (e.g. "HTTP 200").
	Notify(ctx context.Context, t *Tenant, s *Session) (detail string, err error)
}
