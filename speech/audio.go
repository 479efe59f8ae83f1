package speech

import (
	"math"
	"sort"
)

// SampleRate is the rate the model takes.
const SampleRate = 16000

// Level normalisation (prepare): the loudest 100 ms window is brought to TargetRMS, with
// at most MaxGain of amplification and never past PeakLimit (no new clipping). The model's
// training applies random gain, so this only keeps very quiet and very loud clips in the
// range it saw.
const (
	TargetRMS = 0.1   // −20 dBFS
	MaxGain   = 100.0 // +40 dB
	PeakLimit = 0.99
	// hpPole is the pole of the DC-blocking high-pass y[n] = x[n] − x[n−1] + hpPole·y[n−1]
	// (≈13 Hz at 16 kHz): removes DC offsets and rumble, keeps speech.
	hpPole = 0.995
	// MaxSeconds is the longest stretch of audio decoded; the rest is ignored (the
	// pipeline's duration limit is shorter).
	MaxSeconds = 30
	// minSamples pads shorter clips with silence so the model's front end has frames.
	minSamples = SampleRate / 2
)

// prepare turns pcm at rate into the model input: 16 kHz float32, DC removed, level
// normalised. It returns nil for an empty clip.
func prepare(pcm []int16, rate int) []float32 {
	if len(pcm) == 0 || rate <= 0 {
		return nil
	}
	if rate != SampleRate {
		pcm = Resample(pcm, rate, SampleRate)
	}
	if len(pcm) > MaxSeconds*SampleRate {
		pcm = pcm[:MaxSeconds*SampleRate]
	}
	n := max(len(pcm), minSamples)
	x := make([]float64, n)
	var px, py float64
	for i, s := range pcm {
		v := float64(s) / 32768
		y := v - px + hpPole*py
		px, py = v, y
		x[i] = y
	}
	if narrowBand(x[:len(pcm)]) {
		lowPass(x)
	}
	// Loudest 100 ms (hop 50 ms) and sample peak.
	const win = SampleRate / 10
	var loud, peak float64
	for a := 0; a < len(pcm); a += win / 2 {
		b := min(a+win, len(pcm))
		var e float64
		for _, v := range x[a:b] {
			e += v * v
		}
		if b > a {
			loud = math.Max(loud, math.Sqrt(e/float64(b-a)))
		}
	}
	for _, v := range x[:len(pcm)] {
		peak = math.Max(peak, math.Abs(v))
	}
	g := 1.0
	if loud > 0 {
		g = math.Min(TargetRMS/loud, MaxGain)
		if peak*g > PeakLimit {
			g = PeakLimit / peak
		}
	}
	out := make([]float32, n)
	for i, v := range x {
		out[i] = float32(v * g)
	}
	return out
}

// Bandwidth normalisation (prepare). A narrow-band voice (a telephone or Bluetooth headset
// path, an 8 kHz source) recorded through a wide-band chain arrives with the chain's own hiss
// above 4 kHz: in the pauses that hiss is the only high-frequency sound, and the model (which
// saw narrow-band speech with narrow-band noise) hears it as the /s/ of "six". When nothing
// above bandSplitHz follows the voice, the clip is low-passed to the voice's own band.
const (
	bandSplitHz = 4500.0 // the narrow-band test: energy above this
	bandKeepHz  = 3800.0 // the low-pass applied to a narrow-band clip
	// bandVoiceRise: the loudest frames must be this much (power ratio, 20 dB) over the
	// quietest for there to be a voice to judge; bandHFRise: a wide-band voice raises the
	// energy above bandSplitHz by more than this (6 dB) over the pauses' level.
	bandVoiceRise = 100.0
	bandHFRise    = 4.0
	bandFrame     = SampleRate / 50 // 20 ms
)

// biquad is a second-order IIR section (RBJ cookbook, normalised a0 = 1).
type biquad struct{ b0, b1, b2, a1, a2 float64 }

func newBiquad(highPass bool, f0, q float64) biquad {
	w := 2 * math.Pi * f0 / SampleRate
	cw, alpha := math.Cos(w), math.Sin(w)/(2*q)
	a0 := 1 + alpha
	if highPass {
		return biquad{(1 + cw) / 2 / a0, -(1 + cw) / a0, (1 + cw) / 2 / a0, -2 * cw / a0, (1 - alpha) / a0}
	}
	return biquad{(1 - cw) / 2 / a0, (1 - cw) / a0, (1 - cw) / 2 / a0, -2 * cw / a0, (1 - alpha) / a0}
}

// filter runs the section over x in place (direct form I, zero initial state).
func (f biquad) filter(x []float64) {
	var x1, x2, y1, y2 float64
	for i, v := range x {
		y := f.b0*v + f.b1*x1 + f.b2*x2 - f.a1*y1 - f.a2*y2
		x2, x1, y2, y1 = x1, v, y1, y
		x[i] = y
	}
}

// butterworth4 is a 4th-order Butterworth as two biquads (Q 0.5412 and 1.3066).
func butterworth4(highPass bool, f0 float64) [2]biquad {
	return [2]biquad{newBiquad(highPass, f0, 0.5412), newBiquad(highPass, f0, 1.3066)}
}

// narrowBand reports whether x (16 kHz) holds a voice whose loudest frames raise the energy
// above bandSplitHz by less than bandHFRise over the quietest frames: the high band is then
// the recording chain's floor, not the voice.
func narrowBand(x []float64) bool {
	nf := len(x) / bandFrame
	if nf < 20 {
		return false
	}
	hf := append([]float64(nil), x...)
	steep(true, bandSplitHz, hf)
	type fr struct{ all, hi float64 }
	frames := make([]fr, nf)
	for i := range frames {
		for _, v := range x[i*bandFrame : (i+1)*bandFrame] {
			frames[i].all += v * v
		}
		for _, v := range hf[i*bandFrame : (i+1)*bandFrame] {
			frames[i].hi += v * v
		}
	}
	sort.Slice(frames, func(a, b int) bool { return frames[a].all < frames[b].all })
	mean := func(fs []fr) (all, hi float64) {
		for _, f := range fs {
			all += f.all
			hi += f.hi
		}
		return all / float64(len(fs)), hi / float64(len(fs))
	}
	qAll, qHi := mean(frames[:nf*3/10])
	lAll, lHi := mean(frames[nf-nf/5:])
	const eps = 1e-12 // per frame: digital silence has no floor to compare with
	if lAll < bandVoiceRise*(qAll+eps) {
		return false
	}
	return lHi < bandHFRise*(qHi+eps) && qHi > eps
}

// lowPass keeps the band under bandKeepHz.
func lowPass(x []float64) { steep(false, bandKeepHz, x) }

// steep filters x in place with a 4th-order Butterworth applied twice (−6 dB at f0, 48 dB per
// octave beyond: a voice's last harmonics at 3.4–3.9 kHz do not leak into the 4.5 kHz test).
func steep(highPass bool, f0 float64, x []float64) {
	for k := 0; k < 2; k++ {
		for _, f := range butterworth4(highPass, f0) {
			f.filter(x)
		}
	}
}

// frameEnergy is the log energy (dB) of audio per model frame: frame t covers hop samples
// centred at off + t·hop.
func frameEnergy(x []float32, hop, off, T int) []float64 {
	e := make([]float64, T)
	for t := range e {
		a, b := max(0, off+t*hop-hop/2), min(off+t*hop+hop-hop/2, len(x))
		var s float64
		for i := a; i < b; i++ {
			s += float64(x[i]) * float64(x[i])
		}
		if b > a {
			s /= float64(b - a)
		}
		e[t] = 10 * math.Log10(s+1e-10)
	}
	return e
}

// widen turns CTC spikes (a digit often takes one or two frames) into word extents for the
// lip-sync check: each word grows from its spike over the voiced frames around it (energy
// within wordDB of the word's loudest frame and above the clip's floor), never past the
// midpoint to a neighbour's spike nor more than maxWordFrames either side.
func widen(segs []segment, energy []float64, maxSide int) []segment {
	const wordDB = 25
	out := append([]segment(nil), segs...)
	if len(energy) == 0 {
		return out
	}
	sorted := append([]float64(nil), energy...)
	sort.Float64s(sorted)
	floor := sorted[len(sorted)/10] + 6
	for i, sg := range segs {
		if sg.s < 0 {
			continue
		}
		lo, hi := max(0, sg.s-maxSide), min(len(energy), sg.e+maxSide)
		if i > 0 && segs[i-1].s >= 0 {
			lo = max(lo, (segs[i-1].e+sg.s)/2)
		}
		if i+1 < len(segs) && segs[i+1].s >= 0 {
			hi = min(hi, (sg.e+segs[i+1].s+1)/2)
		}
		peak := math.Inf(-1)
		for t := max(lo, sg.s-3); t < min(hi, sg.e+3); t++ {
			peak = math.Max(peak, energy[t])
		}
		th := math.Max(floor, peak-wordDB)
		s, e := sg.s, sg.e
		for s > lo && energy[s-1] > th {
			s--
		}
		for e < hi && energy[e] > th {
			e++
		}
		out[i].s, out[i].e = s, e
	}
	return out
}

// Resample converts mono PCM from rate `from` to rate `to` with a Hann-windowed sinc
// low-pass (16 zero crossings), adequate for speech. The kernel is tabulated per phase
// (to/gcd phases), so 8–48 kHz sources cost a few ms per second of audio.
func Resample(in []int16, from, to int) []int16 {
	if from == to || len(in) == 0 || from <= 0 || to <= 0 {
		return append([]int16(nil), in...)
	}
	ratio := float64(to) / float64(from)
	n := int(float64(len(in)) * ratio)
	out := make([]int16, n)
	cut := math.Min(1, ratio) // cutoff relative to input Nyquist
	const half = 16
	width := float64(half) / cut
	iw := int(width)
	g := gcd(from, to)
	L, M := to/g, from/g // output i sits at input (i·M)/L
	kernel := func(d float64) float64 {
		if math.Abs(d) >= width {
			return 0
		}
		arg := d * cut
		s := 1.0
		if arg != 0 {
			s = math.Sin(math.Pi*arg) / (math.Pi * arg)
		}
		return s * (0.5 + 0.5*math.Cos(math.Pi*d/width))
	}
	var table [][]float64
	if L <= 4096 {
		table = make([][]float64, L)
		for ph := range table {
			frac := float64(ph) / float64(L)
			row := make([]float64, 2*iw)
			for k := range row {
				j := k - iw + 1 // tap offset from the integer position c
				row[k] = kernel(frac - float64(j))
			}
			table[ph] = row
		}
	}
	for i := range out {
		num := i * M
		c, ph := num/L, num%L
		lo := c - iw + 1
		var acc, wsum float64
		if table != nil && lo >= 0 && lo+2*iw <= len(in) {
			row := table[ph]
			for k, w := range row {
				acc += float64(in[lo+k]) * w
				wsum += w
			}
		} else {
			x := float64(num) / float64(L)
			for j := lo; j <= c+iw; j++ {
				if j < 0 || j >= len(in) {
					continue
				}
				w := kernel(x - float64(j))
				acc += float64(in[j]) * w
				wsum += w
			}
		}
		if wsum != 0 {
			acc /= wsum
		}
		out[i] = int16(math.Round(math.Max(-32768, math.Min(32767, acc))))
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// TrimIsolated cuts the silence around an isolated digit (16 kHz PCM; for building test and
// evaluation strings from single-digit recordings) (energy 10 ms frames, 40 dB under the
// peak or 6 dB over the floor), keeping 50 ms.
func TrimIsolated(pcm []int16) []int16 {
	const fr = 160
	nf := len(pcm) / fr
	if nf < 5 {
		return pcm
	}
	db := make([]float64, nf)
	for i := range db {
		var e float64
		for _, v := range pcm[i*fr : (i+1)*fr] {
			e += float64(v) * float64(v)
		}
		db[i] = 10 * math.Log10(e/fr+1)
	}
	s := append([]float64(nil), db...)
	sort.Float64s(s)
	th := math.Max(s[nf/10]+6, s[nf-1]-40)
	a, b := -1, -1
	for i, d := range db {
		if d > th {
			if a < 0 {
				a = i
			}
			b = i
		}
	}
	if a < 0 {
		return pcm
	}
	return pcm[max(0, a-5)*fr : min(nf, b+6)*fr]
}
