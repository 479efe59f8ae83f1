package idcard

import (
	"math/rand/v2"
	"sort"
	"testing"
)

func TestNthSmallestIsTheSortedElement(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 1; n < 100; n++ {
		for rep := 0; rep < 20; rep++ {
			a := make([]float64, n)
			for i := range a {
				a[i] = float64(rng.IntN(12)) // many ties
				if rep%2 == 1 {
					a[i] = rng.Float64()
				}
			}
			s := append([]float64(nil), a...)
			sort.Float64s(s)
			k := rng.IntN(n)
			if got := nthSmallest(a, k); got != s[k] {
				t.Fatalf("n=%d k=%d: %v, want %v", n, k, got, s[k])
			}
		}
	}
}
