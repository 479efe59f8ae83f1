// Command synceval measures the lip-voice sync decision on the dev attack corpus
// (internal/synccorpus, generated from ../shared/datasets/talking into a temp dir) and fits
// the fusion model: leave-one-speaker-out logistic regression, ROC/AUC, the operating point,
// APCER/BPCER per attack type and by clip length, and the coefficients to paste into
// pipeline/sync.go (syncCoef).
//
//	go run ./pipeline/cmd/synceval [-subset] [-json samples.json] [-refit samples.json]
package main

import (
	"context"
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
	buildOnly := flag.Bool("build", false, "only build (cache) the corpus and list it")
	use := flag.String("use", "", "comma-separated features the model may use (default all; others get weight 0)")
	flag.Parse()
	var samples []pipeline.SyncSample
	if *refit != "" {
		b, err := os.ReadFile(*refit)
		check(err)
		check(json.Unmarshal(b, &samples))
	} else {
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
		samples = Measure(v, s, cs, *workers)
		if *out != "" {
			b, _ := json.MarshalIndent(samples, "", " ")
			check(os.WriteFile(*out, b, 0o644))
		}
	}
	if *use != "" {
		keep := map[string]bool{}
		for _, f := range strings.Split(*use, ",") {
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
	Report(os.Stdout, samples, *thr)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "synceval:", err)
		os.Exit(1)
	}
}

// Measure runs the lip-sync measurement (pipeline.MeasureSync) on every case.
func Measure(v *vision.Engine, s *speech.Recognizer, cs []synccorpus.Case, workers int) []pipeline.SyncSample {
	l := pipeline.NewLiveness(v, s, pipeline.DefaultLivenessConfig())
	out, err := l.MeasureSync(context.Background(), Items(cs), workers, func(s pipeline.SyncSample) {
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

// Report prints the leave-one-speaker-out evaluation and the final coefficients.
func Report(w *os.File, ss []pipeline.SyncSample, thr float64) {
	const lambda = 0.05
	spk := map[string]bool{}
	for _, s := range ss {
		spk[s.Speaker] = true
	}
	var speakers []string
	for k := range spk {
		speakers = append(speakers, k)
	}
	sort.Strings(speakers)
	prob := make([]float64, len(ss))
	for i := range prob {
		prob[i] = math.NaN()
	}
	for _, held := range speakers {
		var xs [][]float64
		var ys []bool
		for _, s := range ss {
			if gated(s) || s.Speaker == held || s.Voice == held {
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
	accept := func(i int) bool { return !gated(ss[i]) && prob[i] >= thr }
	// ROC over all clips: gated clips score 0 (refused whatever the threshold).
	var pos, neg []float64
	for i, s := range ss {
		p := prob[i]
		if gated(s) {
			p = 0
		}
		if s.Genuine {
			pos = append(pos, p)
		} else {
			neg = append(neg, p)
		}
	}
	eer, et := pipeline.EER(pos, neg)
	fmt.Fprintf(w, "clips: %d genuine, %d attacks, %d face speakers\n", len(pos), len(neg), len(speakers))
	fmt.Fprintf(w, "leave-one-speaker-out fused model: AUC %.3f, EER %.1f %% at p=%.3f\n", pipeline.AUC(pos, neg), 100*eer, et)
	fmt.Fprintln(w, "ROC (threshold: BPCER, APCER):")
	for _, t := range []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9} {
		fmt.Fprintf(w, "  p≥%.1f: BPCER %5.1f %%  APCER %5.1f %%\n", t, 100*stats.Frac(pos, func(v float64) bool { return v < t }), 100*stats.Frac(neg, func(v float64) bool { return v >= t }))
	}
	// single cues, raw z (no fitting)
	for j, name := range pipeline.SyncFeatureNames {
		var p, n []float64
		for _, s := range ss {
			if gated(s) {
				continue
			}
			if s.Genuine {
				p = append(p, s.X[j])
			} else {
				n = append(n, s.X[j])
			}
		}
		fmt.Fprintf(w, "  cue %-8s AUC %.3f (clips past the gates)\n", name, pipeline.AUC(p, n))
	}
	fmt.Fprintf(w, "\noperating point p ≥ %.2f, per kind:\n", thr)
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
		g := strings.HasPrefix(k, "genuine")
		what := "APCER (accepted)"
		if g {
			what = "BPCER (refused)"
			gn += c[1]
			ga += c[0]
			fmt.Fprintf(w, "  %-14s %3d/%3d refused  %s %5.1f %%\n", k, c[1]-c[0], c[1], what, 100*float64(c[1]-c[0])/float64(c[1]))
		} else {
			an += c[1]
			aa += c[0]
			fmt.Fprintf(w, "  %-14s %3d/%3d accepted %s %5.1f %%\n", k, c[0], c[1], what, 100*float64(c[0])/float64(c[1]))
		}
	}
	fmt.Fprintf(w, "  ALL: BPCER %d/%d = %.1f %%, APCER %d/%d = %.1f %%\n", gn-ga, gn, 100*float64(gn-ga)/float64(gn), aa, an, 100*float64(aa)/float64(an))
	fmt.Fprintln(w, "\nby clip length:")
	for _, b := range [][2]float64{{2, 3.5}, {3.5, 6}, {6, 20.5}} {
		var g, gr, a, aacc int
		for i, s := range ss {
			if s.Duration < b[0] || s.Duration >= b[1] {
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
					aacc++
				}
			}
		}
		fmt.Fprintf(w, "  %4.1f–%4.1f s: BPCER %d/%d, APCER %d/%d\n", b[0], b[1], gr, g, aacc, a)
	}
	// null calibration: attacks' primary z by length
	fmt.Fprintln(w, "\nprimary statistic (px_z) of dubbed clips by length (should not grow):")
	for _, b := range [][2]float64{{2, 3.5}, {3.5, 6}, {6, 20.5}} {
		var v []float64
		for _, s := range ss {
			if s.X != nil && !s.Genuine && strings.HasPrefix(s.Kind, "dub") && s.Duration >= b[0] && s.Duration < b[1] {
				v = append(v, s.X[1])
			}
		}
		fmt.Fprintf(w, "  %4.1f–%4.1f s: n=%d mean z %.2f, share z≥2: %.1f %%\n", b[0], b[1], len(v), stats.Mean(v), 100*stats.Frac(v, func(x float64) bool { return x >= 2 }))
	}
	fmt.Fprintln(w, "\nmisclassified at the operating point:")
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
}
