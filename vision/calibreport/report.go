// Package calibreport renders a calibration report of a face matcher: ROC and DET curves
// and genuine/impostor histograms as PNG (gonum.org/v1/plot), and FAR/TAR at every vendor
// operating point, in one self-contained HTML page. It is pure Go and knows nothing of
// models: callers pass scored pairs and the thresholds. It must not fit or change any
// threshold (that is vision's calibrate).
package calibreport

import (
	"fmt"
	"html/template"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Pair is one scored, labelled pair.
type Pair struct {
	Sim  float64 // cosine similarity
	Same bool    // genuine (same person) pair
}

// Point is a vendor operating point: the similarity threshold shipped for a FAR, with the
// score the vendor reports at it.
type Point struct {
	Vendor    string  // "FaceID Lite" | "Cloudauth"
	FAR       string  // nominal FAR ("1e-4")
	Sim       float64 // similarity threshold
	Score     float64 // vendor score at the threshold (confidence / verifyScore)
	ScoreName string
}

// Row is a measured operating point.
type Row struct {
	Point
	MeasuredFAR float64 // impostor pairs at or above Sim / impostors
	TAR         float64 // genuine pairs at or above Sim / genuines
	FalseAccept int
	Impostors   int
	Backed      bool // enough impostor pairs to measure this FAR (≥ 1/FAR)
}

// Report is what Write measured.
type Report struct {
	Title     string
	Source    string
	Genuine   int
	Impostor  int
	Failed    int
	EER       float64
	EERSim    float64
	Rows      []Row
	Generated string
}

// Measure computes the report figures.
func Measure(pairs []Pair, points []Point) Report {
	gen, imp := split(pairs)
	r := Report{Genuine: len(gen), Impostor: len(imp), Generated: time.Now().UTC().Format(time.RFC3339)}
	for _, p := range points {
		fa := countAtLeast(imp, p.Sim)
		row := Row{Point: p, FalseAccept: fa, Impostors: len(imp), MeasuredFAR: ratio(fa, len(imp)), TAR: ratio(countAtLeast(gen, p.Sim), len(gen))}
		if f, err := strconv.ParseFloat(p.FAR, 64); err == nil && f > 0 {
			row.Backed = float64(len(imp)) >= 1/f
		}
		r.Rows = append(r.Rows, row)
	}
	// equal error rate over the observed thresholds
	best := math.Inf(1)
	for _, t := range thresholds(gen, imp) {
		far, frr := ratio(countAtLeast(imp, t), len(imp)), 1-ratio(countAtLeast(gen, t), len(gen))
		if d := math.Abs(far - frr); d < best {
			best, r.EER, r.EERSim = d, (far+frr)/2, t
		}
	}
	return r
}

func split(pairs []Pair) (gen, imp []float64) {
	for _, p := range pairs {
		if math.IsNaN(p.Sim) {
			continue
		}
		if p.Same {
			gen = append(gen, p.Sim)
		} else {
			imp = append(imp, p.Sim)
		}
	}
	sort.Float64s(gen)
	sort.Float64s(imp)
	return gen, imp
}

// countAtLeast counts values ≥ t in sorted xs.
func countAtLeast(xs []float64, t float64) int {
	return len(xs) - sort.SearchFloat64s(xs, t)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// thresholds are every distinct score (each is a possible operating point).
func thresholds(gen, imp []float64) []float64 {
	all := append(append([]float64{}, gen...), imp...)
	sort.Float64s(all)
	out := all[:0]
	for i, v := range all {
		if i == 0 || v != all[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Write measures pairs and writes index.html, roc.png, det.png and hist.png into dir.
func Write(dir string, r Report, pairs []Pair) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gen, imp := split(pairs)
	if len(gen) == 0 || len(imp) == 0 {
		return fmt.Errorf("calibreport: need genuine and impostor pairs (have %d and %d)", len(gen), len(imp))
	}
	floor := 0.5 / float64(len(imp)) // log axes: a zero rate is drawn at half a pair
	var roc, det plotter.XYs
	for _, t := range thresholds(gen, imp) {
		far := ratio(countAtLeast(imp, t), len(imp))
		tar := ratio(countAtLeast(gen, t), len(gen))
		roc = append(roc, plotter.XY{X: math.Max(far, floor), Y: tar})
		det = append(det, plotter.XY{X: math.Max(far, floor), Y: math.Max(1-tar, 0.5/float64(len(gen)))})
	}
	if err := curve(filepath.Join(dir, "roc.png"), "ROC", "false accept rate (log)", "true accept rate", roc, r.Rows, false); err != nil {
		return err
	}
	if err := curve(filepath.Join(dir, "det.png"), "DET", "false accept rate (log)", "false reject rate (log)", det, r.Rows, true); err != nil {
		return err
	}
	if err := histogram(filepath.Join(dir, "hist.png"), gen, imp, r.Rows); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		return err
	}
	if err := page.Execute(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	blue   = color.RGBA{31, 119, 180, 255}
	orange = color.RGBA{255, 127, 14, 255}
	grey   = color.RGBA{120, 120, 120, 255}
)

func curve(path, title, xl, yl string, xys plotter.XYs, rows []Row, logY bool) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = xl, yl
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, decades{}
	if logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, decades{}
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = blue
	l.Width = vg.Points(1.5)
	p.Add(l, plotter.NewGrid())
	p.Legend.Add("measured", l)
	// the vendor operating points: vertical lines at their nominal FAR
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.FAR] {
			continue
		}
		seen[r.FAR] = true
		f, err := strconv.ParseFloat(r.FAR, 64)
		if err != nil || f <= 0 {
			continue
		}
		lo, hi := p.Y.Min, p.Y.Max
		if logY {
			lo = math.Max(lo, 1e-6)
		}
		v, err := plotter.NewLine(plotter.XYs{{X: f, Y: math.Max(lo, 1e-6)}, {X: f, Y: math.Max(hi, 1)}})
		if err != nil {
			return err
		}
		v.Color, v.Dashes = grey, []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(v)
	}
	return p.Save(6*vg.Inch, 4.5*vg.Inch, path)
}

// decades marks every power of ten with a clean label (1e-04, 0.01, 1).
type decades struct{}

func (decades) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		v := math.Pow(10, e)
		if v < min*0.999 || v > max*1.001 {
			continue
		}
		ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 1, 64)})
	}
	return ts
}

func histogram(path string, gen, imp []float64, rows []Row) error {
	p := plot.New()
	p.Title.Text = "Similarity: genuine vs impostor pairs"
	p.X.Label.Text, p.Y.Label.Text = "cosine similarity", "density"
	for _, s := range []struct {
		name string
		v    []float64
		c    color.Color
	}{{"impostor", imp, orange}, {"genuine", gen, blue}} {
		h, err := plotter.NewHist(plotter.Values(s.v), 40)
		if err != nil {
			return err
		}
		h.Normalize(1)
		h.FillColor, h.LineStyle.Color = withAlpha(s.c, 120), s.c
		p.Add(h)
		p.Legend.Add(s.name, h)
	}
	for _, r := range rows {
		if r.Vendor != rows[0].Vendor {
			continue
		}
		v, err := plotter.NewLine(plotter.XYs{{X: r.Sim, Y: 0}, {X: r.Sim, Y: p.Y.Max}})
		if err != nil {
			return err
		}
		v.Color, v.Dashes = grey, []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(v)
	}
	return p.Save(6*vg.Inch, 4.5*vg.Inch, path)
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), a}
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return strconv.FormatFloat(100*v, 'f', 3, 64) + " %"
	},
	"f4": func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) },
	"sci": func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return strconv.FormatFloat(v, 'e', 2, 64)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
<style>body{font:14px sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}img{max-width:48%}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>Pairs: {{.Source}} — {{.Genuine}} genuine, {{.Impostor}} impostor{{if .Failed}}, {{.Failed}} not scored (no face){{end}}. Equal error rate {{pct .EER}} at similarity {{f4 .EERSim}}. Generated {{.Generated}}.</p>
<p><img src="roc.png" alt="ROC curve"> <img src="det.png" alt="DET curve"></p>
<p><img src="hist.png" alt="similarity histograms"></p>
<h2>At every vendor threshold</h2>
<table><tr><th>vendor</th><th>nominal FAR</th><th>similarity ≥</th><th>score ≥</th><th>measured FAR</th><th>false accepts</th><th>TAR</th><th>note</th></tr>
{{range .Rows}}<tr><td>{{.Vendor}}</td><td>{{.FAR}}</td><td>{{f4 .Sim}}</td><td>{{f4 .Score}} ({{.ScoreName}})</td><td>{{sci .MeasuredFAR}}</td><td>{{.FalseAccept}} / {{.Impostors}}</td><td>{{pct .TAR}}</td><td>{{if not .Backed}}too few impostor pairs to measure this FAR{{end}}</td></tr>
{{end}}</table>
</body></html>
`))
