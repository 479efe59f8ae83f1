package stats

import "testing"

func TestStats(t *testing.T) {
	v := []float64{4, 1, 3, 2}
	if Mean(v) != 2.5 || Median(v) != 2.5 || Median(v[:3]) != 3 || Frac(v, func(x float64) bool { return x >= 3 }) != 0.5 {
		t.Errorf("mean %v median %v/%v frac %v", Mean(v), Median(v), Median(v[:3]), Frac(v, func(x float64) bool { return x >= 3 }))
	}
	if v[0] != 4 {
		t.Errorf("Median sorted its argument")
	}
	if Mean(nil) != 0 || Median(nil) != 0 || Frac(nil, nil) != 0 {
		t.Errorf("empty input")
	}
}
