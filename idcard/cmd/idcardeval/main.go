// Command idcardeval measures field-level exact match of the idcard reader on the labelled
// contest cards (../shared/datasets/idcards) or on generated cards (-gen N), and the time per
// card side. It prints one line per image with -v and a summary table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/idcard"
	"github.com/faceverify/faceverify/idcard/gen"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/vision"
)

func main() {
	dir := flag.String("data", filepath.Join(testenv.DatasetsDir(), "idcards"), "idcards dataset directory")
	n := flag.Int("gen", 0, "evaluate N generated cards instead of the dataset")
	seed := flag.Int64("seed", 1, "generator seed")
	faces := flag.String("faces", filepath.Join(testenv.DatasetsDir(), "faces", "lfw-dev"), "portrait photos for -gen")
	verbose := flag.Bool("v", false, "print every image")
	workers := flag.Int("workers", 1, "tesseract clients")
	engine := flag.String("engine", "", "OCR engine: ppocr | tesseract (default: ppocr when its models are installed)")
	threads := flag.Int("threads", 2, "ONNX Runtime threads per PP-OCR session")
	photo := flag.Int("photo", 0, "evaluate N generated cards photographed as phones do (per-condition table)")
	neg := flag.Int("neg", 0, "with -photo: also N of each negative (bad check digit, blank card, not a card, expired, no portrait)")
	out := flag.String("out", "", "with -photo: write every shot (JPEG + .json of its parameters) to this directory")
	faceCheck := flag.Bool("portrait", true, "with -photo: open the face engine (portrait check, no-portrait negative)")
	flag.Parse()
	cfg := idcard.Config{Workers: *workers, Engine: *engine, OCRThreads: *threads}
	if *photo > 0 && *faceCheck {
		eng, err := vision.Open(vision.Config{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer eng.Close()
		cfg.Vision = eng
	}
	r, err := idcard.Open(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer r.Close()
	if *photo > 0 {
		if err := photoEval(r, *photo, *neg, *seed, *faces, *out, *verbose); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	type sample struct {
		name  string
		data  []byte
		side  idcard.Side
		truth faceverify.IDCardResult
		sides []idcard.Side
		both  bool // a raw page shows both sides: every side is scored
	}
	var samples []sample
	if *n > 0 {
		g, err := gen.New(gen.Options{Seed: *seed, FacesDir: *faces})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for i := 0; i < *n; i++ {
			c := g.Card()
			front, back := g.Photo(c.Front), g.Photo(c.Back)
			samples = append(samples, sample{fmt.Sprintf("gen%03d", i), front, idcard.Front, c.Identity, []idcard.Side{idcard.Front}, false},
				sample{fmt.Sprintf("gen%03d", i), back, idcard.Back, c.Identity, []idcard.Side{idcard.Back}, false})
		}
	} else {
		labels, err := idcard.LoadLabels(*dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, l := range labels {
			data, err := os.ReadFile(l.Path)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			// Which side a crop shows is not labelled: read it as front, else as back. A raw
			// page holds both sides: both are read and scored.
			samples = append(samples, sample{filepath.Base(l.Path), data, "", l.Truth, []idcard.Side{idcard.Front, idcard.Back}, l.Kind == "raw_both_sides"})
		}
	}
	type stat struct{ ok, n int }
	stats := map[string]*stat{}
	results := map[string]int{}
	var total time.Duration
	reads := 0
	numValid := 0
	for _, s := range samples {
		got, seen := map[string]string{}, map[string]bool{}
		var res []string
		for _, side := range s.sides {
			t0 := time.Now()
			o, err := r.Read(context.Background(), side, s.data, 0)
			total += time.Since(t0)
			reads++
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			res = append(res, string(side)+":"+resultName(o.Result))
			results[string(side)+":"+resultName(o.Result)]++
			if o.Result == faceverify.ResultIDCardNotFrontside || o.Result == faceverify.ResultIDCardNotBackside {
				continue
			}
			fields := idcard.FrontFields
			if side == idcard.Back {
				fields = idcard.BackFields
			}
			for _, fn := range fields {
				want, have := idcard.FieldValue(s.truth, fn), idcard.FieldValue(o.Fields, fn)
				st := stats[fn]
				if st == nil {
					st = &stat{}
					stats[fn] = st
				}
				st.n++
				if want == have {
					st.ok++
				}
				got[fn] = have
				seen[fn] = true
			}
			if side == idcard.Front && idcard.ValidateNumber(o.Fields.Number) == nil {
				numValid++
			}
			if !s.both {
				break
			}
		}
		if *verbose {
			var diffs []string
			for _, fn := range idcard.FieldNames {
				if w, h := idcard.FieldValue(s.truth, fn), got[fn]; seen[fn] && w != h {
					diffs = append(diffs, fmt.Sprintf("%s: %q≠%q", fn, h, w))
				}
			}
			fmt.Printf("%-40s %s %s\n", s.name, strings.Join(res, ","), strings.Join(diffs, "; "))
		}
	}
	fmt.Printf("\n%-14s %s\n", "field", "exact match (on sides found)")
	for _, fn := range idcard.FieldNames {
		if st := stats[fn]; st != nil {
			fmt.Printf("%-14s %3d/%-3d %5.1f%%\n", fn, st.ok, st.n, 100*float64(st.ok)/float64(st.n))
		}
	}
	printResults(results)
	fmt.Printf("numbers passing strict validation: %d\n", numValid)
	fmt.Printf("reads: %d, mean %.0f ms per Read (engine %s, workers=%d)\n", reads, float64(total.Milliseconds())/float64(reads), r.Engine(), *workers)
}

func resultName(r faceverify.Result) string {
	if r.IsZero() {
		return "OK"
	}
	return r.Message
}
