package pipeline

import (
	"image"
	"math"
	"time"

	"github.com/faceverify/faceverify/media"
	"github.com/faceverify/faceverify/speech"
	"github.com/faceverify/faceverify/vision"
)

// lipOpening is the outer-lip opening (mean of five upper/lower outer lip point distances)
// divided by the mouth width (corner to corner), iBUG-68 indices 48–59.
func lipOpening(lm *[68]vision.Point) float64 {
	pairs := [][2]int{{49, 59}, {50, 58}, {51, 57}, {52, 56}, {53, 55}}
	var s float64
	for _, p := range pairs {
		s += dist(lm[p[0]], lm[p[1]])
	}
	w := dist(lm[48], lm[54])
	if w < 1 {
		return 0
	}
	return s / float64(len(pairs)) / w
}

func dist(a, b vision.Point) float64 {
	return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
}

// mouthBox is the box around the lips, enlarged by a third of the mouth width.
func mouthBox(lm *[68]vision.Point) [4]float32 {
	x0, y0, x1, y1 := lm[48].X, lm[48].Y, lm[48].X, lm[48].Y
	for i := 48; i < 68; i++ {
		p := lm[i]
		x0, y0 = min(x0, p.X), min(y0, p.Y)
		x1, y1 = max(x1, p.X), max(y1, p.Y)
	}
	m := (x1 - x0) / 3
	return [4]float32{x0 - m, y0 - m, x1 + m, y1 + m}
}

// meanAbsDiff is the mean absolute difference of grey levels of a and b inside box
// (sampled on a grid of at most 32×32 points).
func meanAbsDiff(a, b *image.RGBA, box [4]float32) float64 {
	r := a.Rect
	x0, y0 := max(int(box[0]), r.Min.X), max(int(box[1]), r.Min.Y)
	x1, y1 := min(int(box[2]), r.Max.X-1), min(int(box[3]), r.Max.Y-1)
	if x1-x0 < 4 || y1-y0 < 4 || b.Rect != r {
		return math.NaN()
	}
	stepX, stepY := max(1, (x1-x0)/32), max(1, (y1-y0)/32)
	var s float64
	var n int
	for y := y0; y < y1; y += stepY {
		for x := x0; x < x1; x += stepX {
			i := a.PixOffset(x, y)
			ga := 299*int(a.Pix[i]) + 587*int(a.Pix[i+1]) + 114*int(a.Pix[i+2])
			gb := 299*int(b.Pix[i]) + 587*int(b.Pix[i+1]) + 114*int(b.Pix[i+2])
			d := ga - gb
			if d < 0 {
				d = -d
			}
			s += float64(d) / 1000
			n++
		}
	}
	return s / float64(n)
}

// bandpass keeps 300–3400 Hz (two RBJ biquads: high-pass then low-pass, Q=0.707) of 16
// kHz PCM, as float64.
func bandpass(pcm []int16) []float64 {
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v)
	}
	biquad(x, 300, media.SampleRate, true)
	biquad(x, 300, media.SampleRate, true)
	biquad(x, 3400, media.SampleRate, false)
	biquad(x, 3400, media.SampleRate, false)
	return x
}

func biquad(x []float64, f0 float64, fs float64, high bool) {
	w0 := 2 * math.Pi * f0 / fs
	alpha := math.Sin(w0) / (2 * 0.7071)
	cw := math.Cos(w0)
	var b0, b1, b2 float64
	if high {
		b0, b1, b2 = (1+cw)/2, -(1 + cw), (1+cw)/2
	} else {
		b0, b1, b2 = (1-cw)/2, 1-cw, (1-cw)/2
	}
	a0, a1, a2 := 1+alpha, -2*cw, 1-alpha
	b0, b1, b2, a1, a2 = b0/a0, b1/a0, b2/a0, a1/a0, a2/a0
	var x1, x2, y1, y2 float64
	for i, v := range x {
		y := b0*v + b1*x1 + b2*x2 - a1*y1 - a2*y2
		x2, x1 = x1, v
		y2, y1 = y1, y
		x[i] = y
	}
}

// peakDB is the level of the loudest window of n samples, dBFS.
func peakDB(x []float64, n int) float64 {
	if len(x) < n || n <= 0 {
		return -120
	}
	var s, best float64
	for i, v := range x {
		s += v * v
		if i >= n {
			s -= x[i-n] * x[i-n]
		}
		if i >= n-1 && s > best {
			best = s
		}
	}
	r := math.Sqrt(best / float64(n))
	if r < 1e-3 {
		return -120
	}
	return 20 * math.Log10(r/32768)
}

// energyTrack gives log band energy of a window centred on any clip time.
type energyTrack struct {
	cum   []float64 // prefix sums of squares
	start time.Duration
	win   int
}

func newEnergyTrack(band []float64, start time.Duration, win int) *energyTrack {
	cum := make([]float64, len(band)+1)
	for i, v := range band {
		cum[i+1] = cum[i] + v*v
	}
	return &energyTrack{cum: cum, start: start, win: win}
}

func (e *energyTrack) at(t time.Duration) float64 {
	c := int(math.Round((t - e.start).Seconds() * media.SampleRate))
	a, b := c-e.win/2, c+e.win/2
	a = max(0, min(a, len(e.cum)-1))
	b = max(0, min(b, len(e.cum)-1))
	if b <= a {
		return math.Log(1)
	}
	return math.Log((e.cum[b]-e.cum[a])/float64(b-a) + 1)
}

// Lag window of the sync search: the mouth leads the sound (measured +20…+100 ms on the
// real clips); a little slack either side for container and camera delays.
const (
	minLag = -80 * time.Millisecond
	maxLag = 200 * time.Millisecond
)

type syncResult struct {
	mouthStd  float64
	z, r      float64 // combined score and landmark correlation at the chosen lag
	lmZ, pixZ float64
	lagMS     float64
	inWords   float64 // mouth pixel motion during recognised words / overall
}

// syncScores measures how lips and voice move together. For consecutive frames with a
// face it correlates the change of lip opening with the change of band log energy, and
// mouth-region pixel motion with the size of the energy change, over lags of −80…+200
// ms (audio later than video is positive); each correlation becomes a Fisher z·√(n−3).
// The landmark z at the best lag is the sync score; the pixel z is reported beside it.
func syncScores(clip *media.Clip, track []frameFace, band []float64, sres speech.Result) syncResult {
	var res syncResult
	var ops []float64
	for _, f := range track {
		if f.ok {
			ops = append(ops, f.opening)
		}
	}
	res.mouthStd = std(ops)
	fps := clip.FPS
	win := int(media.SampleRate / fps)
	et := newEnergyTrack(band, clip.AudioStart, win)
	type pair struct {
		t0, t1   time.Duration
		dO, mPix float64
	}
	var ps []pair
	for i := 1; i < len(track); i++ {
		a, b := track[i-1], track[i]
		if !a.ok || !b.ok || math.IsNaN(b.mouthMv) {
			continue
		}
		ps = append(ps, pair{a.t, b.t, b.opening - a.opening, b.mouthMv})
	}
	n := len(ps)
	if n < 8 {
		return res
	}
	best := math.Inf(-1)
	for lag := minLag; lag <= maxLag; lag += 20 * time.Millisecond {
		dO := make([]float64, n)
		mp := make([]float64, n)
		dE := make([]float64, n)
		aE := make([]float64, n)
		for k, p := range ps {
			d := et.at(p.t1+lag) - et.at(p.t0+lag)
			dO[k], mp[k], dE[k], aE[k] = p.dO, p.mPix, d, math.Abs(d)
		}
		rl := pearson(dO, dE)
		rp := pearson(mp, aE)
		zl, zp := fisherZ(rl, n), fisherZ(rp, n)
		z := zl // the landmark cue decides; pixel motion is reported (see docs/liveness.md)
		if z > best {
			best = z
			res.z, res.r, res.lmZ, res.pixZ, res.lagMS = z, rl, zl, zp, float64(lag.Milliseconds())
		}
	}
	// Mouth activity while the recogniser heard words, relative to the whole clip.
	if len(sres.Words) > 0 {
		var in, all []float64
		for i := 1; i < len(track); i++ {
			f := track[i]
			if !f.ok || math.IsNaN(f.mouthMv) {
				continue
			}
			all = append(all, f.mouthMv)
			for _, w := range sres.Words {
				s, e := clip.AudioStart+w.Start, clip.AudioStart+w.End
				if f.t >= s && f.t <= e {
					in = append(in, f.mouthMv)
					break
				}
			}
		}
		if m := mean(all); m > 0 && len(in) > 0 {
			res.inWords = mean(in) / m
		}
	}
	return res
}

func fisherZ(r float64, n int) float64 {
	r = math.Max(-0.999, math.Min(0.999, r))
	if n <= 3 {
		return 0
	}
	return math.Atanh(r) * math.Sqrt(float64(n-3))
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	if n < 3 {
		return 0
	}
	ma, mb := mean(a), mean(b)
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa <= 0 || sbb <= 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

func std(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	m := mean(v)
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)-1))
}
