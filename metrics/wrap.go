package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/faceverify/faceverify"
)

// Engine returns e with its stages timed: CheckVideo reports the liveness report's own
// timings (decode, faces, speech, samples, total → stage "liveness"), ReadIDCard is "ocr",
// ReferenceFace "reference", Compare "compare". A nil e stays nil.
func (m *Metrics) Engine(e faceverify.Engine) faceverify.Engine {
	if e == nil {
		return nil
	}
	return &engine{Engine: e, m: m}
}

type engine struct {
	faceverify.Engine
	m *Metrics
}

func (e *engine) observe(stage string, d time.Duration) {
	e.m.stages.WithLabelValues(stage).Observe(d.Seconds())
}

func (e *engine) ReferenceFace(ctx context.Context, img []byte) ([]float32, error) {
	t0 := time.Now()
	v, err := e.Engine.ReferenceFace(ctx, img)
	e.observe("reference", time.Since(t0))
	if err != nil && faceverify.ErrorCode(err) != faceverify.EINVALID {
		e.m.engineErrs.WithLabelValues("reference").Inc()
	}
	return v, err
}

// livenessStages are the keys of Liveness.Timings that become stages (others are ignored,
// so a new key cannot blow up the label set).
var livenessStages = map[string]string{"decode": "decode", "faces": "faces", "speech": "speech", "samples": "samples", "total": "liveness"}

func (e *engine) CheckVideo(ctx context.Context, path, challenge string, opt faceverify.LivenessOptions) (*faceverify.Liveness, error) {
	t0 := time.Now()
	rep, err := e.Engine.CheckVideo(ctx, path, challenge, opt)
	if err != nil {
		e.m.engineErrs.WithLabelValues("liveness").Inc()
		return rep, err
	}
	total := false
	if rep != nil {
		for k, ms := range rep.Timings {
			if st, ok := livenessStages[k]; ok {
				e.m.stages.WithLabelValues(st).Observe(ms / 1000)
				total = total || k == "total"
			}
		}
	}
	if !total {
		e.observe("liveness", time.Since(t0))
	}
	return rep, err
}

func (e *engine) ReadIDCard(ctx context.Context, side string, img []byte, threshold float64) (*faceverify.IDCardRead, error) {
	t0 := time.Now()
	r, err := e.Engine.ReadIDCard(ctx, side, img, threshold)
	e.observe("ocr", time.Since(t0))
	if err != nil {
		e.m.engineErrs.WithLabelValues("ocr").Inc()
	}
	return r, err
}

func (e *engine) Compare(live, ref []float32, far string) faceverify.Comparison {
	t0 := time.Now()
	c := e.Engine.Compare(live, ref, far)
	e.observe("compare", time.Since(t0))
	return c
}

// Store returns s with the sessions that reach an end state counted in
// faceverify_verdicts_total{dialect,state,code,message}. Only a change into an end state
// counts: before storing a session in an end state, the stored row is read once to learn
// whether it was already there (this happens once or twice per session).
func (m *Metrics) Store(s faceverify.Store) faceverify.Store {
	return &store{Store: s, m: m}
}

type store struct {
	faceverify.Store
	m *Metrics
}

func (s *store) UpdateSession(ctx context.Context, ss *faceverify.Session, jobs ...faceverify.Job) error {
	if !ss.State.Terminal() {
		return s.Store.UpdateSession(ctx, ss, jobs...)
	}
	was := faceverify.State("")
	if old, err := s.Store.Session(ctx, ss.Token); err == nil {
		was = old.State
	}
	err := s.Store.UpdateSession(ctx, ss, jobs...)
	if err == nil && !was.Terminal() {
		s.m.Verdict(ss)
	}
	return err
}

// Verdict counts one session that ended.
func (m *Metrics) Verdict(ss *faceverify.Session) {
	code, msg := "", ""
	if ss.Verdict != nil {
		code, msg = strconv.Itoa(ss.Verdict.Result.Code), ss.Verdict.Result.Message
	}
	dialect := string(ss.Dialect)
	switch ss.Dialect {
	case faceverify.DialectLite, faceverify.DialectCloudauth:
	default:
		dialect = "other"
	}
	m.verdicts.WithLabelValues(dialect, string(ss.State), code, msg).Inc()
}
