package vision

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CalibrationReport is what RunCalibrate measured and fitted.
type CalibrationReport struct {
	Images          int                       `json:"images"`
	ImagesFailed    int                       `json:"images_failed"`
	Identities      int                       `json:"identities"`
	ImpostorPairs   int                       `json:"impostor_pairs"`
	GenuinePairs    int                       `json:"genuine_pairs"`
	TailFit         map[string]float64        `json:"tail_fit"` // exponential tail: u, beta, top fraction
	Points          map[string]CalibrationFAR `json:"points"`
	SimFloor        float64                   `json:"sim_floor"`
	DeepfaceFAR     map[string]float64        `json:"deepface_far,omitempty"`
	DeepfaceTAR     map[string]float64        `json:"deepface_tar,omitempty"`
	DeepfacePairs   [2]int                    `json:"deepface_pairs_same_diff,omitempty"`
	GeneratedAt     string                    `json:"generated_at"`
	EmbeddingConfig string                    `json:"embedding"`
}

// CalibrationFAR is one operating point.
type CalibrationFAR struct {
	FAR           float64 `json:"far"`
	Empirical     float64 `json:"sim_empirical"`      // threshold from the impostor pairs alone (NaN if too few)
	TailFit       float64 `json:"sim_tail_fit"`       // threshold from the fitted tail
	Threshold     float64 `json:"sim_threshold"`      // shipped
	Source        string  `json:"source"`             // empirical | max(empirical, tail) | tail
	ExpectedFA    float64 `json:"expected_impostors"` // impostor pairs expected above the threshold (FAR × pairs)
	MeasuredFA    int     `json:"impostors_above"`    // impostor pairs actually above the shipped threshold
	TAR           float64 `json:"tar"`                // genuine pairs at or above the threshold
	Confidence    float64 `json:"confidence"`         // FaceID confidence at the threshold
	VerifyScore   float64 `json:"verify_score"`       // Cloudauth verifyScore at the threshold
	BackingImpost int     `json:"-"`
}

// RunCalibrate implements `faceverify calibrate` / `go run ./vision/cmd/calibrate`: embeds
// every LFW dev image (central face), scores all cross-identity pairs (impostors) and all
// same-identity pairs (genuine), fits the similarity thresholds for each FAR, writes the Go
// table (--out) and prints the report as JSON.
func RunCalibrate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	cfg := engineFlags(fs)
	lfw := fs.String("lfw", filepath.Join(datasetsDir(), "faces", "lfw-dev"), "LFW folder (<Name>/<Name>_NNNN.jpg)")
	deepface := fs.String("deepface", filepath.Join(datasetsDir(), "faces", "deepface", "master.csv"), "deepface master.csv for a cross-check (optional)")
	out := fs.String("out", "", "write the fitted table to this Go file (e.g. vision/calib_table.go)")
	workers := fs.Int("workers", 2, "parallel images")
	report := fs.String("report", "", "write an HTML report (ROC, DET, histograms, FAR/TAR at every vendor threshold) of --pairs into this directory, without refitting")
	pairsPath := fs.String("pairs", "", "labelled pairs for --report (LFW pairs.txt or CSV file_x,file_y,Decision; default --deepface)")
	root := fs.String("root", "", "image root for --pairs (default: the pairs file's directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := Open(*cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	if *report != "" { // calibrate_report.go
		p := *pairsPath
		if p == "" {
			p = *deepface
		}
		pick := PickCentral // LFW pairs.txt: the subject is the centred face
		if strings.HasSuffix(strings.ToLower(p), ".csv") {
			pick = PickLargest
		}
		return writeCalibrationReport(e, p, *root, *report, pick, *workers, stdout)
	}
	files, err := filepath.Glob(filepath.Join(*lfw, "*", "*.jpg"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("calibrate: no images under %s", *lfw)
	}
	sort.Strings(files)
	res := e.embedFiles(files, PickCentral, *workers)
	var embs [][]float32
	var ids []int
	idOf := map[string]int{}
	rep := CalibrationReport{GeneratedAt: time.Now().UTC().Format(time.RFC3339),
		EmbeddingConfig: "central face, 2-pass landmarks, 5-point similarity alignment, BGR, flip fusion"}
	for _, f := range files {
		r := res[f]
		if r.Err != nil {
			rep.ImagesFailed++
			continue
		}
		name := filepath.Base(filepath.Dir(f))
		if _, ok := idOf[name]; !ok {
			idOf[name] = len(idOf)
		}
		embs = append(embs, r.Emb)
		ids = append(ids, idOf[name])
	}
	rep.Images, rep.Identities = len(embs), len(idOf)
	var imp, gen []float64
	for i := range embs {
		for j := i + 1; j < len(embs); j++ {
			s := dot(embs[i], embs[j])
			if ids[i] == ids[j] {
				gen = append(gen, s)
			} else {
				imp = append(imp, s)
			}
		}
	}
	rep.ImpostorPairs, rep.GenuinePairs = len(imp), len(gen)
	sort.Sort(sort.Reverse(sort.Float64Slice(imp)))
	sims, floor, tail := fitThresholds(imp)
	rep.TailFit = tail
	rep.SimFloor = floor
	rep.Points = map[string]CalibrationFAR{}
	for _, far := range farOrder {
		p := sims[far]
		p.MeasuredFA = countAbove(imp, p.Threshold)
		p.TAR = round4(fracAbove(gen, p.Threshold))
		rep.Points[far] = p
	}
	thr := map[string]float64{}
	for k, p := range rep.Points {
		thr[k] = p.Threshold
	}
	// scores at the thresholds with the new table
	lk, ck := buildKnotsFloor(thr, LiteThresholds, floor), buildKnotsFloor(thr, CloudauthThresholds, floor)
	for k, p := range rep.Points {
		p.Confidence = round4(interp(lk, p.Threshold))
		p.VerifyScore = round4(interp(ck, p.Threshold))
		rep.Points[k] = p
	}
	if *deepface != "" {
		if pairs, err := ReadPairs(*deepface, ""); err == nil {
			scores, _ := e.ScorePairs(pairs, PickLargest, *workers)
			var same, diff []float64
			for _, s := range scores {
				if s.Err != nil {
					continue
				}
				if s.Same {
					same = append(same, s.Sim)
				} else {
					diff = append(diff, s.Sim)
				}
			}
			rep.DeepfacePairs = [2]int{len(same), len(diff)}
			rep.DeepfaceFAR, rep.DeepfaceTAR = map[string]float64{}, map[string]float64{}
			for _, far := range farOrder {
				rep.DeepfaceFAR[far] = round4(fracAbove(diff, thr[far]))
				rep.DeepfaceTAR[far] = round4(fracAbove(same, thr[far]))
			}
		}
	}
	if *out != "" {
		if err := writeTable(*out, thr, floor, rep); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

func countAbove(desc []float64, t float64) int {
	return sort.Search(len(desc), func(i int) bool { return desc[i] < t })
}

func fracAbove(x []float64, t float64) float64 {
	if len(x) == 0 {
		return 0
	}
	n := 0
	for _, v := range x {
		if v >= t {
			n++
		}
	}
	return float64(n) / float64(len(x))
}

// minBacking is the number of impostor pairs expected above a threshold for the empirical
// quantile to be used on its own; below it the fitted tail takes over (never lowering it).
const minBacking = 50

// fitThresholds returns the threshold per FAR from impostor similarities sorted in
// descending order. The upper tail (top 0.1 % of impostors) is fitted with an exponential
// (generalised Pareto with shape 0): cosine similarity is bounded, so its true tail falls off
// faster and the extrapolation errs on the strict side.
func fitThresholds(desc []float64) (map[string]CalibrationFAR, float64, map[string]float64) {
	n := float64(len(desc))
	m := int(math.Max(100, 1e-3*n))
	if m >= len(desc) {
		m = len(desc) - 1
	}
	u := desc[m]
	var beta float64
	for _, v := range desc[:m] {
		beta += v - u
	}
	beta /= float64(m)
	out := map[string]CalibrationFAR{}
	for _, far := range farOrder {
		var f float64
		fmt.Sscan(far, &f)
		p := CalibrationFAR{FAR: f, ExpectedFA: round4(f * n), Empirical: math.NaN()}
		p.TailFit = u + beta*math.Log(float64(m)/(n*f))
		k := int(math.Floor(f * n)) // impostors allowed at or above the threshold
		if k >= 1 {
			p.Empirical = (desc[k-1] + desc[k]) / 2
		}
		switch {
		case f*n >= minBacking:
			p.Threshold, p.Source = p.Empirical, "empirical"
		case k >= 1:
			p.Threshold, p.Source = math.Max(p.Empirical, p.TailFit), "max(empirical, tail)"
		default:
			p.Threshold, p.Source = p.TailFit, "tail"
		}
		p.Threshold = math.Ceil(p.Threshold*1e4) / 1e4
		p.TailFit = round4(p.TailFit)
		if !math.IsNaN(p.Empirical) {
			p.Empirical = round4(p.Empirical)
		}
		out[far] = p
	}
	// thresholds must increase as FAR decreases
	prev := -1.0
	for _, far := range farOrder {
		p := out[far]
		if p.Threshold <= prev {
			p.Threshold = prev + 1e-4
			out[far] = p
		}
		prev = p.Threshold
	}
	// score 0 at the 0.1 % lowest impostor similarity
	floor := math.Floor(desc[int(0.999*n)]*100) / 100
	return out, floor, map[string]float64{"u": round4(u), "beta": round4(beta), "top_pairs": float64(m)}
}

func buildKnotsFloor(simAt, scores map[string]float64, floor float64) []knot {
	ks := []knot{{floor, 0}}
	for _, far := range farOrder {
		if sc, ok := scores[far]; ok {
			ks = append(ks, knot{simAt[far], sc})
		}
	}
	return append(ks, knot{1, 100})
}

func writeTable(path string, thr map[string]float64, floor float64, rep CalibrationReport) error {
	var b bytes.Buffer
	b.WriteString("// Code generated by `go run ./vision/cmd/calibrate -out vision/calib_table.go`; DO NOT EDIT.\n\n")
	b.WriteString("package vision\n\n")
	fmt.Fprintf(&b, "// SimThresholds are the cosine similarity thresholds fitted for each FAR on %d impostor\n", rep.ImpostorPairs)
	fmt.Fprintf(&b, "// pairs (%d LFW dev images, %d identities); see docs/calibration.md.\n", rep.Images, rep.Identities)
	b.WriteString("var SimThresholds = map[string]float64{\n")
	for _, far := range farOrder {
		fmt.Fprintf(&b, "\t%q: %.4f, // %s\n", far, thr[far], rep.Points[far].Source)
	}
	b.WriteString("}\n\n// simFloor is the similarity that maps to score 0 (0.1 % impostor quantile).\n")
	fmt.Fprintf(&b, "const simFloor = %.2f\n", floor)
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
