// Package pipeline orchestrates one verification step from media to a per-attempt report.
//
// This file holds the "video_number" liveness check: decode the upload (media), track the
// face (vision), recognise the spoken digits (speech), check that lips and voice move
// together, and compose one FaceID Lite result. Every user-caused outcome is a result code
// in the report; Go errors are reserved for internal failures. The pipeline owns the
// thresholds (LivenessConfig) and the order in which checks decide; it holds no session
// state and does no I/O besides reading the clip.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"reflect"
	"sync"
	"time"

	faceverify "github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/onnxrt"
	"github.com/faceverify/faceverify/internal/stats"
	"github.com/faceverify/faceverify/media"
	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/vision"
)

// LivenessConfig holds the limits and thresholds of the liveness check. The zero value of
// a threshold means its default (DefaultLivenessConfig).
type LivenessConfig struct {
	Limits media.Limits
	// LipSync enables the lip/voice checks (NOT_SYNCHRONIZED, LIP_VOICE_NOT_SYNC). A
	// per-tenant switch, on by default (DefaultLivenessConfig).
	LipSync bool
	// Language of the spoken digits: speech.Any ("", the default) hears English and
	// Mandarin digits in one decode; English or Mandarin narrows to that language.
	Language speech.Language

	MinFaceFrames   float64 // share of frames that must show a face (NO_FACE_FOUND)
	MultiFaceFrames float64 // share of frames with a second face that makes it an attack
	SecondFaceRatio float64 // a second face counts when its box area ≥ this × the main face's
	MinQuality      float64 // median quality score 0–100 of the sampled frames
	MinFaceSize     float64 // face box short side in px (on the scaled frames)
	SameFaceSim     float64 // cosine similarity under which a sampled frame is another person
	MinLive         float64 // mean anti-spoof "live" probability over sampled frames
	MinFaceMotion   float64 // mean abs grey change of the face box between frames 1/15 s apart (FaceMotionFPS; frozen picture)
	MinMouthMotion  float64 // std of lip opening / mouth width over frames (mouth still)
	MinMouthPixels  float64 // median grey change a frame of the aligned mouth crop (mouth still)
	MinSyncScore    float64 // fused lip/voice sync probability (docs/liveness.md) under which → LIP_VOICE_NOT_SYNC
	MinSpeechDB     float64 // loudest 100 ms of the band-passed audio, dBFS (below = NO_AUDIO)
	Samples         int     // frames sampled for embedding, anti-spoof and quality
}

// DefaultLivenessConfig returns the calibrated defaults (docs/liveness.md).
func DefaultLivenessConfig() LivenessConfig {
	return LivenessConfig{
		Limits:          livenessLimits(),
		LipSync:         true,
		Language:        speech.Any,
		MinFaceFrames:   0.6,
		MultiFaceFrames: 0.3,
		SecondFaceRatio: 0.2,
		MinQuality:      20,
		MinFaceSize:     60,
		SameFaceSim:     0.35,
		MinLive:         0.05,
		MinFaceMotion:   0.6,
		MinMouthMotion:  0.02,
		MinMouthPixels:  0.5,
		MinSyncScore:    0.5,
		MinSpeechDB:     -50,
		Samples:         5,
	}
}

func (c *LivenessConfig) fill() {
	d := DefaultLivenessConfig()
	if c.Limits == (media.Limits{}) {
		c.Limits = d.Limits
	}
	// Every threshold (a float64 field) left at zero takes its default.
	v, def := reflect.ValueOf(c).Elem(), reflect.ValueOf(d)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Float64 && f.Float() == 0 {
			f.SetFloat(def.Field(i).Float())
		}
	}
	if c.Samples <= 0 {
		c.Samples = d.Samples
	}
}

// Liveness runs the video_number check. Safe for concurrent use.
type Liveness struct {
	v   *vision.Engine
	s   *speech.Recognizer
	cfg LivenessConfig
}

// NewLiveness returns a checker using the given engines.
func NewLiveness(v *vision.Engine, s *speech.Recognizer, cfg LivenessConfig) *Liveness {
	cfg.fill()
	return &Liveness{v: v, s: s, cfg: cfg}
}

// Config returns the effective configuration.
func (l *Liveness) Config() LivenessConfig { return l.cfg }

// LivenessOptions are per-session choices.
type LivenessOptions struct {
	// Preferences is liveness_preferences: 1 = 3 of the 4 digits must be confirmed by
	// speech.Verify, 2 = all four (0 = 2).
	Preferences int
	// LipSync overrides the configured lip-sync switch for a tenant (nil = configured).
	LipSync *bool
	// Language narrows the digit language for this session ("" = configured).
	Language speech.Language
}

// frameFace is what the face track keeps per frame.
type frameFace struct {
	t       time.Duration
	n       int // faces found
	multi   bool
	face    vision.Face
	ok      bool
	opening float64 // outer lip opening / mouth width
	mouthMv float64 // mean abs grey change in the mouth box vs previous frame (NaN if none)
	faceMv  float64 // mean abs grey change in the face box vs previous frame
	interp  bool    // box and landmarks interpolated from the neighbours (not detected)
	// crop is the mouth crop (mouthCrops) of a frame the stream measured and released
	// during the decode (cropped); the others are cropped from the clip's frames.
	crop    []float32
	cropped bool
}

// Check runs the liveness check on the clip at videoPath against the challenge digits.
func (l *Liveness) Check(ctx context.Context, videoPath, challenge string, opt LivenessOptions) (*faceverify.Liveness, error) {
	rep, _, err := l.CheckDecision(ctx, videoPath, challenge, opt)
	return rep, err
}

// CheckDecision is Check that also returns the decision: the row of LivenessRules that
// gave the result and the values it compared. Check measures stage by stage (Measurements)
// and asks the rules after each stage; the first row that holds ends the check, so no model
// runs for a cue no rule will read.
func (l *Liveness) CheckDecision(ctx context.Context, videoPath, challenge string, opt LivenessOptions) (*faceverify.Liveness, Decision, error) {
	cfg := l.cfg
	rep := &faceverify.Liveness{Challenge: challenge, Scores: map[string]float64{}, Timings: map[string]float64{}}
	t0 := time.Now()
	mark := func(k string, since time.Time) { rep.Timings[k] = float64(time.Since(since).Microseconds()) / 1000 }
	defer mark("total", t0)
	if len(challenge) != 4 || !allDigits(challenge) {
		return nil, Decision{}, fmt.Errorf("pipeline: challenge must be 4 digits, got %q", challenge)
	}
	pol := Policy{Config: cfg, DigitsNeeded: 4}
	if opt.LipSync != nil {
		pol.Config.LipSync = *opt.LipSync
	}
	lang := cfg.Language
	if opt.Language != "" {
		lang = opt.Language
	}
	if opt.Preferences == 1 {
		pol.DigitsNeeded = 3
	}
	var (
		m   Measurements
		dec Decision
	)
	// decide asks the rules once stage st is measured: true when a row has decided.
	decide := func(st Stage) (bool, error) {
		m.Stage = st
		d, ok, err := pol.Decide(LivenessRules, &m)
		if ok {
			dec, rep.Result = d, d.Result()
		}
		return ok, err
	}

	// The face track starts on the frames while ffmpeg still decodes the rest.
	fps := cfg.Limits.FPS
	if fps <= 0 {
		fps = media.DefaultLimits().FPS
	}
	st := l.newStreamTrack(ctx, fps)
	clip, err := media.ExtractTo(ctx, videoPath, cfg.Limits, st)
	mark("decode", t0)
	if clip != nil {
		m.Duration = clip.Duration.Seconds()
		rep.Scores["duration_s"] = round3(m.Duration)
	}
	if err != nil {
		m.Decode = err
		if ok, derr := decide(StageDecode); ok || derr != nil {
			return decided(rep, dec, derr)
		}
		if ctx.Err() != nil {
			return nil, Decision{}, ctx.Err()
		}
		return nil, Decision{}, err
	}
	// Every goroutine reading the frames has ended when Check returns: their buffers go
	// back to the decoder's pool.
	defer clip.Release()
	m.Frames = len(clip.Frames)
	rep.Scores["frames"] = float64(m.Frames)

	// Sound level: a muted microphone gives a track of silence.
	band := bandpass(clip.PCM)
	m.SpeechPeakDB = peakDB(band, media.SampleRate/10)
	rep.Scores["speech_peak_db"] = round3(m.SpeechPeakDB)
	if ok, err := decide(StageAudio); ok || err != nil {
		return decided(rep, dec, err)
	}

	// Speech runs beside the face track.
	var (
		sv    speech.Verification
		serr  error
		swg   sync.WaitGroup
		tSpch = time.Now()
		spDur time.Duration
	)
	swg.Add(1)
	go func() {
		defer swg.Done()
		// The challenge scored against its strongest competitors (speech.VerifyIn): per
		// position confirmed or not, plus the free decode (digits_heard). Metered as model
		// work (bench verdicts' model floor).
		serr = onnxrt.Meter("speech", func() error {
			var err error
			sv, err = l.s.VerifyIn(lang, clip.PCM, media.SampleRate, challenge)
			return err
		})
		spDur = time.Since(tSpch)
	}()
	waitSpeech := func() {
		swg.Wait()
		rep.Timings["speech"] = float64(spDur.Microseconds()) / 1000
	}
	// decideEarly is decide for the stages before the voice: the speech goroutine ends
	// before Check returns.
	decideEarly := func(st Stage) (bool, error) {
		ok, err := decide(st)
		if ok || err != nil {
			waitSpeech()
		}
		return ok, err
	}

	tFace := time.Now()
	track, err := l.finishTrack(ctx, clip, st)
	rep.Timings["faces"] = float64(time.Since(tFace).Microseconds()) / 1000
	if err != nil {
		waitSpeech()
		return nil, Decision{}, err
	}
	nFace, nMulti := 0, 0
	for _, f := range track {
		if f.ok {
			nFace++
		}
		if f.multi {
			nMulti++
		}
	}
	nf := float64(len(track))
	m.FaceFrames, m.MultiFaceFrames = float64(nFace)/nf, float64(nMulti)/nf
	rep.Scores["face_frames"] = round3(m.FaceFrames)
	rep.Scores["multi_face_frames"] = round3(m.MultiFaceFrames)
	if ok, err := decideEarly(StageTrack); ok || err != nil {
		return decided(rep, dec, err)
	}

	// Sampled frames: embedding, anti-spoof, quality.
	tS := time.Now()
	samples, err := l.sample(clip, track, cfg.Samples)
	rep.Timings["samples"] = float64(time.Since(tS).Microseconds()) / 1000
	if err != nil {
		waitSpeech()
		return nil, Decision{}, err
	}
	m.SampledFaces = len(samples)
	var bs sampled
	if len(samples) > 0 {
		bs = l.measureSamples(&m, rep, track, samples, clip.FPS)
	}
	if ok, err := decideEarly(StageSamples); ok || err != nil {
		return decided(rep, dec, err)
	}

	// Lips and voice.
	waitSpeech()
	if serr != nil && !errors.Is(serr, speech.ErrNoSpeech) {
		return nil, Decision{}, serr
	}
	m.DigitsConfirmed, m.DigitsHeard = sv.Right, sv.Heard.Digits
	rep.DigitsHeard = m.DigitsHeard
	speechScores(rep.Scores, sv)
	// Word timings for the lip-sync check: where the challenge digits lie (forced
	// alignment), or what was heard when the clip could not be aligned.
	words := sv.Aligned
	if len(words.Words) == 0 {
		words = sv.Heard
	}
	m.sync = syncScores(clip, track, band, words)
	m.MouthMotion, m.MouthPixels, m.SyncScore = m.sync.mouthStd, m.sync.mouthMotion, m.sync.prob
	reportSync(rep.Scores, m.sync)
	if ok, err := decide(StageVoice); !ok || err != nil {
		if err == nil {
			err = errors.New("pipeline: the liveness rules decided nothing")
		}
		return nil, Decision{}, err
	}

	// The best frame is kept only with a usable verdict: encoded once the verdict is known.
	if rep.Result == faceverify.ResultVideoOK {
		tJ := time.Now()
		rep.BestImage = vision.EncodeJPEG(bs.img, 90)
		mark("jpeg", tJ)
	}
	return rep, dec, nil
}

// decided returns the report decided by a rule, or the rule table's error.
func decided(rep *faceverify.Liveness, d Decision, err error) (*faceverify.Liveness, Decision, error) {
	if err != nil {
		return nil, Decision{}, err
	}
	return rep, d, nil
}

// measureSamples records the cues of the sampled frames (at least one) and returns the best.
func (l *Liveness) measureSamples(m *Measurements, rep *faceverify.Liveness, track []frameFace, samples []sampled, fps float64) sampled {
	cfg := l.cfg
	best := 0
	var quals, lives []float64
	for i, s := range samples {
		quals = append(quals, float64(s.face.Quality.Score))
		lives = append(lives, float64(s.face.Live))
		if s.rank() > samples[best].rank() {
			best = i
		}
	}
	bs := samples[best]
	// The quality rule compares the reported (rounded) median, as it always has.
	m.Quality = round3(median(quals))
	m.FaceSize = float64(bs.face.Quality.Size)
	m.Sharpness = float64(bs.face.Quality.Sharpness)
	m.Brightness = float64(bs.face.Quality.Brightness)
	m.Live = mean(lives)
	rep.QualityScore = m.Quality
	rep.Scores["quality"] = m.Quality
	rep.Scores["face_size_px"] = round3(m.FaceSize)
	rep.Scores["sharpness"] = round3(m.Sharpness)
	rep.Scores["brightness"] = round3(m.Brightness)
	rep.Scores["antispoof_live"] = round3(m.Live)
	m.MinSimilarity = 1.0
	for i, s := range samples {
		if i == best {
			continue
		}
		sim := vision.Similarity(bs.face.Embedding, s.face.Embedding)
		m.MinSimilarity = math.Min(m.MinSimilarity, sim)
		if sim < cfg.SameFaceSim {
			m.OtherFaces++
		}
	}
	rep.Scores["identity_min_similarity"] = round3(m.MinSimilarity)
	rep.Embedding = bs.face.Embedding
	m.FaceMotion = meanMotion(track, func(f frameFace) float64 { return f.faceMv }) * fps / FaceMotionFPS
	rep.Scores["face_motion"] = round3(m.FaceMotion)
	rep.AttackScore = round3(attackScore(m.Live, m.FaceMotion, cfg))
	return bs
}

// speechScores reports the speech verification: digits_confirmed (the count the decision
// uses), per position the challenge digit's posterior (digit_conf_i) and its margin over the
// strongest competitor (digit_margin_i, nats, clamped to ±99), digits_inserted (digits said
// beyond the challenge), speech_free_gap (free reading minus challenge, nats), speech_len_gap
// (the best path minus the best path of the challenge's length, nats: what the length prior
// of digits_heard had to overcome, 999 when no path can hold four digits) and speech_lang
// (0 = English … 1 = Mandarin: the share of the aligned digits' probability in the Mandarin
// classes).
func speechScores(sc map[string]float64, v speech.Verification) {
	sc["digits_confirmed"] = float64(v.Right)
	for i := 0; i < 4; i++ {
		sc[fmt.Sprintf("digit_conf_%d", i)] = round3(v.Conf[i])
		sc[fmt.Sprintf("digit_margin_%d", i)] = round3(math.Max(-99, math.Min(99, v.Margins[i])))
	}
	sc["digits_inserted"] = float64(v.Inserted)
	sc["speech_free_gap"] = round3(math.Min(999, v.FreeGap))
	sc["speech_len_gap"] = round3(math.Min(999, v.LenGap))
	sc["speech_lang"] = round3(v.Zh)
}

// FaceMotionFPS is the frame rate face_motion is expressed at: the mean grey change of the
// face box from one frame to the next, scaled to frames 1/15 s apart (× fps/15), so that
// MinFaceMotion, set when the check analysed 15 fps, keeps its meaning at any frame rate —
// a face's change between frames grows with their interval, a frozen picture's stays 0.
const FaceMotionFPS = 15

// attackScore is a 0–1 summary for reporting (not a decision by itself).
func attackScore(live, faceMv float64, cfg LivenessConfig) float64 {
	a := 1 - live
	if faceMv < cfg.MinFaceMotion {
		a = math.Max(a, 0.99)
	}
	return math.Max(0, math.Min(1, a))
}

// track finds faces with landmarks on every frame (two workers).
func (l *Liveness) track(ctx context.Context, clip *media.Clip) ([]frameFace, error) {
	return l.finishTrack(ctx, clip, nil)
}

// detectFrame is the face track's work on one frame: faces, the main one's landmarks and
// lip opening, whether a second face counts. The time is the caller's.
func (l *Liveness) detectFrame(img *image.RGBA) (frameFace, error) {
	faces, err := l.v.Faces(img, vision.NeedLandmarks)
	if err != nil {
		return frameFace{}, err
	}
	ff := frameFace{n: len(faces)}
	if len(faces) > 0 {
		ff.ok = true
		ff.face = faces[0]
		a0 := area(faces[0].Box)
		for _, f := range faces[1:] {
			if area(f.Box) >= l.cfg.SecondFaceRatio*a0 {
				ff.multi = true
			}
		}
		ff.opening = lipOpening(&faces[0].Landmarks)
	}
	return ff, nil
}

// finishTrack completes the face track of a decoded clip: the detected frames that pre
// (a streamTrack that saw the decode, or nil) has not done yet are detected here on two
// workers, then the frames between are interpolated and the motion measured.
func (l *Liveness) finishTrack(ctx context.Context, clip *media.Clip, pre *streamTrack) ([]frameFace, error) {
	out := make([]frameFace, len(clip.Frames))
	done := make([]bool, len(clip.Frames))
	if pre != nil {
		if pre.err != nil {
			return nil, pre.err
		}
		for i, f := range pre.fr {
			if i < len(out) && f.queued && f.known {
				out[i], done[i] = f.ff, true
			}
		}
	}
	detect := detectedFrames(len(clip.Frames), clip.FPS)
	var todo []int
	for _, i := range detect {
		if !done[i] {
			todo = append(todo, i)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	const workers = 2
	for w := 0; w < min(workers, len(todo)); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := w; k < len(todo); k += workers {
				if ctx.Err() != nil {
					return
				}
				ff, err := l.detectFrame(clip.Frames[todo[k]].Img)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				out[todo[k]] = ff
			}
		}(w)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// times from the clip's final timeline (a streamed frame's was not known yet)
	for _, i := range detect {
		out[i].t = clip.Frames[i].T
	}
	interpolateTrack(out, clip, detect)
	for i := range out {
		// what the stream measured before it released a frame
		if pre != nil && i < len(pre.fr) {
			f := &pre.fr[i]
			if f.released {
				out[i].crop, out[i].cropped = f.ff.crop, true
			}
			if f.measured {
				out[i].faceMv, out[i].mouthMv = f.ff.faceMv, f.ff.mouthMv
				continue
			}
		}
		out[i].faceMv, out[i].mouthMv = math.NaN(), math.NaN()
		if i > 0 {
			out[i].faceMv, out[i].mouthMv = frameMotion(&out[i-1], &out[i], clip.Frames[i-1].Img, clip.Frames[i].Img)
		}
	}
	return out, nil
}

// frameMotion is cur's face and mouth motion (faceMv, mouthMv): the grey change inside its
// face box and mouth box from the previous frame's pixels a to its own b; NaN unless both
// frames have a face.
func frameMotion(prev, cur *frameFace, a, b *image.RGBA) (faceMv, mouthMv float64) {
	if !prev.ok || !cur.ok {
		return math.NaN(), math.NaN()
	}
	return meanAbsDiff(a, b, cur.face.Box), meanAbsDiff(a, b, mouthBox(&cur.face.Landmarks))
}

type sampled struct {
	idx  int
	img  *image.RGBA
	face vision.Face
}

func (s sampled) rank() float64 { return float64(s.face.Quality.Score) * (0.5 + float64(s.face.Live)) }

// sample runs embedding, anti-spoof and quality on n frames spread over the clip.
func (l *Liveness) sample(clip *media.Clip, track []frameFace, n int) ([]sampled, error) {
	var idx []int
	for i, f := range track {
		if f.ok && !f.interp {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	var pick []int
	if len(idx) <= n {
		pick = idx
	} else {
		for k := 0; k < n; k++ {
			pick = append(pick, idx[(2*k+1)*len(idx)/(2*n)])
		}
	}
	out := make([]sampled, len(pick))
	errs := make([]error, len(pick))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for k, i := range pick {
		wg.Add(1)
		go func(k, i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// The track already detected this face and its landmarks on this frame:
			// only the sample models run here.
			img := clip.Frames[i].Img
			f := track[i].face
			if err := l.v.Complete(img, &f, vision.NeedEmbedding|vision.NeedLive|vision.NeedQuality); err != nil {
				errs[k] = err
				return
			}
			out[k] = sampled{idx: i, img: img, face: f}
		}(k, i)
	}
	wg.Wait()
	var res []sampled
	for k := range out {
		if errs[k] != nil {
			return nil, errs[k]
		}
		if out[k].img != nil && len(out[k].face.Embedding) > 0 {
			res = append(res, out[k])
		}
	}
	return res, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func area(b [4]float32) float64 { return float64(b[2]-b[0]) * float64(b[3]-b[1]) }

// median and mean are the shared summary statistics (internal/stats), named for the
// lip-sync and liveness code of this package.
func median(v []float64) float64 { return stats.Median(v) }

func mean(v []float64) float64 { return stats.Mean(v) }

func meanMotion(track []frameFace, f func(frameFace) float64) float64 {
	var v []float64
	for _, t := range track {
		if x := f(t); !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	return mean(v)
}

func round3(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*1000) / 1000
}
