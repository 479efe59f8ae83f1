package idcard

import (
	"context"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/idcard/gen"
)

// devShot replays `idcardeval -photo N -seed seed` up to card i and returns the shot of the
// given side with the card's identity (the eval draws a card, then shoots its front, then
// its back).
func devShot(t *testing.T, seed int64, i int, side Side) ([]byte, faceverify.IDCardResult) {
	t.Helper()
	g := newGen(t, seed, true)
	for k := 0; ; k++ {
		c := g.Card()
		f, _ := g.Shoot(c.Front, gen.ShotOptions{})
		b, _ := g.Shoot(c.Back, gen.ShotOptions{})
		if k == i {
			if side == Back {
				return b, c.Identity
			}
			return f, c.Identity
		}
	}
}

// TestPhotoFailureClasses reads, with real OCR, dev-seed photos (never the held-out seed
// 100) that each stood for one failure class of issue 16 before it was fixed:
//   - number far below the rows: a one-line-ish address leaves 4–5 line heights between the
//     last address row and the number; the text cluster stopped above the number, the
//     bottom edge was searched inside the card and the number read as the birth date
//     (seed 7 card 3: 20003118; seed 1 card 8 likewise);
//   - leaning rows: 民族满 stepped below 性别 女 on a tilted page and fell in a row of its own
//     (seed 7 card 1: nationality empty);
//   - Edited false alarm from box jitter: a one-character gender box starting 24 px early
//     (seed 7 card 10), label boxes 23 px apart in width (seed 1 card 8);
//   - validity separators lost (seed 7 card 24 back: 2016.120520365);
//   - the second address line overlapping the first on a leaning page is not the same row
//     (seed 1 card 18: 街道朝新路18号湖南省… when rows were grouped by nearest box alone).
func TestPhotoFailureClasses(t *testing.T) {
	if testing.Short() {
		t.Skip("real OCR on photographed cards")
	}
	r := testReader(t)
	for _, c := range []struct {
		name   string
		seed   int64
		card   int
		side   Side
		fields []string
	}{
		{"number far below the rows", 7, 3, Front, []string{"idcard_number", "name", "address", "birth"}},
		{"number far below the rows, hand over 出", 1, 8, Front, []string{"idcard_number", "address", "birth"}},
		{"leaning nationality", 7, 1, Front, []string{"nationality", "name", "idcard_number"}},
		{"gender box jitter", 7, 10, Front, []string{"idcard_number", "name"}},
		{"validity separators lost", 7, 24, Back, []string{"valid_date", "issued_by"}},
		{"address lines stacked on a leaning page", 1, 18, Front, []string{"address", "nationality", "idcard_number"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, truth := devShot(t, c.seed, c.card, c.side)
			o, err := r.Read(context.Background(), c.side, data, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, fn := range c.fields {
				if got, want := FieldValue(o.Fields, fn), FieldValue(truth, fn); got != want {
					t.Errorf("%s = %q, want %q", fn, got, want)
				}
			}
			if !o.Result.IsZero() {
				l := o.Fields.FrontLegality
				if c.side == Back {
					l = o.Fields.BackLegality
				}
				t.Errorf("result %s (retake %q, legality %+v), want accepted", o.Result.Message, o.Retake, l)
			}
		})
	}
}
