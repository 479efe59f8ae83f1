package vision

import (
	"math/rand"
	"testing"
)

// laplacianVar gives, bit for bit, what quality and focusOf computed inline before it.
func TestLaplacianVarMatchesInline(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	g := make([]float32, 112*112)
	for i := range g {
		g[i] = float32(rng.Intn(256))
	}
	var sum, sum2, lum float64
	n := 0
	for y := 16; y < 104; y++ {
		for x := 24; x < 88; x++ {
			i := y*112 + x
			l := float64(4*g[i] - g[i-1] - g[i+1] - g[i-112] - g[i+112])
			sum += l
			sum2 += l * l
			n++
			lum += float64(g[i])
		}
	}
	m := sum / float64(n)
	wantVar, wantLum := sum2/float64(n)-m*m, float32(lum/float64(n)/255)
	v, l := laplacianVar(g, 112, 24, 16, 88, 104)
	if v != wantVar || float32(l/255) != wantLum {
		t.Fatalf("got %v %v, want %v %v", v, l, wantVar, wantLum)
	}
}
