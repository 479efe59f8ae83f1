package pipeline

import (
	"math"
	"sort"
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

// AUC is the probability that a random positive scores above a random negative.
func AUC(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return 0
	}
	var s float64
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				s++
			case p == n:
				s += 0.5
			}
		}
	}
	return s / float64(len(pos)*len(neg))
}

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

func frac(v []float64, f func(float64) bool) float64 {
	if len(v) == 0 {
		return 0
	}
	n := 0
	for _, x := range v {
		if f(x) {
			n++
		}
	}
	return float64(n) / float64(len(v))
}
