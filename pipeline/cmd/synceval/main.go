// Command synceval measures the lip-voice sync decision on the dev attack corpus
// (internal/synccorpus, generated from ../shared/datasets/talking into a temp dir) and fits
// the fusion model: leave-one-speaker-out logistic regression, ROC/AUC, the operating point,
// APCER/BPCER per attack type and by clip length, and the coefficients to paste into
// pipeline/sync.go (syncCoef).
//
//	go run ./pipeline/cmd/synceval [-subset] [-json samples.json] [-refit samples.json]
//	    [-inputs inputs.gob] [-use onset_z,joint_z,jhp_z|all] [-lambda 0.5] [-eer] [-bpcer 0.05]
//	    [-sets "a,b;c,d"] [-fps 25]
//
// -inputs keeps every clip's lip-sync input (mouth crops, sound, word timings; ≈ 300 MB for
// the full corpus): the first run measures and writes it, later runs re-score the corpus
// with the current cues in about a CPU-minute without any model (for work on the cues).
package main

import (
	"context"
	"encoding/gob"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/faceverify/faceverify/internal/stats"
	"github.com/faceverify/faceverify/internal/synccorpus"
	"github.com/faceverify/faceverify/pipeline"
	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/vision"
)

func main() {
	deps := os.Getenv("FACEVERIFY_DEPS")
	if deps == "" {
		deps = ".deps"
	}
	subset := flag.Bool("subset", false, "the test suite's subset instead of the full corpus")
	datasets := flag.String("datasets", "../shared/datasets", "dataset root")
	out := flag.String("json", "", "write the measured samples here")
	refit := flag.String("refit", "", "skip measuring: read samples from this file")
	workers := flag.Int("workers", 2, "clips checked at once")
	thr := flag.Float64("threshold", 0.5, "operating point on the fused probability")
	bpcer := flag.Float64("bpcer", 0.05, "BPCER target of the reported operating points")
	eer := flag.Bool("eer", false, "deploy the equal-error point of the LOSO scores instead of BPCER ≤ -bpcer")
	lambda := flag.Float64("lambda", pipeline.SyncRidge, "ridge on the fusion weights")
	buildOnly := flag.Bool("build", false, "only build (cache) the corpus and list it")
	use := flag.String("use", strings.Join(pipeline.SyncModelFeatures, ","), "comma-separated features the model may use (others get weight 0; \"all\": every one)")
	fps := flag.Float64("fps", pipeline.SyncFPS, "analysis frame rate (an experiment: the service uses SyncFPS)")
	sets := flag.String("sets", "", "compare feature sets instead of the report: ';'-separated -use lists, each scored leave-one-speaker-out (AUC, EER, APCER at BPCER ≤ -bpcer)")
	inputs := flag.String("inputs", "", "gob file of the measured lip-sync inputs: written when missing, else re-scored with the current cues (no model runs)")
	flag.Parse()
	pipeline.SyncCandidateCues = true
	var samples []pipeline.SyncSample
	if *inputs != "" {
		if f, err := os.Open(*inputs); err == nil {
			check(gob.NewDecoder(f).Decode(&samples))
			f.Close()
			cfg := pipeline.DefaultLivenessConfig()
			for i := range samples {
				samples[i], err = pipeline.RescoreSync(cfg, samples[i])
				check(err)
			}
		}
	}
	switch {
	case samples != nil: // re-scored from -inputs
	case *refit != "":
		b, err := os.ReadFile(*refit)
		check(err)
		check(json.Unmarshal(b, &samples))
	default:
		o := synccorpus.Full
		if *subset {
			o = synccorpus.Subset
		}
		cs, err := synccorpus.Ensure(*datasets, o)
		check(err)
		if *buildOnly {
			fmt.Printf("%d clips in %s\n", len(cs), synccorpus.Dir(synccorpus.Full))
			return
		}
		v, err := vision.Open(vision.Config{ModelDir: filepath.Join(deps, "models"), LibPath: filepath.Join(deps, "lib", "libonnxruntime.so.1"), Threads: 1})
		check(err)
		s, err := speech.Open(speech.Config{LibPath: filepath.Join(deps, "lib", "libonnxruntime.so.1")})
		check(err)
		cfg := pipeline.DefaultLivenessConfig()
		cfg.Limits.FPS = *fps
		samples = Measure(v, s, cfg, cs, *workers, *inputs != "")
		if *inputs != "" {
			f, err := os.Create(*inputs)
			check(err)
			check(gob.NewEncoder(f).Encode(samples))
			check(f.Close())
		}
	}
	if *out != "" {
		b, _ := json.MarshalIndent(samples, "", " ")
		check(os.WriteFile(*out, b, 0o644))
	}
	if *sets != "" {
		for _, set := range strings.Split(*sets, ";") {
			CompareSet(os.Stdout, restrict(samples, set), set, *lambda, *bpcer)
		}
		return
	}
	raw := samples
	samples = restrict(samples, *use)
	Report(os.Stdout, samples, raw, *thr, *bpcer, *lambda, *eer)
}

// restrict returns the samples with every feature not in the comma-separated list use set
// to 0 ("all": unchanged).
func restrict(samples []pipeline.SyncSample, use string) []pipeline.SyncSample {
	if use != "all" {
		samples = append([]pipeline.SyncSample(nil), samples...)
		keep := map[string]bool{}
		for _, f := range strings.Split(use, ",") {
			keep[f] = true
		}
		for i := range samples {
			if samples[i].X == nil {
				continue
			}
			x := append([]float64(nil), samples[i].X...)
			for j, name := range pipeline.SyncFeatureNames {
				if !keep[name] {
					x[j] = 0
				}
			}
			samples[i].X = x
		}
	}
	return samples
}

// CompareSet prints one line for a feature set: LOSO AUC, EER, BPCER / APCER at the
// equal-error point, APCER at BPCER ≤ bpcer (thresholds on the LOSO scores).
func CompareSet(w *os.File, ss []pipeline.SyncSample, name string, lambda, bpcer float64) {
	prob := losoProbs(ss, speakersOf(ss), lambda, "")
	pos, neg := split(ss, func(i int) float64 { return prob[i] })
	eer, et := pipeline.EER(pos, neg)
	t := thresholdAt(pos, bpcer)
	fmt.Fprintf(w, "%-60s AUC %.3f  EER %5.1f %%  at EER BPCER %5.1f APCER %5.1f  APCER@BPCER≤%.0f%% %5.1f %%\n", name,
		pipeline.AUC(pos, neg), 100*eer,
		100*stats.Frac(pos, func(v float64) bool { return v < et }), 100*stats.Frac(neg, func(v float64) bool { return v >= et }),
		100*bpcer, 100*stats.Frac(neg, func(v float64) bool { return v >= t }))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "synceval:", err)
		os.Exit(1)
	}
}

// Measure runs the lip-sync measurement (pipeline.MeasureSync) on every case.
func Measure(v *vision.Engine, s *speech.Recognizer, cfg pipeline.LivenessConfig, cs []synccorpus.Case, workers int, keep bool) []pipeline.SyncSample {
	l := pipeline.NewLiveness(v, s, cfg)
	measure := l.MeasureSync
	if keep {
		measure = l.MeasureSyncInputs
	}
	out, err := measure(context.Background(), Items(cs), workers, func(s pipeline.SyncSample) {
		b, _ := json.Marshal(s)
		fmt.Fprintf(os.Stderr, "%s\n", b)
	})
	check(err)
	return out
}

// Items turns corpus cases into measurement items.
func Items(cs []synccorpus.Case) []pipeline.SyncItem {
	var items []pipeline.SyncItem
	for _, c := range cs {
		items = append(items, pipeline.SyncItem{SyncSample: pipeline.SyncSample{Name: c.Name, Kind: c.Kind, Speaker: c.Speaker, Voice: c.Voice,
			Genuine: c.Genuine, Duration: c.Duration}, File: c.File, Source: c.Source, VideoCopy: c.VideoCopy})
	}
	return items
}

// gated: refused before the fused decision (no features, or a gate such as the still mouth).
func gated(s pipeline.SyncSample) bool {
	return s.X == nil || s.Result == "NOT_SYNCHRONIZED" || s.Result == "FAIL_LIVING_FACE_ATTACK" ||
		s.Result == "NO_FACE_FOUND" || s.Result == "FACE_QUALITY_TOO_LOW" || s.Result == "CHANGE_FACE_ATTACK"
}

// Report prints the leave-one-speaker-out evaluation and the final coefficients: ss carry
// the features the model may use (others zeroed), raw all of them (single-cue table); thr
// is the deployed operating point on the fused probability; bpcer the BPCER target of the
// operating points chosen on the dev folds; eer: propose the equal-error point instead.
func Report(w *os.File, ss, raw []pipeline.SyncSample, thr, bpcer, lambda float64, useEER bool) {
	speakers := speakersOf(ss)
	prob := losoProbs(ss, speakers, lambda, "")
	accept := func(i int) bool { return !gated(ss[i]) && prob[i] >= thr }
	pos, neg := split(ss, func(i int) float64 { return prob[i] })
	eer, et := pipeline.EER(pos, neg)
	fmt.Fprintf(w, "clips: %d genuine, %d attacks, %d face speakers\n", len(pos), len(neg), len(speakers))
	fmt.Fprintf(w, "leave-one-speaker-out fused model (ridge %.2f): AUC %.3f, EER %.1f %% at p=%.3f\n", lambda, pipeline.AUC(pos, neg), 100*eer, et)
	fmt.Fprintln(w, "ROC (threshold: BPCER, APCER):")
	for _, t := range []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9} {
		fmt.Fprintf(w, "  p≥%.1f: BPCER %5.1f %%  APCER %5.1f %%\n", t, 100*stats.Frac(pos, func(v float64) bool { return v < t }), 100*stats.Frac(neg, func(v float64) bool { return v >= t }))
	}
	// single cues: raw z, gated clips lowest (a one-cue logistic fit is monotone in the cue,
	// so its leave-one-speaker-out ranking is the raw z's), APCER at BPCER ≤ the target.
	kinds := kindsOf(ss)
	fmt.Fprintf(w, "\nsingle cues (all clips, gated = refused): AUC; APCER at BPCER ≤ %.0f %% overall and per attack kind\n", 100*bpcer)
	fmt.Fprintf(w, "  %-8s %5s %6s", "cue", "AUC", "APCER")
	for _, k := range kinds {
		if !strings.HasPrefix(k, "genuine") {
			fmt.Fprintf(w, " %9s", strings.TrimPrefix(k, "dub_"))
		}
	}
	fmt.Fprintln(w)
	for j, name := range pipeline.SyncFeatureNames {
		score := func(i int) float64 { return raw[i].X[j] }
		cueLine(w, ss, kinds, name, score, bpcer)
	}
	cueLine(w, ss, kinds, "fused", func(i int) float64 { return prob[i] }, bpcer)
	// the operating point chosen on the dev folds: nested leave-one-speaker-out (the held-out
	// speaker's threshold from the other speakers' own leave-one-out scores).
	nthr := nestedThresholds(ss, speakers, lambda, bpcer)
	dthr := thresholdAt(pos, bpcer)

	fmt.Fprintf(w, "\noperating point at BPCER ≤ %.0f %% on the LOSO scores: p ≥ %.3f; nested (threshold without the held-out speaker) per kind:\n", 100*bpcer, dthr)
	tally(w, ss, func(i int) bool { return !gated(ss[i]) && prob[i] >= nthr[ss[i].Speaker] })
	fmt.Fprintf(w, "\nsame model, fixed threshold p ≥ %.2f (the deployed MinSyncScore), per kind:\n", thr)
	tally(w, ss, accept)
	fmt.Fprintln(w, "\nmisclassified at the fixed threshold:")
	for i, s := range ss {
		if accept(i) != s.Genuine {
			fmt.Fprintf(w, "  %-44s %-22s p=%.3f x=%.2f\n", s.Name, s.Result, prob[i], s.X)
		}
	}
	// final model on every dev speaker
	var xs [][]float64
	var ys []bool
	for _, s := range ss {
		if !gated(s) {
			xs = append(xs, s.X)
			ys = append(ys, s.Genuine)
		}
	}
	beta := pipeline.FitLogistic(xs, ys, lambda)
	fmt.Fprintf(w, "\nsyncCoef (all dev speakers, ridge %.2f, features %v):\nvar syncCoef = []float64{", lambda, pipeline.SyncFeatureNames)
	for i, b := range beta {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%.4f", b)
	}
	fmt.Fprintln(w, "}")
	op, what := dthr, fmt.Sprintf("BPCER ≤ %.0f %%", 100*bpcer)
	if useEER {
		op, what = et, "equal error"
	}
	lt := math.Log(op / (1 - op))
	fmt.Fprintf(w, "LOSO operating point (%s): p ≥ %.4f (logit %.4f); intercept for MinSyncScore 0.5: %.4f\n", what, op, lt, beta[0]-lt)
	fmt.Fprintf(w, "at that point (LOSO scores), per kind:\n")
	tally(w, ss, func(i int) bool { return !gated(ss[i]) && prob[i] >= op })
	fmt.Fprintf(w, "at that point (LOSO scores), per held-out face speaker:\n")
	bySpeaker(w, ss, speakers, func(i int) bool { return !gated(ss[i]) && prob[i] >= op })
}

// bySpeaker prints, per face speaker, the genuine clips refused and the attacks accepted by
// the accept rule.
func bySpeaker(w *os.File, ss []pipeline.SyncSample, speakers []string, accept func(i int) bool) {
	for _, spk := range speakers {
		g, gr, a, aa := outcomes(ss, func(s pipeline.SyncSample) bool { return s.Speaker == spk }, accept)
		fmt.Fprintf(w, "  %-22s genuine refused %d/%d  attacks accepted %2d/%d\n", spk, gr, g, aa, a)
	}
}

// outcomes counts, over the samples for which in holds, the genuine ones and those of them
// refused, and the attacks and those of them accepted, by the accept rule.
func outcomes(ss []pipeline.SyncSample, in func(pipeline.SyncSample) bool, accept func(i int) bool) (g, gr, a, aa int) {
	for i, s := range ss {
		if !in(s) {
			continue
		}
		if s.Genuine {
			g++
			if !accept(i) {
				gr++
			}
		} else {
			a++
			if accept(i) {
				aa++
			}
		}
	}
	return g, gr, a, aa
}

func speakersOf(ss []pipeline.SyncSample) []string {
	spk := map[string]bool{}
	for _, s := range ss {
		spk[s.Speaker] = true
	}
	var out []string
	for k := range spk {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func kindsOf(ss []pipeline.SyncSample) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s.Kind] {
			seen[s.Kind] = true
			out = append(out, s.Kind)
		}
	}
	sort.Strings(out)
	return out
}

// losoProbs: each face speaker's clips scored by a model fitted without that speaker's clips
// and without any clip whose voice is that speaker (and without the speaker skip, when set).
// NaN for gated clips.
func losoProbs(ss []pipeline.SyncSample, speakers []string, lambda float64, skip string) []float64 {
	prob := make([]float64, len(ss))
	for i := range prob {
		prob[i] = math.NaN()
	}
	for _, held := range speakers {
		if held == skip {
			continue
		}
		var xs [][]float64
		var ys []bool
		for _, s := range ss {
			if gated(s) || s.Speaker == held || s.Voice == held || s.Speaker == skip || s.Voice == skip {
				continue
			}
			xs = append(xs, s.X)
			ys = append(ys, s.Genuine)
		}
		beta := pipeline.FitLogistic(xs, ys, lambda)
		for i, s := range ss {
			if s.Speaker == held && !gated(s) {
				prob[i] = pipeline.PredictLogistic(beta, s.X)
			}
		}
	}
	return prob
}

// nestedThresholds: per held-out speaker, the threshold at BPCER ≤ target on the other
// speakers' leave-one-speaker-out scores (fitted without the held-out speaker).
func nestedThresholds(ss []pipeline.SyncSample, speakers []string, lambda, target float64) map[string]float64 {
	out := map[string]float64{}
	for _, held := range speakers {
		p := losoProbs(ss, speakers, lambda, held)
		var pos []float64
		for i, s := range ss {
			if s.Genuine && s.Speaker != held {
				pos = append(pos, score0(s, p[i]))
			}
		}
		out[held] = thresholdAt(pos, target)
	}
	return out
}

func score0(s pipeline.SyncSample, p float64) float64 {
	if gated(s) || math.IsNaN(p) {
		return math.Inf(-1)
	}
	return p
}

// thresholdAt is the highest threshold refusing at most target of the genuine scores
// (accept when score ≥ threshold).
func thresholdAt(pos []float64, target float64) float64 {
	s := append([]float64(nil), pos...)
	sort.Float64s(s)
	k := int(math.Floor(target*float64(len(s)) + 1e-9))
	if k >= len(s) {
		k = len(s) - 1
	}
	return s[k]
}

// split returns the genuine and attack scores (gated clips −∞).
func split(ss []pipeline.SyncSample, score func(i int) float64) (pos, neg []float64) {
	for i, s := range ss {
		v := math.Inf(-1)
		if !gated(s) {
			v = score(i)
		}
		if s.Genuine {
			pos = append(pos, v)
		} else {
			neg = append(neg, v)
		}
	}
	return pos, neg
}

func cueLine(w *os.File, ss []pipeline.SyncSample, kinds []string, name string, score func(i int) float64, target float64) {
	pos, neg := split(ss, score)
	t := thresholdAt(pos, target)
	acc := func(i int) bool { return !gated(ss[i]) && score(i) >= t }
	var a, n int
	per := map[string][2]int{}
	for i, s := range ss {
		if s.Genuine {
			continue
		}
		c := per[s.Kind]
		c[1]++
		n++
		if acc(i) {
			c[0]++
			a++
		}
		per[s.Kind] = c
	}
	fmt.Fprintf(w, "  %-8s %5.3f %5.1f%%", name, pipeline.AUC(pos, neg), 100*float64(a)/float64(n))
	for _, k := range kinds {
		if c, ok := per[k]; ok {
			fmt.Fprintf(w, " %4d/%-4d", c[0], c[1])
		}
	}
	fmt.Fprintln(w)
}

// tally prints BPCER/APCER per kind and by clip length for the accept rule.
func tally(w *os.File, ss []pipeline.SyncSample, accept func(i int) bool) {
	kinds := map[string][2]int{}
	var kn []string
	for i, s := range ss {
		k := kinds[s.Kind]
		if k == [2]int{} {
			kn = append(kn, s.Kind)
		}
		k[1]++
		if accept(i) {
			k[0]++
		}
		kinds[s.Kind] = k
	}
	sort.Strings(kn)
	var ga, gn, aa, an int
	for _, k := range kn {
		c := kinds[k]
		if strings.HasPrefix(k, "genuine") {
			gn += c[1]
			ga += c[0]
			fmt.Fprintf(w, "  %-14s %3d/%3d refused  BPCER %5.1f %%\n", k, c[1]-c[0], c[1], 100*float64(c[1]-c[0])/float64(c[1]))
		} else {
			an += c[1]
			aa += c[0]
			fmt.Fprintf(w, "  %-14s %3d/%3d accepted APCER %5.1f %%\n", k, c[0], c[1], 100*float64(c[0])/float64(c[1]))
		}
	}
	fmt.Fprintf(w, "  ALL: BPCER %d/%d = %.1f %%, APCER %d/%d = %.1f %%\n", gn-ga, gn, 100*float64(gn-ga)/float64(gn), aa, an, 100*float64(aa)/float64(an))
	fmt.Fprint(w, "  by clip length:")
	for _, b := range [][2]float64{{2, 3.5}, {3.5, 6}, {6, 20.5}} {
		g, gr, a, aacc := outcomes(ss, func(s pipeline.SyncSample) bool { return !(s.Duration < b[0] || s.Duration >= b[1]) }, accept)
		fmt.Fprintf(w, "  %.1f–%.1f s BPCER %d/%d APCER %d/%d;", b[0], b[1], gr, g, aacc, a)
	}
	fmt.Fprintln(w)
}
