package idcard

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// TestConvexHullColumns: the hull taken from each column's extremes is the hull of all the
// points (random blobs of pixel centres, as components gives them), and points off the
// pixel grid still get the full hull.
func TestConvexHullColumns(t *testing.T) {
	full := func(ps []pt) []pt { // the reference: every point sorted, monotone chain
		q := append([]pt{}, ps...)
		sort.Slice(q, func(i, j int) bool { return q[i].X < q[j].X || q[i].X == q[j].X && q[i].Y < q[j].Y })
		off := make([]pt, len(q))
		for i, p := range q {
			off[i] = pt{p.X + 0.25, p.Y} // off the grid: convexHull takes its sorting path
		}
		h := convexHull(off)
		for i := range h {
			h[i].X -= 0.25
		}
		return h
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		w, h := 1+rng.IntN(40), 1+rng.IntN(40)
		var ps []pt
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if rng.Float64() < 0.3 {
					ps = append(ps, pt{float64(x) + 0.5, float64(y) + 0.5})
				}
			}
		}
		a, b := convexHull(ps), full(ps)
		if len(a) != len(b) {
			t.Fatalf("blob %d (%d points): hull of %d points, want %d", n, len(ps), len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("blob %d: hull %v, want %v", n, a, b)
			}
		}
	}
}
