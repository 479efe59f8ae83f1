package idcard

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify/idcard/gen"
	"github.com/faceverify/faceverify/vision"
)

// cornerError is the largest distance between located and true corners, as a fraction of
// the card's diagonal, allowing the 180° turn the page reader resolves.
func cornerError(q [4]pt, truth [4][2]float64) float64 {
	diag := math.Hypot(truth[2][0]-truth[0][0], truth[2][1]-truth[0][1])
	best := math.Inf(1)
	for _, shift := range []int{0, 2} {
		e := 0.0
		for k := 0; k < 4; k++ {
			t := truth[(k+shift)%4]
			e = math.Max(e, math.Hypot(q[k].X-t[0], q[k].Y-t[1]))
		}
		best = math.Min(best, e/diag)
	}
	return best
}

// TestLocatePhotos: on photographed cards (any rotation, tilt, clutter, hands, glare) the
// first candidate's corners lie within 6 % of the card's diagonal of the true ones.
func TestLocatePhotos(t *testing.T) {
	r := testReader(t)
	g := newGen(t, 5, false)
	n, good := 12, 0
	if s := os.Getenv("IDCARD_LOCATE_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	dump := os.Getenv("IDCARD_LOCATE_DUMP")
	for i := 0; i < n; i++ {
		c := g.Card()
		img := c.Front
		if i%2 == 1 {
			img = c.Back
		}
		data, shot := g.Shoot(img, gen.ShotOptions{})
		rgba, err := vision.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		cands := r.photoCandidates(rgba)
		e := cornerError(cands[0].Quad, shot.Corners)
		if e < 0.06 {
			good++
		}
		t.Logf("shot %d: error %.3f text=%v whole=%v rot %.0f tilt %.0f/%.0f bg %s hand %v cover %.2f", i, e, cands[0].Text, cands[0].Whole,
			shot.Rotation, shot.TiltX, shot.TiltY, shot.Background, shot.Hand, shot.Coverage)
		if dump != "" {
			os.WriteFile(filepath.Join(dump, fmt.Sprintf("shot%02d.jpg", i)), data, 0o644)
			os.WriteFile(filepath.Join(dump, fmt.Sprintf("shot%02d_rect.jpg", i)), encodeJPEG(warp(rgba, cands[0].Quad, CardW, CardH), 85), 0o644)
		}
	}
	t.Logf("located %d/%d within 6 %% of the diagonal", good, n)
	if good < n*9/10 {
		t.Errorf("located %d/%d photographed cards, want ≥ 90 %%", good, n)
	}
}
