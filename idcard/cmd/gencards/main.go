// Command gencards writes synthetic ID card photos (front and back JPEGs plus a labels.csv in
// the dataset's format) for manual inspection and evaluation. The cards are synthetic: never
// use them as documents.
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/idcard/gen"
	"github.com/faceverify/faceverify/internal/testenv"
)

func main() {
	out := flag.String("out", "gencards", "output directory")
	n := flag.Int("n", 10, "number of cards")
	seed := flag.Int64("seed", 1, "random seed")
	faces := flag.String("faces", filepath.Join(testenv.DatasetsDir(), "faces", "lfw-dev"), "face photos (LFW layout)")
	variant := flag.Int("variant", 0, "0 genuine, 1 photocopy, 2 screen, 3 edited, 4 expired")
	raw := flag.Bool("raw", false, "also write the flat rendered sides (no camera simulation)")
	photo := flag.Bool("photo", false, "phone photos (issue 16 conditions: any rotation, tilt, clutter, hands, glare, blur); each image gets a .json of its shot beside it")
	flag.Parse()
	if *photo {
		if err := runPhoto(*out, *n, *seed, *faces); err != nil {
			fmt.Fprintln(os.Stderr, "gencards:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*out, *n, *seed, *faces, gen.Variant(*variant), *raw); err != nil {
		fmt.Fprintln(os.Stderr, "gencards:", err)
		os.Exit(1)
	}
}

func run(out string, n int, seed int64, faces string, v gen.Variant, raw bool) error {
	g, err := gen.New(gen.Options{Seed: seed, FacesDir: faces})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "labels.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write([]string{"image", "side", "name", "ethnicity", "sex", "birth_year", "birth_month", "birth_day", "address", "id_number", "issuing_authority", "validity"})
	for i := 0; i < n; i++ {
		c := g.CardVariant(v)
		id := c.Identity
		for _, s := range []struct {
			side string
			img  []byte
		}{{"front", g.Photo(c.Front)}, {"back", g.Photo(c.Back)}} {
			name := fmt.Sprintf("card%04d_%s.jpg", i, s.side)
			if err := os.WriteFile(filepath.Join(out, name), s.img, 0o644); err != nil {
				return err
			}
			w.Write([]string{name, s.side, id.Name, id.Nationality, id.Gender, id.BirthYear, id.BirthMonth, id.BirthDay,
				id.Address, id.Number, id.IssuedBy, id.ValidDateStart + "-" + id.ValidDateEnd})
		}
		if raw {
			os.WriteFile(filepath.Join(out, fmt.Sprintf("card%04d_front_flat.jpg", i)), gen.EncodeJPEG(c.Front, 95), 0o644)
			os.WriteFile(filepath.Join(out, fmt.Sprintf("card%04d_back_flat.jpg", i)), gen.EncodeJPEG(c.Back, 95), 0o644)
		}
	}
	w.Flush()
	return w.Error()
}

// runPhoto writes phone-photo shots of n cards, each with its shot parameters and the
// identity as JSON beside the image.
func runPhoto(out string, n int, seed int64, faces string) error {
	g, err := gen.New(gen.Options{Seed: seed, FacesDir: faces})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		c := g.Card()
		for _, side := range []string{"front", "back"} {
			img := c.Front
			if side == "back" {
				img = c.Back
			}
			data, shot := g.Shoot(img, gen.ShotOptions{})
			shot.Side = side
			name := fmt.Sprintf("photo%04d_%s", i, side)
			if err := os.WriteFile(filepath.Join(out, name+".jpg"), data, 0o644); err != nil {
				return err
			}
			j, _ := json.MarshalIndent(struct {
				Shot     gen.Shot                `json:"shot"`
				Identity faceverify.IDCardResult `json:"identity"`
			}{shot, c.Identity}, "", "  ")
			if err := os.WriteFile(filepath.Join(out, name+".json"), j, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
