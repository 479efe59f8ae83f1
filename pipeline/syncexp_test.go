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

// losoExp: LOSO fusion of the columns feats (per clip), class-balanced ridge logistic.
func losoExp(cs []expClip, feats [][]float64, lambda float64) expFig {
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
	return expFigOf(cs, prob)
}

// expFig: LOSO AUC, EER and APCER at BPCER ≤ 5 % (threshold: the second-lowest genuine score).
type expFig struct{ auc, eer, ap5 float64 }

func (f expFig) String() string {
	return fmt.Sprintf("%.3f/%.1f/%.1f", f.auc, 100*f.eer, 100*f.ap5)
}

func expFigOf(cs []expClip, score []float64) expFig {
	pos, neg := expSplit(cs, score)
	e, _ := EER(pos, neg)
	s := append([]float64(nil), pos...)
	sort.Float64s(s)
	t := s[int(math.Floor(0.05*float64(len(s))+1e-9))]
	return expFig{AUC(pos, neg), e, frac(neg, func(v float64) bool { return v >= t })}
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
	t.Logf("%-12s single %v   base3 LOSO AUC/EER/APCER@BPCER≤5 %v", "baseline", expFigOf(cs, base[2]), losoExp(cs, mk(base...), 0.5))
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
				t.Logf("set %-40s LOSO AUC/EER/APCER@BPCER≤5 %v", set, losoExp(cs, mk(cols...), lam))
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
		t.Logf("%-12s single %v  +base3 %v  onset,joint,v %v  onset,v %v", n, expFigOf(cs, z),
			losoExp(cs, mk(base[0], base[1], base[2], z), 0.5), losoExp(cs, mk(base[0], base[1], z), 0.5), losoExp(cs, mk(base[0], z), 0.5))
		if os.Getenv("SYNCEXP_NULLDIAG") != "" {
			t.Logf("  %s", nullDiag(cs, z))
		}
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

// nullDiag: the attacks' z (dubbed and shifted, past the gates) by clip length — mean, sd and
// share ≥ 1.65 (N(0, 1): 5 %) — and the genuine clips' mean z, to check the null's calibration.
func nullDiag(cs []expClip, z []float64) string {
	var b strings.Builder
	for _, r := range [][2]float64{{0, 3.5}, {3.5, 6}, {6, 30}} {
		var att, gen []float64
		for i, c := range cs {
			if expGated(c.s) || c.s.Duration < r[0] || c.s.Duration >= r[1] {
				continue
			}
			if c.s.Genuine {
				gen = append(gen, z[i])
			} else if strings.HasPrefix(c.s.Kind, "dub") || c.s.Kind == "shift" {
				att = append(att, z[i])
			}
		}
		fmt.Fprintf(&b, " %.1f–%.1f s: attacks n %d mean %.2f sd %.2f ≥1.65 %.2f; genuine n %d mean %.2f;", r[0], r[1], len(att), mean(att), std(att),
			frac(att, func(v float64) bool { return v >= 1.65 }), len(gen), mean(gen))
	}
	return b.String()
}
