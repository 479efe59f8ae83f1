package pipeline

// Session-8 variants for TestSyncExperiments: lip optical flow and the lip-gap profile
// (syncflow.go), against the deployed jhp (lower-lip crop change).

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// mLo are the high-passed mouth signals of the deployed jhp.
func mLo(c *expClip, s float64) [][]float64 {
	m := hpM(c, c.ms.motionLo, s)
	return [][]float64{m, m, hpM(c, c.ms.rise, s), hpM(c, c.ms.lmOpen, s)}
}

func cropsF64(c *expClip) [][]float64 {
	out := make([][]float64, len(c.in.Mouth.Crops))
	for i, cr := range c.in.Mouth.Crops {
		if cr == nil {
			continue
		}
		out[i] = make([]float64, len(cr))
		for k, v := range cr {
			out[i][k] = float64(v)
		}
	}
	return out
}

type flowSig struct{ v, pos, abs, cum, gap []float64 }

var flowCache = map[*expClip]flowSig{}

// flowRegions, when set, replace flowUp / flowLo for the flow variants (flowCache cleared).
var flowRegions *[2][4]int

func flowOf(c *expClip) flowSig {
	if f, ok := flowCache[c]; ok {
		return f
	}
	if flowRegions != nil {
		u, l := flowUp, flowLo
		flowUp, flowLo = flowRegions[0], flowRegions[1]
		defer func() { flowUp, flowLo = u, l }()
	}
	cr := cropsF64(c)
	v := lipFlow(cr)
	sig := 0.05 * c.ms.fps
	f := flowSig{v: smoothNaN(v, sig), pos: nanSlice(len(v)), abs: nanSlice(len(v)), cum: nanSlice(len(v)), gap: nanSlice(len(v))}
	var acc float64
	for i, x := range v {
		if !math.IsNaN(x) {
			acc += x
			f.pos[i] = math.Max(0, x)
			f.abs[i] = math.Abs(x)
		}
		if cr[i] != nil {
			f.cum[i] = acc
			f.gap[i] = lipGap(cr[i])
		}
	}
	f.pos, f.abs, f.cum, f.gap = smoothNaN(f.pos, sig), smoothNaN(f.abs, sig), smoothNaN(f.cum, sig), smoothNaN(f.gap, sig)
	flowCache[c] = f
	return f
}

func init() {
	if extraVariants == nil {
		extraVariants = map[string]func(c *expClip) cue{}
	}
	a4e := func(c *expClip, s float64) [][]float64 { return a4(c, s) }
	repl := func(idx []int, pick func(f flowSig) []float64) func(c *expClip) cue {
		return func(c *expClip) cue {
			return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
				m := mLo(c, s)
				h := hpM(c, pick(flowOf(c)), s)
				for _, i := range idx {
					m[i] = h
				}
				return m
			}, a4e, minLag, maxLag)
		}
	}
	// add pairs (mouth pick, audio index of a4) to the deployed four
	add := func(picks []func(f flowSig) []float64, audio []int) func(c *expClip) cue {
		return func(c *expClip) cue {
			return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
				m := mLo(c, s)
				for _, p := range picks {
					m = append(m, hpM(c, p(flowOf(c)), s))
				}
				return m
			}, func(c *expClip, s float64) [][]float64 {
				a := a4(c, s)
				for _, j := range audio {
					a = append(a, a[j])
				}
				return a
			}, minLag, maxLag)
		}
	}
	pos := func(f flowSig) []float64 { return f.pos }
	abs := func(f flowSig) []float64 { return f.abs }
	cum := func(f flowSig) []float64 { return f.cum }
	gap := func(f flowSig) []float64 { return f.gap }
	vel := func(f flowSig) []float64 { return f.v }
	extraVariants["lo"] = func(c *expClip) cue { return jhpWith(c, 0.4, mLo, a4, minLag, maxLag) }
	extraVariants["fl_rise"] = repl([]int{2}, pos)
	extraVariants["fl_open"] = repl([]int{3}, cum)
	extraVariants["fl_abs"] = repl([]int{0, 1}, abs)
	extraVariants["gap_open"] = repl([]int{3}, gap)
	extraVariants["fl_add2"] = add([]func(flowSig) []float64{pos, cum}, []int{2, 0})
	extraVariants["fl_addv"] = add([]func(flowSig) []float64{pos}, []int{2})
	extraVariants["gap_add"] = add([]func(flowSig) []float64{gap}, []int{0})
	extraVariants["flgap_add"] = add([]func(flowSig) []float64{pos, cum, gap}, []int{2, 0, 0})
	single := func(pick func(f flowSig) []float64, audio int, lo, hi time.Duration) func(c *expClip) cue {
		return func(c *expClip) cue {
			return jhpWith(c, 0.4, func(c *expClip, s float64) [][]float64 {
				return [][]float64{hpM(c, pick(flowOf(c)), s)}
			}, func(c *expClip, s float64) [][]float64 { return [][]float64{a4(c, s)[audio]} }, lo, hi)
		}
	}
	extraVariants["s_pos_on"] = single(pos, 2, minLag, maxLag)
	extraVariants["s_vel_on"] = single(vel, 2, minLag, maxLag)
	extraVariants["s_cum_e"] = single(cum, 0, minLag, maxLag)
	extraVariants["s_gap_e"] = single(gap, 0, minLag, maxLag)
	extraVariants["s_abs_e"] = single(abs, 0, minLag, maxLag)
}

// combo: the high-passed joint over named (mouth, audio) pairs; mouth: lo (motionLo), rise,
// lm, pos (opening flow > 0), cum (integrated flow), gap (lip gap), abs (|flow|), in
// (motionIn), px; audio: e (energy), vad, on (onset).
func combo(pairs string, lo, hi time.Duration) func(c *expClip) cue {
	return comboS(pairs, lo, hi, 0.4)
}

func comboS(pairs string, lo, hi time.Duration, sigma float64) func(c *expClip) cue {
	return func(c *expClip) cue {
		var ms, as [][]float64
		f := flowOf(c)
		hpa := a4(c, sigma)
		for _, p := range strings.Fields(pairs) {
			mv := strings.Split(p, ":")
			var m []float64
			switch mv[0] {
			case "lo":
				m = c.ms.motionLo
			case "mv":
				m = c.ms.motion
			case "rise":
				m = c.ms.rise
			case "lm":
				m = c.ms.lmOpen
			case "pos":
				m = f.pos
			case "cum":
				m = f.cum
			case "gap":
				m = f.gap
			case "abs":
				m = f.abs
			case "in":
				m = c.ms.motionIn
			case "px":
				m = c.ms.pxOpen
			}
			ms = append(ms, hpM(c, m, sigma))
			as = append(as, hpa[map[string]int{"e": 0, "vad": 1, "on": 2}[mv[1]]])
		}
		return calibratedJoint(&c.ms, c.in.AudioStart, ms, as, lo, hi)
	}
}

func init() {
	dep := "lo:e lo:vad rise:on lm:e "
	ms := time.Millisecond
	for name, p := range map[string]string{
		"c5":    dep + "pos:on",
		"c6":    dep + "pos:on gap:e",
		"c6b":   "lo:e lo:vad rise:on gap:e pos:on",
		"c7":    dep + "pos:on gap:e cum:e",
		"c5r":   "lo:e lo:vad pos:on lm:e",
		"c6v":   dep + "pos:on gap:vad",
		"c8":    dep + "pos:on gap:e cum:e pos:vad",
		"c5abs": dep + "pos:on abs:e",
	} {
		extraVariants[name] = combo(p, minLag, maxLag)
	}
	extraVariants["c5w120"] = combo(dep+"pos:on", -120*ms, maxLag)
	extraVariants["c5w160"] = combo(dep+"pos:on", -160*ms, maxLag)
	extraVariants["c6w120"] = combo(dep+"pos:on gap:e", -120*ms, maxLag)
	extraVariants["dep_w120"] = combo(dep, -120*ms, maxLag)
}

// TestSyncShortNull (SYNCEXP_GOB, SYNCEXP_ONLY as TestSyncExperiments): the null calibration
// by clip length on many virtual dubs — every genuine clip's mouth with every other face
// speaker's genuine sound, both cut to the first L seconds — the z of the deployed jhp and
// the candidates (mean, sd, share ≥ 1.65: N(0, 1) gives 0, 1, 5 %).
func TestSyncShortNull(t *testing.T) {
	path := os.Getenv("SYNCEXP_GOB")
	if path == "" {
		t.Skip("SYNCEXP_GOB")
	}
	cs := loadExp(t, path)
	var gen []*expClip
	for i := range cs {
		if cs[i].s.Genuine && cs[i].in != nil && cs[i].s.Kind == "genuine" {
			gen = append(gen, &cs[i])
		}
	}
	cut := func(c *expClip, audio *SyncInput, L float64) *expClip {
		mi := c.in.Mouth
		var m mouthInput
		m.FPS = mi.FPS
		for i, tt := range mi.T {
			if tt.Seconds() < L {
				m.T, m.OK, m.Open, m.Crops = append(m.T, tt), append(m.OK, mi.OK[i]), append(m.Open, mi.Open[i]), append(m.Crops, mi.Crops[i])
			}
		}
		n := min(len(audio.PCM), int(L*16000))
		in := &SyncInput{Mouth: m, PCM: audio.PCM[:n], AudioStart: c.in.AudioStart, Words: audio.Words}
		e := &expClip{s: c.s, in: in}
		e.ms = mouthEvidence(&in.Mouth)
		e.au = audioEvidence(syncBand(bandpass(in.PCM)), e.ms.fps, in.Words)
		return e
	}
	names := []string{"lo"}
	if sel := os.Getenv("SYNCEXP_ONLY"); sel != "" {
		names = strings.Split(sel, ",")
	}
	vs := expVariants()
	for _, L := range []float64{2.5, 4, 6} {
		zs := map[string][]float64{}
		for _, a := range gen {
			for _, b := range gen {
				if a.s.Speaker == b.s.Speaker || a.s.Duration < L || b.s.Duration < L {
					continue
				}
				e := cut(a, b.in, L)
				for _, n := range names {
					zs[n] = append(zs[n], vs[n](e).Z)
				}
				delete(flowCache, e)
			}
		}
		for _, n := range names {
			z := zs[n]
			t.Logf("L %.1f s %-8s n %d mean %.2f sd %.2f ≥1.65 %.3f ≥2.33 %.3f", L, n, len(z), mean(z), std(z),
				frac(z, func(v float64) bool { return v >= 1.65 }), frac(z, func(v float64) bool { return v >= 2.33 }))
		}
	}
}

func init() {
	dep8 := "lo:e lo:vad rise:on gap:e pos:on"
	extraVariants["d8_s03"] = comboS(dep8, minLag, maxLag, 0.3)
	extraVariants["d8_s05"] = comboS(dep8, minLag, maxLag, 0.5)
	regions := func(r [2][4]int) func(c *expClip) cue {
		return func(c *expClip) cue {
			flowRegions = &r
			delete(flowCache, c)
			defer func() { flowRegions = nil; delete(flowCache, c) }()
			return combo(dep8, minLag, maxLag)(c)
		}
	}
	extraVariants["d8_gap2"] = regions([2][4]int{{cropW / 4, 3 * cropW / 4, 2, cropH/2 - 2}, {cropW / 4, 3 * cropW / 4, cropH/2 + 2, cropH - 2}})
	extraVariants["d8_wide"] = regions([2][4]int{{cropW / 8, 7 * cropW / 8, 2, cropH / 2}, {cropW / 8, 7 * cropW / 8, cropH / 2, cropH - 2}})
	extraVariants["d8_mid"] = regions([2][4]int{{3 * cropW / 8, 5 * cropW / 8, 2, cropH / 2}, {3 * cropW / 8, 5 * cropW / 8, cropH / 2, cropH - 2}})
	extraVariants["d8"] = combo(dep8, minLag, maxLag)
}
