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
	if q50, q95, q0 := Quantile(v, 0.5), Quantile(v, 0.95), Quantile(v, 0); q50 != 3 || q95 != 4 || q0 != 1 || v[0] != 4 {
		t.Errorf("quantiles 0.5 / 0.95 / 0 = %v / %v / %v of %v", q50, q95, q0, v)
	}
	if Mean(nil) != 0 || Median(nil) != 0 || Frac(nil, nil) != 0 || Quantile(nil, 0.5) != 0 {
		t.Errorf("empty input")
	}
}

func TestAUC(t *testing.T) {
	for _, c := range []struct {
		pos, neg []float64
		want     float64
	}{
		{[]float64{3, 4}, []float64{1, 2}, 1},
		{[]float64{1, 2}, []float64{3, 4}, 0},
		{[]float64{1, 3}, []float64{2}, 0.5},
		{[]float64{2}, []float64{2, 1}, 0.75}, // a tie counts half
		{nil, []float64{1}, 0},
	} {
		if got := AUC(c.pos, c.neg); got != c.want {
			t.Errorf("AUC(%v, %v) = %v, want %v", c.pos, c.neg, got, c.want)
		}
	}
}
