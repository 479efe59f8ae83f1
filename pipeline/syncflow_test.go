package pipeline

import (
	"math"
	"testing"
)

// synthMouth is a crop with skin (200), an upper lip (175: lips are a little darker than
// skin) of 5 rows above the corner line, a dark gap (40) of gap rows below it (at least the
// one-row dark line where closed lips meet), a lower lip (175) of 5 rows below the gap, and
// chin skin; edges are sub-pixel (area-weighted rows), with a little texture along the rows
// so the flow has horizontal structure too.
func synthMouth(gap float64) []float64 {
	c := make([]float64, cropW*cropH)
	mid := float64(cropH / 2)
	g := math.Max(gap, 1)
	// level at height y (continuous), then each row's mean over its unit interval
	level := func(y float64) float64 {
		switch {
		case y >= mid-5 && y < mid:
			return 175
		case y >= mid && y < mid+g:
			return 40
		case y >= mid+g && y < mid+g+5:
			return 175
		}
		return 200
	}
	for y := 0; y < cropH; y++ {
		var v float64
		for k := 0; k < 20; k++ {
			v += level(float64(y)+(float64(k)+0.5)/20) / 20
		}
		for x := 0; x < cropW; x++ {
			c[y*cropW+x] = v + 6*math.Sin(float64(x)*0.7)
		}
	}
	return c
}

// TestLipFlow: the lower lip moving down (the mouth opening) gives a positive opening
// speed of about the displacement, closing a negative one, a still mouth about 0, and a
// flat crop (a mask, a hand) no value.
func TestLipFlow(t *testing.T) {
	for _, c := range []struct {
		from, to float64
		want     float64
	}{{1, 2, 1}, {2, 2.5, 0.5}, {3, 2, -1}, {1.5, 1.5, 0}} {
		f := lipFlow([][]float64{synthMouth(c.from), synthMouth(c.to)})
		if !math.IsNaN(f[0]) {
			t.Errorf("first frame has no previous crop: %v, want NaN", f[0])
		}
		// the lower region also holds the gap's fixed upper edge, which pulls the estimate
		// towards 0: the sign and the order of magnitude are what the cue needs
		bad := math.Abs(f[1]) > 0.15
		if c.want != 0 {
			bad = f[1]/c.want < 0.5 || f[1]/c.want > 1.5
		}
		if bad {
			t.Errorf("gap %.1f → %.1f rows: opening speed %.2f, want %.2f (×0.5–1.5; ±0.15 for 0)", c.from, c.to, f[1], c.want)
		}
		t.Logf("gap %.1f → %.1f rows: opening speed %.2f", c.from, c.to, f[1])
	}
	flat := make([]float64, cropW*cropH)
	for i := range flat {
		flat[i] = 150
	}
	if f := lipFlow([][]float64{flat, flat, nil, synthMouth(1)}); !math.IsNaN(f[1]) || !math.IsNaN(f[2]) || !math.IsNaN(f[3]) {
		t.Errorf("flat crop / missing crop: %v, want NaN", f)
	}
}

// TestLipGap: the lip gap height grows with the gap and is 0 on a flat crop.
func TestLipGap(t *testing.T) {
	prev := -1.0
	for _, g := range []float64{1, 2, 4, 6} {
		h := lipGap(synthMouth(g))
		if h <= prev {
			t.Errorf("gap %.0f rows: height %.2f, not above %.2f", g, h, prev)
		}
		prev = h
	}
	flat := make([]float64, cropW*cropH)
	if h := lipGap(flat); h != 0 {
		t.Errorf("flat crop: %.2f, want 0", h)
	}
}
