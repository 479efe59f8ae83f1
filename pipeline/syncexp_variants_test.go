package pipeline

import (
	"sort"
	"time"
)

var extraVariants map[string]func(c *expClip) cue

func sortIV[T any](v []T, less func(a, b T) bool) {
	sort.Slice(v, func(i, j int) bool { return less(v[i], v[j]) })
}

func hpM(c *expClip, x []float64, s float64) []float64 { return highpass(x, s*c.ms.fps) }
func hpA(c *expClip, x []float64, s float64) []float64 { return highpass(x, s/audioStep.Seconds()) }

func jhpWith(c *expClip, s float64, mouth func(*expClip, float64) [][]float64, audio func(*expClip, float64) [][]float64, lo, hi time.Duration) cue {
	return calibratedJoint(&c.ms, c.in.AudioStart, mouth(c, s), audio(c, s), lo, hi)
}

// m4 are the high-passed mouth signals of session 5's jhp (whole-crop change; the deployed jhp
// takes the lower-lip change, motionLo — variant mv_low).
func m4(c *expClip, s float64) [][]float64 {
	m := hpM(c, c.ms.motion, s)
	return [][]float64{m, m, hpM(c, c.ms.rise, s), hpM(c, c.ms.lmOpen, s)}
}
func a4(c *expClip, s float64) [][]float64 {
	e := hpA(c, c.au.energy, s)
	return [][]float64{e, hpA(c, c.au.vad, s), hpA(c, c.au.onset, s), e}
}

func expVariants() map[string]func(c *expClip) cue {
	m := baseVariants()
	for k, v := range extraVariants {
		m[k] = v
	}
	return m
}

func baseVariants() map[string]func(c *expClip) cue {
	return map[string]func(c *expClip) cue{
		"jhp":      func(c *expClip) cue { return jhpWith(c, 0.4, m4, a4, minLag, maxLag) },
		"jhp_wide": func(c *expClip) cue { return jhpWith(c, 0.4, m4, a4, -200*time.Millisecond, 360*time.Millisecond) },
		"jhp6": func(c *expClip) cue {
			return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
				return append(m4(c, s), hpM(c, c.ms.pxOpen, s), hpM(c, c.ms.motionIn, s))
			}, func(c *expClip, s float64) [][]float64 {
				a := a4(c, s)
				return append(a, a[0], a[0])
			}, minLag, maxLag)
		},
	}
}

func rankT(x []float64) []float64 {
	type iv struct {
		i int
		v float64
	}
	var v []iv
	for i, e := range x {
		if e == e {
			v = append(v, iv{i, e})
		}
	}
	sortIV(v, func(a, b iv) bool { return a.v < b.v })
	out := make([]float64, len(x))
	for i := range out {
		out[i] = x[i]
	}
	for r, e := range v {
		out[e.i] = float64(r)
	}
	return out
}

// subband log energy like audioEvidence.energy, of pcm band-passed to [lo, hi].
func subEnergy(c *expClip, lo, hi float64) []float64 { return subBand(c, lo, hi).energy }

// subBand: audioEvidence of pcm band-passed to [lo, hi] (two high-pass and two low-pass biquads).
func subBand(c *expClip, lo, hi float64) audioSeries {
	x := make([]float64, len(c.in.PCM))
	for i, v := range c.in.PCM {
		x[i] = float64(v)
	}
	biquad(x, lo, 16000, true)
	biquad(x, lo, 16000, true)
	biquad(x, hi, 16000, false)
	biquad(x, hi, 16000, false)
	return audioEvidence(x, c.ms.fps, c.in.Words)
}

func init() {
	if extraVariants == nil {
		extraVariants = map[string]func(c *expClip) cue{}
	}
	for k, v := range map[string]func(c *expClip) cue{
		"jhp_rank": func(c *expClip) cue {
			return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
				m := m4(c, s)
				for i := range m {
					m[i] = rankT(m[i])
				}
				return m
			}, a4, minLag, maxLag)
		},
		"jhp_1k3k":   bandVariant(1000, 3000, false, false),
		"jhp_300_1k": bandVariant(300, 1000, false, false),
		"jhp_2band": func(c *expClip) cue {
			e1 := hpA(c, subEnergy(c, 300, 1000), 0.4)
			e2 := hpA(c, subEnergy(c, 1000, 3400), 0.4)
			return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
				m := m4(c, s)
				return append(m, m[0], m[3])
			}, func(c *expClip, s float64) [][]float64 {
				a := a4(c, s)
				a[0], a[3] = e1, e1
				return append(a, e2, e2)
			}, minLag, maxLag)
		},
	} {
		extraVariants[k] = v
	}
}

func bandVariant(lo, hi float64, onsetToo, vadToo bool) func(c *expClip) cue {
	return func(c *expClip) cue {
		au := subBand(c, lo, hi)
		return jhpWith(c, 0.4, m4, func(c *expClip, s float64) [][]float64 {
			a := a4(c, s)
			he := hpA(c, au.energy, s)
			a[0], a[3] = he, he
			if onsetToo {
				a[2] = hpA(c, au.onset, s)
			}
			if vadToo {
				a[1] = hpA(c, au.vad, s)
			}
			return a
		}, minLag, maxLag)
	}
}

func init() {
	for _, b := range [][2]float64{{800, 2500}, {1000, 2500}, {1000, 4000}, {1500, 3500}, {2000, 4000}, {1000, 6000}, {700, 3000}} {
		extraVariants[fmtBand(b)] = bandVariant(b[0], b[1], false, false)
	}
	extraVariants["jhp_pcs"] = func(c *expClip) cue {
		return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
			m := m4(c, s)
			for _, p := range c.ms.pcs {
				m = append(m, hpM(c, p, s))
			}
			return m
		}, func(c *expClip, s float64) [][]float64 {
			a := a4(c, s)
			return append(a, a[0], a[0], a[0])
		}, minLag, maxLag)
	}
	extraVariants["jhp_in"] = func(c *expClip) cue {
		return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
			m := m4(c, s)
			mi := hpM(c, c.ms.motionIn, s)
			m[0], m[1] = mi, mi
			return m
		}, a4, minLag, maxLag)
	}
	extraVariants["b1k3k_on"] = bandVariant(1000, 3000, true, false)
	extraVariants["b1k3k_onvad"] = bandVariant(1000, 3000, true, true)
}

func fmtBand(b [2]float64) string { return "b" + itoa(int(b[0])) + "_" + itoa(int(b[1])) }
func itoa(i int) string {
	s := ""
	for i > 0 {
		s = string(rune('0'+i%10)) + s
		i /= 10
	}
	return s
}

func bandAu(c *expClip, lo, hi float64, fromBand bool) audioSeries {
	if fromBand {
		x := bandpass(c.in.PCM)
		biquad(x, lo, 16000, true)
		biquad(x, lo, 16000, true)
		if hi < 3400 {
			biquad(x, hi, 16000, false)
			biquad(x, hi, 16000, false)
		}
		return audioEvidence(x, c.ms.fps, c.in.Words)
	}
	return subBand(c, lo, hi)
}

func jfVariant(lo, hi, sigma float64, fromBand bool) func(c *expClip) cue {
	return func(c *expClip) cue {
		au := bandAu(c, lo, hi, fromBand)
		return jhpWith(c, sigma, m4, func(c *expClip, s float64) [][]float64 {
			e := hpA(c, au.energy, s)
			return [][]float64{e, hpA(c, au.vad, s), hpA(c, au.onset, s), e}
		}, minLag, maxLag)
	}
}

func init() {
	extraVariants["jf_band1000"] = jfVariant(1000, 3400, 0.4, true)
	extraVariants["jf_band1000_2500"] = jfVariant(1000, 2500, 0.4, true)
	extraVariants["jf_s025"] = jfVariant(1000, 3000, 0.25, false)
	extraVariants["jf_s06"] = jfVariant(1000, 3000, 0.6, false)
	extraVariants["jointf"] = func(c *expClip) cue {
		au := bandAu(c, 1000, 3000, false)
		return calibratedJoint(&c.ms, c.in.AudioStart, [][]float64{c.ms.motion, c.ms.motion, c.ms.rise, c.ms.lmOpen},
			[][]float64{au.energy, au.vad, au.onset, au.energy}, minLag, maxLag)
	}
	extraVariants["onsetf"] = func(c *expClip) cue {
		au := bandAu(c, 1000, 3000, false)
		return calibrated(&c.ms, c.in.AudioStart, c.ms.rise, au.onset, 0, 200*time.Millisecond)
	}
}

func init() {
	// jhp on the session-5 band (300–3400 Hz), to fuse with the deployed cues
	extraVariants["jhp_old"] = func(c *expClip) cue {
		au := audioEvidence(bandpass(c.in.PCM), c.ms.fps, c.in.Words)
		return jhpWith(c, 0.4, m4, func(c *expClip, s float64) [][]float64 {
			e := hpA(c, au.energy, s)
			return [][]float64{e, hpA(c, au.vad, s), hpA(c, au.onset, s), e}
		}, minLag, maxLag)
	}
	extraVariants["jhp_2k"] = func(c *expClip) cue {
		au := bandAu(c, 2000, 3400, true)
		return jhpWith(c, 0.4, m4, func(c *expClip, s float64) [][]float64 {
			e := hpA(c, au.energy, s)
			return [][]float64{e, hpA(c, au.vad, s), hpA(c, au.onset, s), e}
		}, minLag, maxLag)
	}
}

// regionMotion: mean abs grey change vs the previous frame inside crop rows [y0, y1) and
// columns [x0, x1), smoothed like the mouth series.
func regionMotion(c *expClip, x0, x1, y0, y1 int) []float64 {
	cr := c.in.Mouth.Crops
	out := nanSlice(len(cr))
	for i := 1; i < len(cr); i++ {
		if cr[i] == nil || cr[i-1] == nil {
			continue
		}
		var s float64
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				d := float64(cr[i][y*cropW+x] - cr[i-1][y*cropW+x])
				if d < 0 {
					d = -d
				}
				s += d
			}
		}
		out[i] = s / float64((y1-y0)*(x1-x0))
	}
	return smoothNaN(out, 0.05*c.ms.fps)
}

func motionVariant(x0, x1, y0, y1 int) func(c *expClip) cue {
	return func(c *expClip) cue {
		mr := regionMotion(c, x0, x1, y0, y1)
		return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
			m := m4(c, s)
			h := hpM(c, mr, s)
			m[0], m[1] = h, h
			return m
		}, a4, minLag, maxLag)
	}
}

func init() {
	extraVariants["mv_low"] = motionVariant(cropW/4, 3*cropW/4, cropH/2, cropH)
	extraVariants["mv_up"] = motionVariant(cropW/4, 3*cropW/4, 0, cropH/2)
	extraVariants["mv_lowwide"] = motionVariant(0, cropW, cropH/2, cropH)
	extraVariants["mv_mid"] = motionVariant(cropW/6, 5*cropW/6, cropH/4, 3*cropH/4)
}
