package calibreport

import (
	"math"
	"testing"
)

func TestMeasure(t *testing.T) {
	var pairs []Pair
	for i := 0; i < 10; i++ { // genuine 0.50 … 0.95
		pairs = append(pairs, Pair{Sim: 0.5 + 0.05*float64(i), Same: true})
	}
	for i := 0; i < 1000; i++ { // impostors 0.000 … 0.999
		pairs = append(pairs, Pair{Sim: float64(i) / 1000})
	}
	pairs = append(pairs, Pair{Sim: math.NaN(), Same: true}) // unscored: ignored
	r := Measure(pairs, []Point{{Vendor: "v", FAR: "1e-2", Sim: 0.99}, {Vendor: "v", FAR: "1e-4", Sim: 0.7}})
	if r.Genuine != 10 || r.Impostor != 1000 {
		t.Fatalf("counts %d %d", r.Genuine, r.Impostor)
	}
	a, b := r.Rows[0], r.Rows[1]
	if a.FalseAccept != 10 || a.MeasuredFAR != 0.01 || a.TAR != 0 || !a.Backed {
		t.Errorf("row 0: %+v", a)
	}
	if b.FalseAccept != 300 || math.Abs(b.TAR-0.6) > 1e-9 || b.Backed {
		t.Errorf("row 1: %+v", b)
	}
	if r.EER <= 0 || r.EER >= 0.5 {
		t.Errorf("EER %v", r.EER)
	}
}
