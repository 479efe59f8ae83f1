package pipeline

// Session-7 lip-sync cues (docs/liveness.md, "Lips and voice"): the per-word contrast and the
// audio-visual offset search. Both are calibrated against the clip's own circular-shift null
// like every other cue (nullScores).

import (
	"math"
	"time"
)

// jointFrames are the frames usable by a joint cue: those with a face, inside the audio and
// valid in every mouth signal; base is each one's audio grid position (no lag, no shift) and
// mvs the mouth signals over them, standardised (a constant signal is all zeros).
func jointFrames(ms *mouthSeries, audioStart time.Duration, mouth [][]float64, na int) (base []int, mvs [][]float64) {
	var rows [][]float64
	for i, t := range ms.t {
		if !ms.ok[i] {
			continue
		}
		k := int(math.Round(float64(t-audioStart) / float64(audioStep)))
		bad := k < 0 || k >= na
		for _, m := range mouth {
			if math.IsNaN(m[i]) {
				bad = true
			}
		}
		if bad {
			continue
		}
		row := make([]float64, len(mouth))
		for j, m := range mouth {
			row[j] = m[i]
		}
		base = append(base, k)
		rows = append(rows, row)
	}
	n := len(base)
	mvs = make([][]float64, len(mouth))
	for j := range mouth {
		mv := make([]float64, n)
		for i := range mv {
			mv[i] = rows[i][j]
		}
		mm, sd := mean(mv), std(mv)
		for i := range mv {
			if sd > 0 {
				mv[i] = (mv[i] - mm) / sd
			} else {
				mv[i] = 0
			}
		}
		mvs[j] = mv
	}
	return base, mvs
}

// jointStart begins a joint cue on the frames of jointFrames: c.N is their number, and ok is
// false (c to be returned as it is) with fewer than 20 audio steps or 10 frames.
func jointStart(ms *mouthSeries, audioStart time.Duration, mouth, audio [][]float64) (c cue, na int, base []int, mvs [][]float64, ok bool) {
	na = len(audio[0])
	if na < 20 {
		return c, na, nil, nil, false
	}
	base, mvs = jointFrames(ms, audioStart, mouth, na)
	c.N = len(base)
	return c, na, base, mvs, c.N >= 10
}

// audioAt is the audio grid position of a frame at grid position k, lag l and circular
// shift, on the time-reversed audio when rev.
func audioAt(k, l, shift, na int, rev bool) int {
	p := (k + l + shift) % na
	if p < 0 {
		p += na
	}
	if rev {
		p = na - 1 - p
	}
	return p
}

// calibrateStat sets c's R and LagMS from stat (the statistic and its best lag, in ms) on the
// audio as it is, and calibrates R against the clip's null of the same statistic over the
// circularly shifted and time-reversed audio (nullScores).
func calibrateStat(c *cue, na int, stat func(rev bool, shift int) (float64, float64)) {
	c.R, c.LagMS = stat(false, 0)
	calibrateNull(c, nullScores(na, func(reversed bool, shift int) float64 {
		r, _ := stat(reversed, shift)
		return r
	}))
}

// bestOverLags is the largest value of f over the lags lo…hi, 20 ms apart (f takes the lag
// in audio grid steps; ok false: no value at that lag), with its lag in ms (0, 0: none).
func bestOverLags(lo, hi time.Duration, f func(l int) (v float64, ok bool)) (best, lagMS float64) {
	best = math.Inf(-1)
	for lag := lo; lag <= hi; lag += 20 * time.Millisecond {
		if v, ok := f(int(lag / audioStep)); ok && v > best {
			best, lagMS = v, float64(lag.Milliseconds())
		}
	}
	if math.IsInf(best, -1) {
		best = 0
	}
	return best, lagMS
}

// calibrateNull sets c's Z and Pct from R and the null scores (the null's spread at least
// 0.02: a near-constant null must not make any R look certain).
func calibrateNull(c *cue, null []float64) {
	c.Shifts = len(null)
	if len(null) < 3 {
		return
	}
	nm, nsd := mean(null), math.Max(std(null), 0.02)
	c.Z = (c.R - nm) / nsd
	below := 0
	for _, r := range null {
		if r < c.R {
			below++
		}
	}
	c.Pct = float64(below) / float64(len(null))
}

// ---------------------------------------------------------------------------------------
// Per-word contrast

// wordSegments labels the audio grid with spoken-word segments (−1 outside any): the
// recogniser's words when it gave at least minWords of them, else the voice-activity
// segments; each widened by segPad either side (the lips open before the sound and close
// after it). Segments shorter than segMin are dropped.
func wordSegments(au *audioSeries, words [][2]time.Duration, useWords bool) []int {
	n := len(au.energy)
	seg := make([]int, n)
	for k := range seg {
		seg[k] = -1
	}
	spans := au.segs
	if useWords && len(words) >= minWords {
		spans = words
	}
	id := 0
	for _, s := range spans {
		if s[1]-s[0] < segMin {
			continue
		}
		lo := max(0, int((s[0]-segPad)/audioStep))
		hi := min(n, int((s[1]+segPad)/audioStep))
		if hi <= lo {
			continue
		}
		for k := lo; k < hi; k++ {
			seg[k] = id
		}
		id++
	}
	return seg
}

const (
	segPad   = 80 * time.Millisecond
	segMin   = 120 * time.Millisecond
	minWords = 2
)

// calibratedSegJoint is the per-word contrast: for every (mouth, audio) pair, the Pearson
// correlation of mouth and sound inside each word segment (seg, on the audio grid and
// shifted with the audio), combined as Σ r·√n / √(pairs·segments) at one common lag, the
// best lag taken; calibrated against the clip's circular-shift null. Inside a word the
// speech-vs-pause level is gone: what is left is whether the mouth opens and closes with
// that word's syllables, which a dub's timing does not give.
func calibratedSegJoint(ms *mouthSeries, audioStart time.Duration, mouth, audio [][]float64, seg []int, lo, hi time.Duration) cue {
	if len(seg) != len(audio[0]) {
		return cue{}
	}
	c, na, base, mvs, ok := jointStart(ms, audioStart, mouth, audio)
	if !ok {
		return c
	}
	nseg := 0
	for _, s := range seg {
		nseg = max(nseg, s+1)
	}
	if nseg == 0 {
		return c
	}
	type acc struct{ n, sx, sy, sxx, syy, sxy float64 }
	accs := make([]acc, nseg)
	best := func(rev bool, shift int) (float64, float64) {
		return bestOverLags(lo, hi, func(l int) (float64, bool) {
			var sum float64
			var cnt int
			for j, a := range audio {
				for s := range accs {
					accs[s] = acc{}
				}
				for q, k := range base {
					p := audioAt(k, l, shift, na, rev)
					s := seg[p]
					if s < 0 {
						continue
					}
					x, y := mvs[j][q], a[p]
					e := &accs[s]
					e.n++
					e.sx += x
					e.sy += y
					e.sxx += x * x
					e.syy += y * y
					e.sxy += x * y
				}
				for _, e := range accs {
					if e.n < 4 {
						continue
					}
					vx := e.sxx - e.sx*e.sx/e.n
					vy := e.syy - e.sy*e.sy/e.n
					cnt++
					if vx <= 1e-12 || vy <= 1e-12 {
						continue
					}
					r := (e.sxy - e.sx*e.sy/e.n) / math.Sqrt(vx*vy)
					sum += r * math.Sqrt(e.n)
				}
			}
			if cnt == 0 {
				return 0, false
			}
			return sum / math.Sqrt(float64(cnt)), true
		})
	}
	calibrateStat(&c, na, best)
	return c
}

// ---------------------------------------------------------------------------------------
// Audio-visual offset search

// audioFrames fills av with the audio series a at the mouth frames base (lag l, circular
// shift shift, reversed if rev) and returns its mean and standard deviation.
func audioFrames(av, a []float64, base []int, l, shift, na int, rev bool) (am, as float64) {
	for q, k := range base {
		av[q] = a[audioAt(k, l, shift, na, rev)]
	}
	return mean(av), std(av)
}

// jointProfile is the joint statistic of calibratedJoint (the pairs' correlations summed)
// at every lag of lags (audio grid steps), for the audio circularly shifted by shift.
func jointProfile(base []int, mvs, audio [][]float64, lags []int, shift int, rev bool, out []float64) {
	na := len(audio[0])
	n := len(base)
	av := make([]float64, n)
	for li, l := range lags {
		var sum float64
		for j, a := range audio {
			am, as := audioFrames(av, a, base, l, shift, na, rev)
			if as == 0 {
				continue
			}
			var s float64
			for q := range av {
				s += mvs[j][q] * (av[q] - am)
			}
			sum += s / as / float64(n-1)
		}
		out[li] = sum
	}
}

// Offset search: lags of the wide search (audio later than video positive) and the margin
// around the plausible window [minLag, maxLag] that belongs to neither side.
const (
	offSearch = 800 * time.Millisecond
	offGuard  = 120 * time.Millisecond
	offStep   = 40 * time.Millisecond
)

// calibratedOffset is the audio-visual offset search: the joint statistic over a wide range
// of lags (±offSearch); the cue is its best value inside the plausible window [lo, hi]
// minus its best value outside it (offGuard away). A genuine clip peaks inside the window;
// the victim's own sound played late or early peaks outside; a dub has no peak. Calibrated
// against the clip's circular-shift null.
func calibratedOffset(ms *mouthSeries, audioStart time.Duration, mouth, audio [][]float64, lo, hi time.Duration) cue {
	var lags []int
	var in []bool
	for lag := -offSearch; lag <= offSearch; lag += offStep {
		inside := lag >= lo && lag <= hi
		if !inside && lag > lo-offGuard && lag < hi+offGuard {
			continue
		}
		lags = append(lags, int(lag/audioStep))
		in = append(in, inside)
	}
	return calibratedLags(ms, audioStart, mouth, audio, lags, func(prof []float64) (float64, float64) {
		bi, bo := math.Inf(-1), math.Inf(-1)
		lag := 0.0
		for i, v := range prof {
			if in[i] {
				if v > bi {
					bi, lag = v, float64(lags[i])*audioStep.Seconds()*1000
				}
			} else {
				bo = math.Max(bo, v)
			}
		}
		if math.IsInf(bi, -1) || math.IsInf(bo, -1) {
			return 0, 0
		}
		return bi - bo, lag
	})
}

// calibratedLags is the joint statistic of the (mouth, audio) pairs at each of lags (audio
// grid steps; jointProfile), reduced by stat to a value and its lag in ms, and calibrated
// against the clip's circular-shift null (calibrateStat).
func calibratedLags(ms *mouthSeries, audioStart time.Duration, mouth, audio [][]float64, lags []int, stat func(prof []float64) (float64, float64)) cue {
	c, na, base, mvs, ok := jointStart(ms, audioStart, mouth, audio)
	if !ok {
		return c
	}
	prof := make([]float64, len(lags))
	calibrateStat(&c, na, func(rev bool, shift int) (float64, float64) {
		jointProfile(base, mvs, audio, lags, shift, rev, prof)
		return stat(prof)
	})
	return c
}

// ---------------------------------------------------------------------------------------
// Several mouth signals at once

// calibratedReg is the multiple correlation of each audio signal with a ridge regression on
// all the mouth signals together (R = √(cᵀ(C + ridge·I)⁻¹c), C the mouth signals'
// correlation matrix, c their correlations with the sound), summed over the audio signals at
// one common lag, the best lag taken; calibrated against the clip's circular-shift null,
// which pays for the regression's extra freedom alike. Which mix of opening, pixel change and
// eigenlips goes with the sound differs from face to face; the regression finds it per clip.
func calibratedReg(ms *mouthSeries, audioStart time.Duration, mouth, audio [][]float64, lo, hi time.Duration, ridge float64) cue {
	c, na, base, mvs, ok := jointStart(ms, audioStart, mouth, audio)
	n, p := len(base), len(mvs)
	if !ok || p == 0 {
		return c
	}
	g := make([][]float64, p)
	for a := range g {
		g[a] = make([]float64, p)
		for b := range g[a] {
			var s float64
			for q := 0; q < n; q++ {
				s += mvs[a][q] * mvs[b][q]
			}
			g[a][b] = s / float64(n-1)
		}
		g[a][a] += ridge
	}
	inv := make([][]float64, p) // columns of (C + ridge·I)⁻¹
	for a := range inv {
		e := make([]float64, p)
		e[a] = 1
		inv[a] = solve(g, e)
		if inv[a] == nil {
			return c
		}
	}
	av := make([]float64, n)
	cv := make([]float64, p)
	stat := func(rev bool, shift int) (float64, float64) {
		return bestOverLags(lo, hi, func(l int) (float64, bool) {
			var sum float64
			for _, a := range audio {
				am, as := audioFrames(av, a, base, l, shift, na, rev)
				if as == 0 {
					continue
				}
				for j := range cv {
					var s float64
					for q := range av {
						s += mvs[j][q] * (av[q] - am)
					}
					cv[j] = s / as / float64(n-1)
				}
				var r2 float64
				for a := 0; a < p; a++ {
					for b := 0; b < p; b++ {
						r2 += cv[a] * inv[b][a] * cv[b]
					}
				}
				sum += math.Sqrt(math.Max(0, r2))
			}
			return sum, true
		})
	}
	calibrateStat(&c, na, stat)
	return c
}
