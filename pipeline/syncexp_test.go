package pipeline

// TestSyncExperiments is the dev harness the session-7 cue variants were compared with
// (docs/liveness.md, "Lips and voice"): it reads the stored lip-sync inputs of synceval
// -inputs (SYNCEXP_GOB=/tmp/sync-in.gob) and prints, for each variant cue of
// syncexp_variants_test.go (SYNCEXP_ONLY=a,b: only those), its AUC alone and the LOSO
// AUC / EER of fusions with the deployed cues; SYNCEXP_SETS="onset,jhp,v;…" scores given
// sets; the deployed cues are re-scored with the current code (SYNCEXP_STORED=1: the stored
// features instead). Skipped without SYNCEXP_GOB. Choices made with it were made on the dev folds only.

import (
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

type expClip struct {
	s  SyncSample
	ms mouthSeries
	au audioSeries
	in *SyncInput
}

func loadExp(t *testing.T, path string) []expClip {
	f, err := os.Open(path)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	return loadExpFile(t, f)
}

func loadExpFile(t *testing.T, f *os.File) []expClip {
	var ss []SyncSample
	if err := gob.NewDecoder(f).Decode(&ss); err != nil {
		t.Fatal(err)
	}
	var out []expClip
	cfg := DefaultLivenessConfig()
	for _, s := range ss {
		if os.Getenv("SYNCEXP_STORED") == "" { // the deployed cues re-scored with the current code
			s2, err := RescoreSync(cfg, s)
			if err != nil {
				t.Fatal(err)
			}
			s.Result, s.X = s2.Result, s2.X
		}
		e := expClip{s: s, in: s.In}
		if s.In != nil {
			e.ms = mouthEvidence(&s.In.Mouth)
			e.au = audioEvidence(syncBand(bandpass(s.In.PCM)), e.ms.fps, s.In.Words)
		}
		e.s.In = nil
		out = append(out, e)
	}
	return out
}

func expGated(s SyncSample) bool {
	return s.X == nil || s.Result != "SR_ERROR" && s.Result != "LIP_VOICE_NOT_SYNC"
}

// expSplit: the genuine and attack scores, a gated clip scoring −∞ (refused before the fusion).
func expSplit(cs []expClip, z []float64) (pos, neg []float64) {
	for i, c := range cs {
		v := math.Inf(-1)
		if !expGated(c.s) {
			v = z[i]
		}
		if c.s.Genuine {
			pos = append(pos, v)
		} else {
			neg = append(neg, v)
		}
	}
	return pos, neg
}

func expAUC(cs []expClip, z []float64) float64 {
	pos, neg := expSplit(cs, z)
	return AUC(pos, neg)
}

// losoExp: LOSO fusion of the columns feats (per clip), class-balanced ridge logistic.
func losoExp(cs []expClip, feats [][]float64, lambda float64) (auc, eer float64) {
	spk := map[string]bool{}
	for _, c := range cs {
		spk[c.s.Speaker] = true
	}
	prob := make([]float64, len(cs))
	for held := range spk {
		var xs [][]float64
		var ys []bool
		for i, c := range cs {
			if expGated(c.s) || c.s.Speaker == held || c.s.Voice == held {
				continue
			}
			xs = append(xs, feats[i])
			ys = append(ys, c.s.Genuine)
		}
		beta := FitLogistic(xs, ys, lambda)
		for i, c := range cs {
			if c.s.Speaker == held && !expGated(c.s) {
				prob[i] = PredictLogistic(beta, feats[i])
			}
		}
	}
	pos, neg := expSplit(cs, prob)
	e, _ := EER(pos, neg)
	return AUC(pos, neg), e
}

func clz(v float64) float64 { return math.Max(-4, math.Min(8, v)) }

func TestSyncExperiments(t *testing.T) {
	path := os.Getenv("SYNCEXP_GOB")
	if path == "" {
		t.Skip("SYNCEXP_GOB")
	}
	t0 := time.Now()
	cs := loadExp(t, path)
	t.Logf("loaded %d in %v", len(cs), time.Since(t0))
	idx := map[string]int{}
	for j, n := range SyncFeatureNames {
		idx[n] = j
	}
	col := func(name string) []float64 {
		out := make([]float64, len(cs))
		for i, c := range cs {
			if c.s.X != nil {
				out[i] = c.s.X[idx[name]]
			}
		}
		return out
	}
	base := [][]float64{col("onset_z"), col("joint_z"), col("jhp_z")}
	variants := expVariants()
	names := make([]string, 0, len(variants))
	for n := range variants {
		if sel := os.Getenv("SYNCEXP_ONLY"); sel != "" && !strings.Contains(","+sel+",", ","+n+",") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	mk := func(cols ...[]float64) [][]float64 {
		out := make([][]float64, len(cs))
		for i := range cs {
			for _, c := range cols {
				out[i] = append(out[i], c[i])
			}
		}
		return out
	}
	a, e := losoExp(cs, mk(base...), 0.5)
	t.Logf("%-12s single %.3f   base3 LOSO AUC %.3f EER %.1f", "baseline", expAUC(cs, base[2]), a, 100*e)
	zs := map[string][]float64{"onset": base[0], "joint": base[1], "jhp": base[2]}
	defer func() {
		for _, set := range strings.Split(os.Getenv("SYNCEXP_SETS"), ";") {
			if set == "" {
				continue
			}
			var cols [][]float64
			for _, n := range strings.Split(set, ",") {
				cols = append(cols, zs[n])
			}
			for _, lam := range []float64{0.5} {
				a, e := losoExp(cs, mk(cols...), lam)
				t.Logf("set %-40s LOSO AUC %.3f EER %.1f", set, a, 100*e)
			}
		}
	}()
	for _, n := range names {
		z := make([]float64, len(cs))
		zs[n] = z
		lags := make([]float64, len(cs))
		for i := range cs {
			if cs[i].in == nil || cs[i].au.energy == nil {
				continue
			}
			c := variants[n](&cs[i])
			z[i], lags[i] = clz(c.Z), c.LagMS
		}
		a1, e1 := losoExp(cs, mk(base[0], base[1], base[2], z), 0.5)
		a2, e2 := losoExp(cs, mk(base[0], base[1], z), 0.5)
		a3, e3 := losoExp(cs, mk(base[0], z), 0.5)
		t.Logf("%-12s single %.3f  +base3 %.3f/%.1f  onset,joint,v %.3f/%.1f  onset,v %.3f/%.1f", n, expAUC(cs, z), a1, 100*e1, a2, 100*e2, a3, 100*e3)
		if os.Getenv("SYNCEXP_DUMP") != "" {
			var b strings.Builder
			for i, c := range cs {
				if c.s.Genuine {
					fmt.Fprintf(&b, " %s:%.1f@%.0f", c.s.Name, z[i], lags[i])
				}
			}
			t.Log(b.String())
		}
	}
}
