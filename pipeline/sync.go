package pipeline

// Lip-voice sync (docs/liveness.md, "Lips and voice").
//
// Every cue is a correlation between one mouth signal (per analysed frame) and one audio
// signal (on a 10 ms grid), maximised over a small window of lags. Its raw value means little
// on its own: it depends on the clip's length, frame rate, speaking style and noise. So each
// cue is calibrated against the same clip's own null distribution: the same statistic with the
// audio circularly shifted by at least a second (many shifts). The z of the true alignment
// against that null ("how unlikely is this alignment by chance, for this clip") is what the
// fused decision uses; a dubbed clip's z is a draw from its null whatever its length.

import (
	"image"
	"math"
	"sort"
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

// SyncBandLow is the lower edge of the sound the lip-sync cues read: the 300–3400 Hz band
// high-passed again at 1 kHz (two more RBJ biquads), i.e. ≈ 1–3.4 kHz — the second-formant
// region, whose envelope follows the lip opening more closely than the low band's, which
// the voicing (vowel energy whatever the lips do) dominates. Chosen on the dev folds
// (leave-one-speaker-out) among ten bands (docs/liveness.md).
const SyncBandLow = 1000

// syncBand is the band the lip-sync cues read (SyncBandLow), from the 300–3400 Hz band.
func syncBand(band []float64) []float64 {
	x := append([]float64(nil), band...)
	biquad(x, SyncBandLow, media.SampleRate, true)
	biquad(x, SyncBandLow, media.SampleRate, true)
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

// ---------------------------------------------------------------------------------------
// Mouth evidence

// Mouth crop: a grey patch sampled from the full frame in a coordinate frame set by the two
// (temporally smoothed) mouth corners, so head motion and scale do not change it. The corners
// sit at (cropW/4, cropH/2) and (3·cropW/4, cropH/2): the crop is two mouth widths wide.
const (
	cropW = 48
	cropH = 32
)

// mouthSeries is the mouth evidence of the analysed frames (one entry per clip frame).
type mouthSeries struct {
	t        []time.Duration
	ok       []bool      // a face with landmarks on this frame
	lmOpen   []float64   // landmark lip opening / mouth width, smoothed
	pxOpen   []float64   // dark share of the inner mouth crop (lip gap / cavity), smoothed
	motion   []float64   // mean abs grey change of the aligned crop vs the previous frame, smoothed
	motionIn []float64   // the same inside the lips region only (between the corners, ±1/3 width)
	motionLo []float64   // the same below the corner line only (lower lip and jaw), between the corners
	rise     []float64   // positive change of pxOpen + lmOpen (mouth opening), for onsets
	flowOpen []float64   // opening speed of the lips by optical flow (lipFlow, > 0 part), smoothed
	gap      []float64   // lip gap height from the crop's vertical profile (lipGap), smoothed
	pcs      [][]float64 // the first principal components of the crop sequence ("eigenlips"), smoothed
	fps      float64
}

// mouthInput is the per-frame input of the mouth evidence: what the face track and the
// frames give, before any cue. Kept apart so the dev tooling can store it (SyncInput) and
// re-score a clip without its models.
type mouthInput struct {
	T     []time.Duration
	OK    []bool      // a face with landmarks on this frame
	Open  []float64   // landmark lip opening / mouth width (0 without a face)
	Crops [][]float32 // landmark-aligned grey mouth crop, cropW×cropH (nil without one)
	FPS   float64
}

// mouthCrops reads the mouth input from the face track and the frames.
func mouthCrops(clip *media.Clip, track []frameFace) mouthInput {
	n := len(track)
	mi := mouthInput{T: make([]time.Duration, n), OK: make([]bool, n), Open: make([]float64, n), Crops: make([][]float32, n), FPS: clip.FPS}
	if mi.FPS <= 0 {
		mi.FPS = 8
	}
	for i, f := range track {
		mi.T[i] = f.t
		mi.OK[i] = f.ok
		if f.ok {
			mi.Open[i] = f.opening
		}
	}
	half := cornerHalf(mi.FPS)
	at := func(j int) *frameFace { return &track[j] }
	for i := range track {
		switch {
		case !mi.OK[i]:
		case track[i].cropped: // the stream's crop, from the same corners and pixels
			mi.Crops[i] = track[i].crop
		default:
			xl, yl, xr, yr := mouthCorners(n, at, i, half)
			mi.Crops[i] = mouthCrop(clip.Frames[i].Img, xl, yl, xr, yr)
		}
	}
	return mi
}

// cornerHalf is how many frames each side the mouth corners are averaged over: ±70 ms.
func cornerHalf(fps float64) int { return int(math.Round(0.07 * fps)) }

// mouthCorners is frame i's mouth corners (landmarks 48 and 54) averaged over the frames
// with a face within half frames of it; at(j) is frame j's track entry, of n.
func mouthCorners(n int, at func(int) *frameFace, i, half int) (xl, yl, xr, yr float64) {
	var c float64
	for j := max(0, i-half); j <= min(n-1, i+half); j++ {
		if f := at(j); f.ok {
			lm := &f.face.Landmarks
			xl, yl = xl+float64(lm[48].X), yl+float64(lm[48].Y)
			xr, yr = xr+float64(lm[54].X), yr+float64(lm[54].Y)
			c++
		}
	}
	return xl / c, yl / c, xr / c, yr / c
}

// mouthEvidence extracts the mouth series from the mouth input.
func mouthEvidence(mi *mouthInput) mouthSeries {
	n := len(mi.T)
	ms := mouthSeries{t: mi.T, ok: mi.OK, lmOpen: nanSlice(n),
		pxOpen: nanSlice(n), motion: nanSlice(n), motionIn: nanSlice(n), motionLo: nanSlice(n), rise: nanSlice(n),
		gap: nanSlice(n), fps: mi.FPS}
	crops := make([][]float64, n)
	for i := range crops {
		if mi.OK[i] {
			ms.lmOpen[i] = mi.Open[i]
		}
		if c := mi.Crops[i]; c != nil {
			crops[i] = make([]float64, len(c))
			for k, v := range c {
				crops[i][k] = float64(v)
			}
		}
	}
	for i := range crops {
		c := crops[i]
		if c == nil {
			continue
		}
		ms.pxOpen[i] = innerDark(c)
		ms.gap[i] = lipGap(c)
		if i > 0 && crops[i-1] != nil {
			var s float64
			for k := range c {
				s += math.Abs(c[k] - crops[i-1][k])
			}
			ms.motion[i] = s / float64(len(c))
			var si float64
			var ni int
			for y := cropH/2 - cropH/4; y < cropH/2+cropH/4; y++ {
				for x := cropW / 4; x < 3*cropW/4; x++ {
					si += math.Abs(c[y*cropW+x] - crops[i-1][y*cropW+x])
					ni++
				}
			}
			ms.motionIn[i] = si / float64(ni)
			var sl float64
			for y := cropH / 2; y < cropH; y++ {
				for x := cropW / 4; x < 3*cropW/4; x++ {
					sl += math.Abs(c[y*cropW+x] - crops[i-1][y*cropW+x])
				}
			}
			ms.motionLo[i] = sl / float64(cropH/2*cropW/2)
		}
	}
	ms.flowOpen = lipFlow(crops)
	for i, v := range ms.flowOpen {
		ms.flowOpen[i] = math.Max(0, v) // NaN stays NaN
	}
	ms.pcs = eigenlips(crops, 3)
	for k := range ms.pcs {
		ms.pcs[k] = smoothNaN(ms.pcs[k], 0.05*ms.fps)
	}
	// Smoothing matched to the frame rate: a Gaussian of σ = 50 ms in frames.
	ms.lmOpen = smoothNaN(ms.lmOpen, 0.05*ms.fps)
	ms.pxOpen = smoothNaN(ms.pxOpen, 0.05*ms.fps)
	ms.motion = smoothNaN(ms.motion, 0.05*ms.fps)
	ms.motionIn = smoothNaN(ms.motionIn, 0.05*ms.fps)
	ms.motionLo = smoothNaN(ms.motionLo, 0.05*ms.fps)
	ms.flowOpen = smoothNaN(ms.flowOpen, 0.05*ms.fps)
	ms.gap = smoothNaN(ms.gap, 0.05*ms.fps)
	lz, pz := standardise(ms.lmOpen), standardise(ms.pxOpen)
	for i := 1; i < n; i++ {
		d := 0.0
		k := 0
		if !math.IsNaN(lz[i]) && !math.IsNaN(lz[i-1]) {
			d += lz[i] - lz[i-1]
			k++
		}
		if !math.IsNaN(pz[i]) && !math.IsNaN(pz[i-1]) {
			d += pz[i] - pz[i-1]
			k++
		}
		if k > 0 {
			ms.rise[i] = math.Max(0, d)
		}
	}
	return ms
}

// eigenlips returns the time series of the first k principal components of the mouth crops
// (2×2 binned, each crop normalised to zero mean), NaN where a frame has no crop. Their
// dominant modes are the opening and closing of the lips; which mode and which sign goes
// with the sound is not known in advance, so the cue takes the best of them (and the null
// does the same).
func eigenlips(crops [][]float64, k int) [][]float64 {
	var rows [][]float64
	var at []int
	const bw, bh = cropW / 2, cropH / 2
	for i, c := range crops {
		if c == nil {
			continue
		}
		r := make([]float64, bw*bh)
		for y := 0; y < cropH; y++ {
			for x := 0; x < cropW; x++ {
				r[(y/2)*bw+x/2] += c[y*cropW+x] / 4
			}
		}
		m := mean(r)
		for j := range r {
			r[j] -= m
		}
		rows = append(rows, r)
		at = append(at, i)
	}
	out := make([][]float64, k)
	for j := range out {
		out[j] = nanSlice(len(crops))
	}
	n := len(rows)
	if n < 10 {
		return out
	}
	d := len(rows[0])
	colMean := make([]float64, d)
	for _, r := range rows {
		for j, v := range r {
			colMean[j] += v / float64(n)
		}
	}
	for _, r := range rows {
		for j := range r {
			r[j] -= colMean[j]
		}
	}
	g := make([][]float64, n) // Gram matrix of the frames
	for a := 0; a < n; a++ {
		g[a] = make([]float64, n)
	}
	for a := 0; a < n; a++ {
		for b := a; b < n; b++ {
			var s float64
			ra, rb := rows[a], rows[b]
			for j := range ra {
				s += ra[j] * rb[j]
			}
			g[a][b], g[b][a] = s, s
		}
	}
	for c := 0; c < k; c++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = 1 + 0.01*float64(i%7)
		}
		var lambda float64
		for it := 0; it < 60; it++ {
			w := make([]float64, n)
			for a := 0; a < n; a++ {
				var s float64
				for b := 0; b < n; b++ {
					s += g[a][b] * v[b]
				}
				w[a] = s
			}
			var nrm float64
			for _, x := range w {
				nrm += x * x
			}
			nrm = math.Sqrt(nrm)
			if nrm == 0 {
				break
			}
			for a := range w {
				w[a] /= nrm
			}
			lambda, v = nrm, w
		}
		for i, f := range at {
			out[c][f] = v[i]
		}
		for a := 0; a < n; a++ { // deflate
			for b := 0; b < n; b++ {
				g[a][b] -= lambda * v[a] * v[b]
			}
		}
	}
	return out
}

// mouthCrop samples the grey cropW×cropH patch whose horizontal axis runs through the mouth
// corners (xl,yl)-(xr,yr). nil when the mouth is too small or leaves the frame.
func mouthCrop(img *image.RGBA, xl, yl, xr, yr float64) []float32 {
	dx, dy := xr-xl, yr-yl
	w := math.Hypot(dx, dy)
	if w < 6 || img == nil {
		return nil
	}
	// unit vectors along and across the mouth; one crop pixel = (2w/cropW) image pixels
	s := 2 * w / cropW
	ux, uy := dx/w*s, dy/w*s
	vx, vy := -uy, ux
	cx, cy := (xl+xr)/2, (yl+yr)/2
	b := img.Rect
	out := make([]float32, cropW*cropH)
	for j := 0; j < cropH; j++ {
		fj := float64(j) - cropH/2 + 0.5
		for i := 0; i < cropW; i++ {
			fi := float64(i) - cropW/2 + 0.5
			x := cx + fi*ux + fj*vx
			y := cy + fi*uy + fj*vy
			if x < float64(b.Min.X) || y < float64(b.Min.Y) || x > float64(b.Max.X-2) || y > float64(b.Max.Y-2) {
				return nil
			}
			out[j*cropW+i] = float32(greyAt(img, x, y))
		}
	}
	return out
}

// greyAt is the bilinear grey level (0–255) of img at (x, y).
func greyAt(img *image.RGBA, x, y float64) float64 {
	x0, y0 := int(x), int(y)
	fx, fy := x-float64(x0), y-float64(y0)
	g := func(x, y int) float64 {
		i := img.PixOffset(x, y)
		return 0.299*float64(img.Pix[i]) + 0.587*float64(img.Pix[i+1]) + 0.114*float64(img.Pix[i+2])
	}
	a, b := g(x0, y0), g(x0+1, y0)
	c, d := g(x0, y0+1), g(x0+1, y0+1)
	return (a*(1-fx)+b*fx)*(1-fy) + (c*(1-fx)+d*fx)*fy
}

// innerDark is the share of the inner mouth region (between the corners, ±⅓ mouth width
// around the corner line) that is clearly darker than the crop's bright skin level: the
// lip gap and the open cavity. Scale-free (grey levels relative to the crop's own range).
func innerDark(c []float64) float64 {
	s := append([]float64(nil), c...)
	sort.Float64s(s)
	lo, hi := s[len(s)/20], s[len(s)*4/5]
	if hi-lo < 4 {
		return 0
	}
	thr := lo + 0.4*(hi-lo)
	var dark, all float64
	for j := cropH/2 - cropH/6; j < cropH/2+cropH/6; j++ {
		for i := cropW/4 + 2; i < 3*cropW/4-2; i++ {
			all++
			if c[j*cropW+i] < thr {
				dark++
			}
		}
	}
	return dark / all
}

// ---------------------------------------------------------------------------------------
// Audio evidence, on a 10 ms grid from the start of the audio track.

const audioStep = 10 * time.Millisecond

type audioSeries struct {
	energy []float64          // log band energy over one frame interval, smoothed like the mouth
	vad    []float64          // 1 inside speech segments (voice activity), 0 in pauses
	words  []float64          // 1 inside the recogniser's words, 0 elsewhere (nil: no words)
	onset  []float64          // positive 50 ms rise of the energy
	change []float64          // |energy change| over ±20 ms (the sound changes when the lips move)
	segs   [][2]time.Duration // voice-activity segments
	spans  [][2]time.Duration // the recogniser's words (Start, End)
}

func audioEvidence(band []float64, fps float64, sres speech.Result) audioSeries {
	step := media.SampleRate * int(audioStep) / int(time.Second)
	n := len(band) / step
	var a audioSeries
	if n < 10 {
		return a
	}
	cum := make([]float64, len(band)+1)
	for i, v := range band {
		cum[i+1] = cum[i] + v*v
	}
	win := int(media.SampleRate / fps)
	a.energy = make([]float64, n)
	db := make([]float64, n)
	for k := 0; k < n; k++ {
		c := k*step + step/2
		lo, hi := max(0, c-win/2), min(len(band), c+win/2)
		e := 0.0
		if hi > lo {
			e = (cum[hi] - cum[lo]) / float64(hi-lo)
		}
		a.energy[k] = math.Log(e + 1)
		db[k] = 10 * math.Log10(e+1)
	}
	a.energy = smoothNaN(a.energy, 0.05/audioStep.Seconds())
	// Voice activity: above floor + 40 % of the floor→peak range (at least 6 dB over the
	// floor), gaps < 120 ms bridged, bursts < 60 ms dropped.
	s := append([]float64(nil), db...)
	sort.Float64s(s)
	floor, peak := s[len(s)/10], s[len(s)*97/100]
	thr := math.Max(floor+0.4*(peak-floor), floor+6)
	a.vad = make([]float64, n)
	for k, v := range db {
		if v > thr {
			a.vad[k] = 1
		}
	}
	fillRuns(a.vad, 0, 12)
	fillRuns(a.vad, 1, 6)
	for k := 0; k < n; {
		if a.vad[k] == 0 {
			k++
			continue
		}
		j := k
		for j < n && a.vad[j] == 1 {
			j++
		}
		a.segs = append(a.segs, [2]time.Duration{time.Duration(k) * audioStep, time.Duration(j) * audioStep})
		k = j
	}
	if len(sres.Words) > 0 {
		a.words = make([]float64, n)
		for _, w := range sres.Words {
			a.spans = append(a.spans, [2]time.Duration{w.Start, w.End})
			for k := max(0, int(w.Start/audioStep)); k < min(n, int(w.End/audioStep)+1); k++ {
				a.words[k] = 1
			}
		}
	}
	a.onset = make([]float64, n)
	a.change = make([]float64, n)
	for k := 5; k < n; k++ {
		a.onset[k] = math.Max(0, a.energy[k]-a.energy[k-5])
	}
	for k := 2; k+2 < n; k++ {
		a.change[k] = math.Abs(a.energy[k+2] - a.energy[k-2])
	}
	return a
}

// fillRuns sets runs of value v shorter than maxLen (not touching the ends) to 1−v.
func fillRuns(x []float64, v float64, maxLen int) {
	for k := 0; k < len(x); {
		if x[k] != v {
			k++
			continue
		}
		j := k
		for j < len(x) && x[j] == v {
			j++
		}
		if j-k < maxLen && k > 0 && j < len(x) {
			for i := k; i < j; i++ {
				x[i] = 1 - v
			}
		}
		k = j
	}
}

// ---------------------------------------------------------------------------------------
// Null-calibrated cues

// cue is one mouth/audio correlation and its calibration against the clip's own null.
type cue struct {
	R      float64 // best correlation over the lag window at the true alignment
	LagMS  float64 // lag of R (audio later than video is positive)
	Z      float64 // (R − null mean) / null std
	Pct    float64 // share of null shifts whose best correlation is below R (0–1)
	Shifts int     // null shifts used
	N      int     // frames used
}

// Null shifts: at least minNullShift away from the true alignment (or a third of the audio
// for clips shorter than 3 s), at most maxNullShifts of them, evenly spread.
const (
	minNullShift  = time.Second
	maxNullShifts = 200
	nullStep      = 40 * time.Millisecond
)

// calibrated computes the cue of mouth signal m (per frame) against audio signal a (10 ms
// grid) for lags in [lo, hi] at the true alignment and at circular shifts of the audio.
func calibrated(ms *mouthSeries, audioStart time.Duration, m, a []float64, lo, hi time.Duration) cue {
	return calibratedMax(ms, audioStart, [][]float64{m}, a, lo, hi)
}

// calibratedMax is calibrated for the best of several mouth signals (same frames), the max
// taken alike at the true alignment and at every null shift.
func calibratedMax(ms *mouthSeries, audioStart time.Duration, sigs [][]float64, a []float64, lo, hi time.Duration) cue {
	var c cue
	na := len(a)
	if na < 20 || len(sigs) == 0 {
		return c
	}
	var base []int // audio grid positions of the frames used (no lag, no shift)
	var cols [][]float64
	for i, t := range ms.t {
		if !ms.ok[i] {
			continue
		}
		bad := false
		for _, m := range sigs {
			if math.IsNaN(m[i]) {
				bad = true
			}
		}
		k := int(math.Round(float64(t-audioStart) / float64(audioStep)))
		if bad || k < 0 || k >= na {
			continue
		}
		base = append(base, k)
		row := make([]float64, len(sigs))
		for j, m := range sigs {
			row[j] = m[i]
		}
		cols = append(cols, row)
	}
	n := len(base)
	c.N = n
	if n < 10 {
		return c
	}
	// Mouth values centred and scaled once; the correlation is then a dot product over
	// the centred/scaled audio values.
	var mvs [][]float64
	for j := range sigs {
		mv := make([]float64, n)
		for i := range mv {
			mv[i] = cols[i][j]
		}
		mm, sd := mean(mv), std(mv)
		if sd == 0 {
			continue
		}
		for i := range mv {
			mv[i] = (mv[i] - mm) / sd
		}
		mvs = append(mvs, mv)
	}
	if len(mvs) == 0 {
		return c
	}
	lagStep := 20 * time.Millisecond
	rev := make([]float64, na)
	for k := range a {
		rev[k] = a[na-1-k]
	}
	av := make([]float64, n)
	best := func(a []float64, shift int) (float64, float64) {
		bestR, bestLag := math.Inf(-1), 0.0
		for lag := lo; lag <= hi; lag += lagStep {
			l := int(lag / audioStep)
			for j, k := range base {
				p := (k + l + shift) % na
				if p < 0 {
					p += na
				}
				av[j] = a[p]
			}
			am, as := mean(av), std(av)
			if as == 0 {
				continue
			}
			for _, mv := range mvs {
				var s float64
				for j := range av {
					s += mv[j] * (av[j] - am)
				}
				r := s / as / float64(n-1)
				if r > bestR {
					bestR, bestLag = r, float64(lag.Milliseconds())
				}
			}
		}
		if math.IsInf(bestR, -1) {
			bestR = 0
		}
		return bestR, bestLag
	}
	calibrateStat(&c, na, func(reversed bool, shift int) (float64, float64) {
		if reversed {
			return best(rev, shift)
		}
		return best(a, shift)
	})
	return c
}

// calibratedJoint sums the correlations of several (mouth, audio) pairs at one common lag
// (a genuine clip's cues agree on the lag; a chance alignment's do not), takes the best lag,
// and calibrates that against the clip's null like calibrated. Frames: those valid in every
// mouth signal.
func calibratedJoint(ms *mouthSeries, audioStart time.Duration, mouth, audio [][]float64, lo, hi time.Duration) cue {
	var lags []int
	var lagMS []float64
	for lag := lo; lag <= hi; lag += 20 * time.Millisecond {
		lags = append(lags, int(lag/audioStep))
		lagMS = append(lagMS, float64(lag.Milliseconds()))
	}
	return calibratedLags(ms, audioStart, mouth, audio, lags, func(prof []float64) (float64, float64) {
		bestS, bestLag := math.Inf(-1), 0.0
		for i, sum := range prof {
			if sum > bestS {
				bestS, bestLag = sum, lagMS[i]
			}
		}
		return bestS, bestLag
	})
}

// syncExtNames name the cues of extCues: jhp (session 5, in the model), then the session-7
// candidates (computed only with SyncCandidateCues; docs/liveness.md): wseg / wsegw, the
// per-word contrast on voice-activity segments / on the recogniser's words; off, the
// audio-visual offset search; reg / hreg, the ridge regression of the sound on every mouth
// signal (raw / high-passed).
var syncExtNames = []string{"jhp", "wseg", "wsegw", "off", "reg", "hreg"}

// SyncCandidateCues makes the lip-sync step compute the candidate cues of syncExtNames that
// the model does not use (their z is 0 otherwise, and they are not reported). Dev tooling
// only (synceval): they cost CPU the verdict does not need.
var SyncCandidateCues = false

// Band-limited joint cue: the pairs of joint_z with every series high-passed (its Gaussian
// smoothing of σ = jhpSigma removed, at any frame rate): speech-vs-pause level, lighting and
// head drift are gone and the syllable-rate changes (≈ 1–8 Hz) carry the correlation, so a
// clip has more independent stretches of evidence and its null is narrower. σ chosen among
// 0.15/0.25/0.4/0.6 s on the dev folds (docs/liveness.md). Since session 7 its crop change
// is measured below the corner line only (motionLo: lower lip and jaw — the upper lip hardly
// moves in speech), chosen on the dev folds among four crop regions. Since session 8 its
// five pairs are: lower-lip change vs energy and vs voice activity, opening rise vs energy
// rise, the lip gap height (lipGap, instead of the jittery landmark opening) vs energy, and
// the lips' opening speed by optical flow (lipFlow) vs energy rise — chosen on the dev folds
// among twelve pair sets (docs/liveness.md).
const jhpSigma = 0.4

// extCues are the cues added in session 5 and after (docs/liveness.md), in the order of
// syncExtNames; the candidates only with SyncCandidateCues.
func extCues(ms *mouthSeries, au *audioSeries, as time.Duration) []cue {
	hpm := func(x []float64) []float64 { return highpass(x, jhpSigma*ms.fps) }
	hpa := func(x []float64) []float64 { return highpass(x, jhpSigma/audioStep.Seconds()) }
	lo, energy, onset := hpm(ms.motionLo), hpa(au.energy), hpa(au.onset)
	hpMouth := [][]float64{lo, lo, hpm(ms.rise), hpm(ms.gap), hpm(ms.flowOpen)}
	hpAudio := [][]float64{energy, hpa(au.vad), onset, energy, onset}
	jhp := calibratedJoint(ms, as, hpMouth, hpAudio, minLag, maxLag)
	out := make([]cue, len(syncExtNames))
	out[0] = jhp
	if !SyncCandidateCues {
		return out
	}
	raw := [][]float64{ms.motion, ms.rise, ms.lmOpen, ms.pxOpen}
	rawA := [][]float64{au.energy, au.onset, au.energy, au.energy}
	out[1] = calibratedSegJoint(ms, as, raw, rawA, wordSegments(au, au.spans, false), minLag, maxLag)
	out[2] = calibratedSegJoint(ms, as, raw, rawA, wordSegments(au, au.spans, true), minLag, maxLag)
	out[3] = calibratedOffset(ms, as, hpMouth, hpAudio, minLag, maxLag)
	regM := [][]float64{ms.motion, ms.motionIn, ms.rise, ms.lmOpen, ms.pxOpen}
	regM = append(regM, ms.pcs...)
	var hregM [][]float64
	for _, m := range regM {
		hregM = append(hregM, hpm(m))
	}
	out[4] = calibratedReg(ms, as, regM, [][]float64{au.energy, au.onset}, minLag, maxLag, 0.3)
	out[5] = calibratedReg(ms, as, hregM, [][]float64{hpAudio[0], hpAudio[2]}, minLag, maxLag, 0.3)
	return out
}

// highpass is x minus its Gaussian smoothing of σ sigma samples (NaN stays NaN): the slow
// drift (lighting, head motion, speech vs pause) removed, the syllable-rate changes kept.
func highpass(x []float64, sigma float64) []float64 {
	lo := smoothNaN(x, sigma)
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] - lo[i]
	}
	return out
}

// syncResult is everything the lip-sync decision and the verdict's scores need.
type syncResult struct {
	mouthStd    float64 // std of the landmark lip opening (mouth still gate)
	mouthMotion float64 // median aligned-crop change, grey levels a frame (mouth still gate)
	lm, px, mv  cue     // opening (landmarks), opening (crop), crop motion vs band energy
	pca         cue     // best eigenlips component (either sign) vs band energy
	mvIn, dmv   cue     // inner-lip pixel change vs energy; crop pixel change vs |energy change|
	joint       cue     // mv + vad + onset + lm correlations summed at one common lag
	ext         []cue   // the cues of syncExtNames, in that order
	vad, word   cue     // crop motion vs voice activity / recognised words
	onset       cue     // mouth opening rise vs energy rise, mouth leading 0–200 ms
	speechShare float64 // share of the audio inside voice-activity segments
	inSpeech    float64 // mean crop motion inside speech segments / in pauses
	digits      []float64
	logit, prob float64 // fused model
	frames      int     // frames with a usable mouth
}

// Lag window of the correlation cues: the mouth leads the sound (measured +20…+100 ms on the
// real clips); a little slack either side for container and camera delays.
const (
	minLag = -80 * time.Millisecond
	maxLag = 200 * time.Millisecond
)

// syncScores measures how lips and voice move together.
func syncScores(clip *media.Clip, track []frameFace, band []float64, sres speech.Result) syncResult {
	mi := mouthCrops(clip, track)
	return syncScoresOf(&mi, clip.AudioStart, band, sres)
}

// syncScoresOf is syncScores on the mouth input, the band-passed audio starting at
// audioStart (in the clip's time) and the recogniser's word timings.
func syncScoresOf(mi *mouthInput, audioStart time.Duration, band []float64, sres speech.Result) syncResult {
	var res syncResult
	ms := mouthEvidence(mi)
	var ops, mvs []float64
	for i := range ms.t {
		if ms.ok[i] {
			ops = append(ops, ms.lmOpen[i])
			if !math.IsNaN(ms.motion[i]) {
				mvs = append(mvs, ms.motion[i])
			}
		}
	}
	res.frames = len(mvs)
	res.mouthStd = std(ops)
	res.mouthMotion = median(mvs)
	au := audioEvidence(syncBand(band), ms.fps, sres)
	if au.energy == nil {
		res.logit, res.prob = fuse(res)
		return res
	}
	as := audioStart
	res.lm = calibrated(&ms, as, ms.lmOpen, au.energy, minLag, maxLag)
	res.px = calibrated(&ms, as, ms.pxOpen, au.energy, minLag, maxLag)
	res.mv = calibrated(&ms, as, ms.motion, au.energy, minLag, maxLag)
	var sigs [][]float64
	for _, p := range ms.pcs {
		neg := make([]float64, len(p))
		for i, v := range p {
			neg[i] = -v
		}
		sigs = append(sigs, p, neg)
	}
	res.pca = calibratedMax(&ms, as, sigs, au.energy, minLag, maxLag)
	res.mvIn = calibrated(&ms, as, ms.motionIn, au.energy, minLag, maxLag)
	res.dmv = calibrated(&ms, as, ms.motion, au.change, minLag, maxLag)
	res.joint = calibratedJoint(&ms, as, [][]float64{ms.motion, ms.motion, ms.rise, ms.lmOpen},
		[][]float64{au.energy, au.vad, au.onset, au.energy}, minLag, maxLag)
	res.ext = extCues(&ms, &au, as)
	res.vad = calibrated(&ms, as, ms.motion, au.vad, minLag, maxLag)
	if au.words != nil {
		res.word = calibrated(&ms, as, ms.motion, au.words, minLag, maxLag)
	}
	res.onset = calibrated(&ms, as, ms.rise, au.onset, 0, 200*time.Millisecond)
	res.speechShare = mean(au.vad)
	// Mouth activity inside speech vs in pauses, and per recognised digit.
	var in, out []float64
	for i, t := range ms.t {
		if !ms.ok[i] || math.IsNaN(ms.motion[i]) {
			continue
		}
		k := int((t - as) / audioStep)
		if k < 0 || k >= len(au.vad) {
			continue
		}
		if au.vad[k] == 1 {
			in = append(in, ms.motion[i])
		} else {
			out = append(out, ms.motion[i])
		}
	}
	pause := median(out)
	if len(in) > 0 && len(out) > 0 && pause > 0 {
		res.inSpeech = mean(in) / pause
	}
	for _, w := range sres.Words {
		var v []float64
		for i, t := range ms.t {
			if ms.ok[i] && !math.IsNaN(ms.motion[i]) && t >= as+w.Start && t <= as+w.End {
				v = append(v, ms.motion[i])
			}
		}
		act := 0.0
		if len(v) > 0 && pause > 0 {
			act = mean(v) / pause
		}
		res.digits = append(res.digits, act)
	}
	res.logit, res.prob = fuse(res)
	return res
}

// ---------------------------------------------------------------------------------------
// Fusion: logistic regression on the clipped cue z values, fitted on the dev attack corpus
// (go run ./pipeline/cmd/synceval -fit; recipe and figures in docs/liveness.md).

// syncFeatures are the model's inputs, in the order of syncCoef.
func syncFeatures(r syncResult) []float64 {
	cl := func(v float64) float64 { return math.Max(-4, math.Min(8, v)) }
	x := []float64{cl(r.lm.Z), cl(r.px.Z), cl(r.mv.Z), cl(r.vad.Z), cl(r.word.Z), cl(r.onset.Z), cl(r.pca.Z),
		cl(r.mvIn.Z), cl(r.dmv.Z), cl(r.joint.Z)}
	for i := range syncExtNames {
		z := 0.0
		if i < len(r.ext) {
			z = r.ext[i].Z
		}
		x = append(x, cl(z))
	}
	return x
}

// SyncFeatureNames name syncFeatures' entries (for the fitting program and reports).
var SyncFeatureNames = append([]string{"lm_z", "px_z", "mv_z", "vad_z", "word_z", "onset_z", "pca_z", "mvin_z", "dmv_z", "joint_z"}, extFeatureNames()...)

func extFeatureNames() []string {
	var out []string
	for _, n := range syncExtNames {
		out = append(out, n+"_z")
	}
	return out
}

// SyncModelFeatures are the cues the fusion uses (the others are reported only, weight 0):
// the joint correlation at one common lag, the same high-passed (jhp) and the onset lead.
// Chosen on the dev folds (leave-one-speaker-out) over the ten session-4 cues, which
// overfit 22 genuine clips (docs/liveness.md); SyncRidge is the fit's ridge on the weights.
var SyncModelFeatures = []string{"onset_z", "joint_z", "jhp_z"}

// SyncRidge is the ridge of the fusion fit (FitLogistic lambda).
const SyncRidge = 0.5

// syncCoef: intercept first, then one weight per feature (SyncFeatureNames). Fitted on every
// dev speaker's clips of the synccorpus full corpus (22 genuine, 276 attacks; class-balanced
// weights, ridge SyncRidge, SyncModelFeatures only, the cues on the SyncBandLow band, jhp on
// the session-8 pairs: lower-lip change, lip gap, optical-flow opening) by go run
// ./pipeline/cmd/synceval -eer at SyncFPS (session 13: 25 fps); the intercept is shifted so
// that MinSyncScore 0.5 is the equal-error point of the leave-one-speaker-out scores (p 0.5074
// of the fitted model: logit 0.0295; fitted intercept −1.3600). Figures of the same recipe in
// docs/liveness.md. Refit whenever a cue, the frame rate or the speech model changes.
var syncCoef = []float64{-1.3895, 0, 0, 0, 0, 0, 0.2087, 0, 0, 0, 0.3014, 0.4946}

func fuse(r syncResult) (logit, prob float64) {
	x := syncFeatures(r)
	logit = syncCoef[0]
	for i, v := range x {
		if i+1 < len(syncCoef) {
			logit += syncCoef[i+1] * v
		}
	}
	return logit, 1 / (1 + math.Exp(-logit))
}

// ---------------------------------------------------------------------------------------
// small numeric helpers

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// smoothNaN convolves x with a Gaussian of σ sigma samples, skipping NaNs (NaN stays NaN).
func smoothNaN(x []float64, sigma float64) []float64 {
	if sigma < 0.3 {
		return x
	}
	h := int(math.Ceil(2.5 * sigma))
	k := make([]float64, 2*h+1)
	for i := range k {
		d := float64(i - h)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
	}
	out := make([]float64, len(x))
	for i := range x {
		if math.IsNaN(x[i]) {
			out[i] = math.NaN()
			continue
		}
		var s, w float64
		for j := -h; j <= h; j++ {
			p := i + j
			if p < 0 || p >= len(x) || math.IsNaN(x[p]) {
				continue
			}
			s += k[j+h] * x[p]
			w += k[j+h]
		}
		out[i] = s / w
	}
	return out
}

// standardise returns (x − mean)/std over the non-NaN entries.
func standardise(x []float64) []float64 {
	var v []float64
	for _, e := range x {
		if !math.IsNaN(e) {
			v = append(v, e)
		}
	}
	m, s := mean(v), std(v)
	out := make([]float64, len(x))
	for i, e := range x {
		if s == 0 || math.IsNaN(e) {
			out[i] = math.NaN()
			continue
		}
		out[i] = (e - m) / s
	}
	return out
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

// SyncFPS is the frame rate the liveness check analyses (≥ 12 fps resolves syllables in the
// mouth region; docs/liveness.md). Session 13: 25 fps, the source rate of most webcam and
// phone clips, with the face models on every third frame (detectStride), the cost of the
// 15 fps analysis; on the dev corpus (LOSO) EER 9.1 → 5.2 %.
const SyncFPS = 25

// livenessLimits are media's limits with the lip-sync frame rate.
func livenessLimits() media.Limits {
	l := media.DefaultLimits()
	l.FPS = SyncFPS
	return l
}

// reportSync writes the lip-sync measurements into the verdict's scores.
func reportSync(sc map[string]float64, sy syncResult) {
	sc["mouth_motion"] = round3(sy.mouthStd)
	sc["mouth_pixels"] = round3(sy.mouthMotion)
	sc["mouth_frames"] = float64(sy.frames)
	sc["sync_score"] = round3(sy.prob)
	sc["sync_logit"] = round3(sy.logit)
	// The primary calibrated statistic: crop opening vs band energy, against the clip's null.
	sc["sync_z"] = round3(sy.px.Z)
	sc["sync_null_pct"] = round3(sy.px.Pct)
	sc["sync_null_shifts"] = float64(sy.px.Shifts)
	sc["sync_r"] = round3(sy.px.R)
	sc["sync_lag_ms"] = sy.px.LagMS
	for _, c := range []struct {
		k string
		c cue
	}{{"lm", sy.lm}, {"px", sy.px}, {"pca", sy.pca}, {"mvin", sy.mvIn}, {"dmv", sy.dmv}, {"joint", sy.joint}, {"mv", sy.mv}, {"vad", sy.vad}, {"word", sy.word}, {"onset", sy.onset}} {
		sc["sync_"+c.k+"_z"] = round3(c.c.Z)
		sc["sync_"+c.k+"_pct"] = round3(c.c.Pct)
	}
	for i, c := range sy.ext {
		if i > 0 && !SyncCandidateCues {
			break
		}
		sc["sync_"+syncExtNames[i]+"_z"] = round3(c.Z)
		sc["sync_"+syncExtNames[i]+"_pct"] = round3(c.Pct)
	}
	sc["sync_onset_lag_ms"] = sy.onset.LagMS
	sc["speech_share"] = round3(sy.speechShare)
	sc["mouth_in_speech"] = round3(sy.inSpeech)
	for i, a := range sy.digits {
		if i >= 8 {
			break
		}
		sc["mouth_digit_"+string(rune('1'+i))] = round3(a)
	}
}

func secDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// detectedFrames are the frames the face track runs the detector and landmarks on: every
// frame up to 10 fps, above every detectStride-th frame (and the last), so the lip-sync frame
// rate costs about the face-model time of 8 fps; the frames between get interpolated face
// boxes and landmarks (interpolateTrack) while their mouth crops come from their own pixels.
func detectedFrames(n int, fps float64) []int {
	stride := detectStride(fps)
	var idx []int
	for i := 0; i < n; i += stride {
		idx = append(idx, i)
	}
	if n > 0 && idx[len(idx)-1] != n-1 {
		idx = append(idx, n-1)
	}
	return idx
}

// detectStride is every how many frames the track detects at fps: 1 up to 10 fps, else
// about 8 detections a second (2 at 15 fps, 3 at 25 fps).
func detectStride(fps float64) int {
	if fps <= 10 {
		return 1
	}
	return max(2, int(math.Round(fps/8)))
}

// interpolateTrack fills the frames the detector skipped (detect holds the first and the
// last frame): between two detected frames, a face when both have one (between).
func interpolateTrack(out []frameFace, clip *media.Clip, detect []int) {
	for k := 0; k+1 < len(detect); k++ {
		a, b := detect[k], detect[k+1]
		for i := a + 1; i < b; i++ {
			ff := between(&out[a], &out[b], i-a, b-a)
			ff.t = clip.Frames[i].T
			out[i] = ff
		}
	}
}

// between is the entry of the skipped frame j of m frames after the detected frame a, m
// frames before the detected b: a face when both have one, its box and landmarks on the
// line between theirs (halfway: (a+b)/2 exactly). Its time is the caller's.
func between(a, b *frameFace, j, m int) frameFace {
	if !a.ok || !b.ok {
		return frameFace{n: a.n}
	}
	wa, wb, d := float32(m-j), float32(j), float32(m)
	ff := frameFace{ok: true, n: min(a.n, b.n), multi: a.multi && b.multi, interp: true, face: a.face}
	for k := range ff.face.Box {
		ff.face.Box[k] = (a.face.Box[k]*wa + b.face.Box[k]*wb) / d
	}
	for k := range ff.face.Landmarks {
		ff.face.Landmarks[k].X = (a.face.Landmarks[k].X*wa + b.face.Landmarks[k].X*wb) / d
		ff.face.Landmarks[k].Y = (a.face.Landmarks[k].Y*wa + b.face.Landmarks[k].Y*wb) / d
	}
	ff.opening = lipOpening(&ff.face.Landmarks)
	return ff
}

// nullScores is a clip's own null distribution of a sync statistic over na audio steps:
// score(false, k) with the audio circularly shifted by k steps for every shift of at least
// minNullShift (a third of the clip when shorter than three of them), then score(true, k),
// the time-reversed audio, at every shift — unrelated to the mouth whatever the shift, it
// doubles the null of short clips. At most about maxNullShifts shifts, nullStep apart or more.
func nullScores(na int, score func(reversed bool, shift int) float64) []float64 {
	dur := time.Duration(na) * audioStep
	minS := minNullShift
	if dur < 3*minNullShift {
		minS = dur / 3
	}
	step := max(nullStep, (2*dur-2*minS)/maxNullShifts)
	var null []float64
	for s := minS; s <= dur-minS; s += step {
		null = append(null, score(false, int(s/audioStep)))
	}
	for s := time.Duration(0); s < dur; s += step {
		null = append(null, score(true, int(s/audioStep)))
	}
	return null
}
