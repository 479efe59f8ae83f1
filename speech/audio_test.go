package speech

import (
	"math"
	"math/rand"
	"testing"
)

// bandTestVoice is a 3 s "voice": bursts of a 200 Hz harmonic series (and, when wide, a
// 5–7 kHz fricative-like noise during the bursts), with pauses between them.
func bandTestVoice(rng *rand.Rand, wide bool) []float64 {
	x := make([]float64, 3*SampleRate)
	for i := range x {
		tt := float64(i) / SampleRate
		if math.Mod(tt, 0.6) > 0.35 { // pause
			continue
		}
		var v float64
		for h := 1; h*200 < 3600; h++ {
			v += math.Sin(2*math.Pi*200*float64(h)*tt) / float64(h*h) // −12 dB per octave, as voices
		}
		x[i] = 0.1 * v
	}
	if wide {
		hi := make([]float64, len(x))
		for i := range hi {
			hi[i] = rng.NormFloat64()
		}
		steep(true, 5000, hi)
		for i := range x {
			if math.Mod(float64(i)/SampleRate, 0.6) <= 0.35 {
				x[i] += 0.05 * hi[i]
			}
		}
	}
	return x
}

func addHiss(rng *rand.Rand, x []float64, sd float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v + sd*rng.NormFloat64()
	}
	return out
}

// TestNarrowBand: the low-pass is applied only to a narrow-band voice over a wide-band floor,
// never to a wide-band voice, silence-padded audio or noise alone; and it removes the floor.
func TestNarrowBand(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	cases := []struct {
		name string
		x    []float64
		want bool
	}{
		{"narrow-band voice, wide-band hiss", addHiss(rng, bandTestVoice(rng, false), 1e-3), true},
		{"wide-band voice, same hiss", addHiss(rng, bandTestVoice(rng, true), 1e-3), false},
		{"narrow-band voice, digital silence", bandTestVoice(rng, false), false},
		{"hiss alone", addHiss(rng, make([]float64, 3*SampleRate), 1e-3), false},
		{"too short", addHiss(rng, bandTestVoice(rng, false)[:SampleRate/10], 1e-3), false},
	}
	for _, c := range cases {
		if got := narrowBand(c.x); got != c.want {
			t.Errorf("%s: narrowBand = %v, want %v", c.name, got, c.want)
		}
	}
	// The floor above 4 kHz goes; the voice under it stays.
	x := addHiss(rng, bandTestVoice(rng, false), 1e-3)
	before := bandEnergy(x, true)
	voice := bandEnergy(x, false)
	lowPass(x)
	if after := bandEnergy(x, true); after > before/30 {
		t.Errorf("energy above 4.2 kHz %.3g → %.3g: not removed", before, after)
	}
	if after := bandEnergy(x, false); math.Abs(after-voice) > 0.1*voice {
		t.Errorf("voice band energy %.3g → %.3g: changed", voice, after)
	}
}

// bandEnergy is the energy above 4.6 kHz (hi) or below 3 kHz.
func bandEnergy(x []float64, hi bool) float64 {
	y := append([]float64(nil), x...)
	f0 := 3000.0
	if hi {
		f0 = 4600
	}
	steep(hi, f0, y)
	var e float64
	for _, v := range y {
		e += v * v
	}
	return e
}
