package pipeline

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"time"

	faceverify "github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/stats"
	"github.com/faceverify/faceverify/media"
	"github.com/faceverify/faceverify/speech"
)

// This file is the fitting recipe of the lip-sync fusion model (syncCoef): a weighted
// logistic regression with a small ridge, fitted by IRLS (Newton's method), and the ROC
// helpers used to report it. It is used by go run ./pipeline/cmd/synceval and the tests;
// the verdict path only evaluates the fitted coefficients (fuse).

// SyncSample is one clip's lip-sync measurement for fitting and evaluation.
type SyncSample struct {
	Name     string
	Kind     string
	Speaker  string // face speaker (the split key)
	Voice    string // sound speaker
	Genuine  bool
	Duration float64
	Result   string    // the Check result message
	X        []float64 // SyncFeaturesOf(scores); nil if the check stopped before lip sync
	// In is the clip's lip-sync input (MeasureSyncInputs only; nil when the check stopped
	// before the lip-sync step).
	In *SyncInput `json:"-"`
}

// SyncFeaturesOf reads the model's inputs back from a verdict's scores (nil when the check
// stopped before the lip-sync step).
func SyncFeaturesOf(sc map[string]float64) []float64 {
	if _, ok := sc["sync_logit"]; !ok {
		return nil
	}
	var r syncResult
	r.lm.Z, r.px.Z, r.mv.Z = sc["sync_lm_z"], sc["sync_px_z"], sc["sync_mv_z"]
	r.vad.Z, r.word.Z, r.onset.Z = sc["sync_vad_z"], sc["sync_word_z"], sc["sync_onset_z"]
	r.pca.Z = sc["sync_pca_z"]
	r.mvIn.Z, r.dmv.Z, r.joint.Z = sc["sync_mvin_z"], sc["sync_dmv_z"], sc["sync_joint_z"]
	for _, n := range syncExtNames {
		r.ext = append(r.ext, cue{Z: sc["sync_"+n+"_z"]})
	}
	return syncFeatures(r)
}

// FitLogistic fits P(genuine) = σ(b0 + w·x) with class-balanced weights and ridge lambda on
// the weights (not the intercept). Returns [b0, w...].
func FitLogistic(xs [][]float64, ys []bool, lambda float64) []float64 {
	d := len(xs[0]) + 1
	var np, nn float64
	for _, y := range ys {
		if y {
			np++
		} else {
			nn++
		}
	}
	wt := func(y bool) float64 {
		if y {
			return 0.5 / math.Max(np, 1)
		}
		return 0.5 / math.Max(nn, 1)
	}
	beta := make([]float64, d)
	for it := 0; it < 50; it++ {
		g := make([]float64, d)
		h := make([][]float64, d)
		for i := range h {
			h[i] = make([]float64, d)
		}
		for k, x := range xs {
			z := beta[0]
			for j, v := range x {
				z += beta[j+1] * v
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if ys[k] {
				y = 1
			}
			w := wt(ys[k])
			xe := append([]float64{1}, x...)
			for a := 0; a < d; a++ {
				g[a] += w * (y - p) * xe[a]
				for b := 0; b < d; b++ {
					h[a][b] += w * p * (1 - p) * xe[a] * xe[b]
				}
			}
		}
		for a := 1; a < d; a++ {
			g[a] -= lambda * beta[a]
			h[a][a] += lambda
		}
		h[0][0] += 1e-9
		step := solve(h, g)
		if step == nil {
			break
		}
		var mx float64
		for a := range beta {
			beta[a] += step[a]
			mx = math.Max(mx, math.Abs(step[a]))
		}
		if mx < 1e-8 {
			break
		}
	}
	return beta
}

// PredictLogistic is σ(b0 + w·x).
func PredictLogistic(beta, x []float64) float64 {
	z := beta[0]
	for j, v := range x {
		z += beta[j+1] * v
	}
	return 1 / (1 + math.Exp(-z))
}

// solve solves a·x = b by Gaussian elimination with partial pivoting (nil if singular).
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append([]float64(nil), a[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-15 {
			return nil
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}

// AUC is the probability that a random positive scores above a random negative (stats.AUC).
func AUC(pos, neg []float64) float64 { return stats.AUC(pos, neg) }

// EER returns the equal error rate and its threshold (accept when score ≥ threshold).
func EER(pos, neg []float64) (eer, thr float64) {
	all := append(append([]float64(nil), pos...), neg...)
	sort.Float64s(all)
	best := math.Inf(1)
	for _, t := range all {
		frr := frac(pos, func(v float64) bool { return v < t })
		far := frac(neg, func(v float64) bool { return v >= t })
		if d := math.Abs(frr - far); d < best {
			best, eer, thr = d, (frr+far)/2, t
		}
	}
	return eer, thr
}

func frac(v []float64, f func(float64) bool) float64 { return stats.Frac(v, f) }

// SyncTrack is a decoded, face-tracked clip whose sound can be swapped: synceval and the
// tests measure the dubbed and shifted variants of a clip, whose video stream is the
// source's bit for bit (ffmpeg -c:v copy), by decoding and tracking the source once and
// re-running the audio side (band-pass, speech, sync, the lip-sync rule) per variant.
type SyncTrack struct {
	l     *Liveness
	clip  *media.Clip
	track []frameFace
}

// TrackForSync decodes and face-tracks the clip at path.
func (l *Liveness) TrackForSync(ctx context.Context, path string) (*SyncTrack, error) {
	clip, err := media.Extract(ctx, path, l.cfg.Limits)
	if err != nil {
		return nil, err
	}
	track, err := l.track(ctx, clip)
	if err != nil {
		return nil, err
	}
	return &SyncTrack{l: l, clip: clip, track: track}, nil
}

// WithAudioOf runs the lip-sync step on the tracked video with the sound of the file at
// path (its first audio track, starting with the video). It returns the sync scores and
// the lip-sync result message ("" when the lip checks pass).
func (st *SyncTrack) WithAudioOf(ctx context.Context, path string) (map[string]float64, string, error) {
	in, msg, err := st.InputWithAudioOf(ctx, path)
	if err != nil || in == nil {
		return map[string]float64{}, msg, err
	}
	sc, msg, err := in.Score(st.l.cfg)
	return sc, msg, err
}

// SyncInput is everything the lip-sync step of one clip reads: the mouth input of its video,
// its sound and the recogniser's word timings. The dev tooling stores it (synceval -inputs)
// to re-score the corpus after a change of the cues without running any model.
type SyncInput struct {
	Mouth      mouthInput
	PCM        []int16
	AudioStart time.Duration
	Words      speech.Result
}

// syncChallenge is the challenge MeasureSync checks with: never spoken in the corpus, so a
// clip that passes the lip checks ends in SR_ERROR.
const syncChallenge = "1357"

// InputWithAudioOf is the lip-sync input of the tracked video with the sound of the file at
// path; nil with the result message when the sound is refused before the lip step (muted).
func (st *SyncTrack) InputWithAudioOf(ctx context.Context, path string) (*SyncInput, string, error) {
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-ac", "1",
		"-ar", strconv.Itoa(media.SampleRate), "-f", "s16le", "pipe:1")
	raw, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("pipeline: audio of %s: %w", path, err)
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return st.input(pcm, st.clip.VideoStart)
}

// input pairs the tracked video with sound pcm starting at start. The word timings are the
// ones Check gives the lip-sync step: the challenge's forced alignment, or the free decode
// when it cannot be aligned.
func (st *SyncTrack) input(pcm []int16, start time.Duration) (*SyncInput, string, error) {
	if peakDB(bandpass(pcm), media.SampleRate/10) < st.l.cfg.MinSpeechDB {
		return nil, faceverify.ResultNoAudio.Message, nil
	}
	sv, err := st.l.s.VerifyIn(st.l.cfg.Language, pcm, media.SampleRate, syncChallenge)
	if err != nil && !errors.Is(err, speech.ErrNoSpeech) {
		return nil, "", err
	}
	words := sv.Aligned
	if len(words.Words) == 0 {
		words = sv.Heard
	}
	return &SyncInput{Mouth: mouthCrops(st.clip, st.track), PCM: pcm, AudioStart: start, Words: words}, "", nil
}

// Score runs the lip-sync step on the input: the sync scores and the result message of the
// lip/voice rows of LivenessRules ("" when the lip checks pass), whatever cfg's switch.
func (in *SyncInput) Score(cfg LivenessConfig) (map[string]float64, string, error) {
	sc := map[string]float64{}
	sy := syncScoresOf(&in.Mouth, in.AudioStart, bandpass(in.PCM), in.Words)
	reportSync(sc, sy)
	pol := Policy{Config: cfg}
	pol.Config.LipSync = true
	m := Measurements{Stage: StageVoice, MouthMotion: sy.mouthStd, MouthPixels: sy.mouthMotion, SyncScore: sy.prob}
	d, refused, err := pol.Decide(lipRules(), &m)
	if err != nil {
		return nil, "", err
	}
	if refused {
		return sc, d.Result().Message, nil
	}
	return sc, "", nil
}

// SyncItem is one clip to measure: File, and for a variant sharing its source's video
// stream (VideoCopy) the Source clip, which must be among the items itself.
type SyncItem struct {
	SyncSample
	File, Source string
	VideoCopy    bool
}

// MeasureSync measures every item with lip sync on and the challenge "1357" (never spoken:
// a clip that passes the lip checks ends in SR_ERROR). Items without VideoCopy run the full
// Check; VideoCopy variants reuse their source's decoded face track (SyncTrack) and inherit
// the source's result when its check stopped before the lip-sync step.
func (l *Liveness) MeasureSync(ctx context.Context, items []SyncItem, workers int, done func(SyncSample)) ([]SyncSample, error) {
	return l.measureSync(ctx, items, workers, done, false)
}

// MeasureSyncInputs is MeasureSync that also keeps every clip's lip-sync input
// (SyncSample.In) for re-scoring without the models (RescoreSync). The full Check's own
// clips are face-tracked once more for it.
func (l *Liveness) MeasureSyncInputs(ctx context.Context, items []SyncItem, workers int, done func(SyncSample)) ([]SyncSample, error) {
	return l.measureSync(ctx, items, workers, done, true)
}

// AtLipStep reports whether a Check result came from the lip-sync step or after it (the
// digits), i.e. whether the clip's lip-sync cues were measured.
func AtLipStep(result string) bool {
	return result == faceverify.ResultSRError.Message || result == faceverify.ResultLipVoiceNotSync.Message ||
		result == faceverify.ResultNotSynchronized.Message
}

// RescoreSync re-runs the lip-sync step on a measured sample's stored input with the
// current cues and model (the sample unchanged when it has no input).
func RescoreSync(cfg LivenessConfig, s SyncSample) (SyncSample, error) {
	if s.In == nil {
		return s, nil
	}
	sc, msg, err := s.In.Score(cfg)
	if err != nil {
		return s, err
	}
	if msg == "" {
		msg = faceverify.ResultSRError.Message
	}
	s.Result, s.X = msg, SyncFeaturesOf(sc)
	return s, nil
}

func (l *Liveness) measureSync(ctx context.Context, items []SyncItem, workers int, done func(SyncSample), capture bool) ([]SyncSample, error) {
	out := make([]SyncSample, len(items))
	errs := make([]error, len(items))
	parallel := func(n int, f func(i int)) {
		next := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < max(1, workers); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					f(i)
				}
			}()
		}
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	var full []int
	bySource := map[string][]int{}
	var sources []string
	for i, it := range items {
		if it.VideoCopy {
			if bySource[it.Source] == nil {
				sources = append(sources, it.Source)
			}
			bySource[it.Source] = append(bySource[it.Source], i)
		} else {
			full = append(full, i)
		}
	}
	srcResult := map[string]SyncSample{}
	tracked := map[string]*SyncTrack{}
	var mu sync.Mutex
	parallel(len(full), func(k int) {
		i := full[k]
		it := items[i]
		rep, err := l.Check(ctx, it.File, syncChallenge, LivenessOptions{Preferences: 2})
		if err != nil {
			errs[i] = err
			return
		}
		s := it.SyncSample
		s.Result, s.X = rep.Result.Message, SyncFeaturesOf(rep.Scores)
		var st *SyncTrack
		if capture && s.X != nil && AtLipStep(s.Result) {
			if st, err = l.TrackForSync(ctx, it.File); err != nil {
				errs[i] = err
				return
			}
			if s.In, _, err = st.input(st.clip.PCM, st.clip.AudioStart); err != nil {
				errs[i] = err
				return
			}
		}
		out[i] = s
		mu.Lock()
		if it.File == it.Source {
			srcResult[it.Source] = s
			if st != nil {
				tracked[it.Source] = st
			}
		}
		mu.Unlock()
		if done != nil {
			done(s)
		}
	})
	parallel(len(sources), func(k int) {
		src := sources[k]
		idx := bySource[src]
		base, ok := srcResult[src]
		if !ok {
			errs[idx[0]] = fmt.Errorf("pipeline: source %s of %s not measured", src, items[idx[0]].Name)
			return
		}
		gated := base.X == nil || !AtLipStep(base.Result)
		st := tracked[src]
		if !gated && st == nil {
			var err error
			if st, err = l.TrackForSync(ctx, src); err != nil {
				errs[idx[0]] = err
				return
			}
		}
		for _, i := range idx {
			s := items[i].SyncSample
			if gated {
				s.Result = base.Result
			} else {
				in, msg, err := st.InputWithAudioOf(ctx, items[i].File)
				if err != nil {
					errs[i] = err
					return
				}
				sc := map[string]float64{}
				if in != nil {
					if sc, msg, err = in.Score(st.l.cfg); err != nil {
						errs[i] = err
						return
					}
				}
				if msg == "" {
					msg = faceverify.ResultSRError.Message
				}
				s.Result, s.X = msg, SyncFeaturesOf(sc)
				if capture {
					s.In = in
				}
			}
			out[i] = s
			if done != nil {
				done(s)
			}
		}
	})
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return out, nil
}
