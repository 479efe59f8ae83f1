package vision

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/faceverify/faceverify/internal/csvfile"
	"github.com/faceverify/faceverify/internal/onnxrt"
	"github.com/faceverify/faceverify/internal/stats"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// engineFlags registers --models, --ort-lib and --threads on fs.
func engineFlags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.ModelDir, "models", DefaultModelDir(), "directory of fr_*.onnx (env FACEVERIFY_MODELS)")
	fs.StringVar(&c.LibPath, "ort-lib", DefaultORTLib(), "path of libonnxruntime.so.1 (env FACEVERIFY_ORT_LIB)")
	fs.IntVar(&c.Threads, "threads", 1, "ONNX Runtime intra-op threads per inference")
	return c
}

func datasetsDir() string {
	if d := os.Getenv("FACEVERIFY_DATASETS"); d != "" {
		return d
	}
	return filepath.Join("..", "shared", "datasets")
}

// RunCompare implements `faceverify compare`:
//
//	compare [flags] A.jpg B.jpg            one JSON object with the calibrated scores
//	compare [flags] --pairs P [--root DIR] one JSON line per pair, then a summary line
//
// The pairs file is LFW pairs.txt (or a CSV file_x,file_y,Decision such as deepface's
// master.csv). --pick chooses the face of multi-face photos: largest (default) or central.
func RunCompare(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stdout)
	cfg := engineFlags(fs)
	pairsPath := fs.String("pairs", "", "pairs file (LFW pairs.txt or CSV file_x,file_y,Decision)")
	root := fs.String("root", "", "image root for --pairs (default: the pairs file's directory)")
	pick := fs.String("pick", "", "face to use in multi-face photos: largest|central (default: central for LFW pairs.txt, whose subject is the centred face; largest otherwise)")
	workers := fs.Int("workers", 2, "parallel images for --pairs")
	quiet := fs.Bool("summary-only", false, "with --pairs, print only the summary line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := Pick(*pick)
	if p == "" {
		p = PickLargest
		if *pairsPath != "" && !strings.HasSuffix(strings.ToLower(*pairsPath), ".csv") {
			p = PickCentral
		}
	}
	if p != PickLargest && p != PickCentral {
		return fmt.Errorf("compare: --pick must be largest or central")
	}
	if *pairsPath == "" && fs.NArg() != 2 {
		return errors.New("usage: compare [flags] A.jpg B.jpg | compare [flags] --pairs pairs.txt [--root DIR]")
	}
	e, err := Open(*cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	enc := json.NewEncoder(stdout)
	if *pairsPath == "" {
		res := e.embedFiles(fs.Args(), p, 2)
		a, b := res[fs.Arg(0)], res[fs.Arg(1)]
		if a.Err != nil {
			return fmt.Errorf("compare: %s: %w", fs.Arg(0), a.Err)
		}
		if b.Err != nil {
			return fmt.Errorf("compare: %s: %w", fs.Arg(1), b.Err)
		}
		sc := Calibrate(Similarity(a.Emb, b.Emb))
		return enc.Encode(map[string]any{
			"faces_a": a.Faces, "faces_b": b.Faces,
			"similarity": round4(sc.Similarity), "confidence": sc.Confidence,
			"verify_score": sc.VerifyScore, "thresholds": sc.Thresholds,
		})
	}
	pairs, err := ReadPairs(*pairsPath, *root)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	start := time.Now()
	cpu0, m0 := onnxrt.ProcessCPU(), onnxrt.Snapshot()
	scores, nimg := e.ScorePairs(pairs, p, *workers)
	secs := time.Since(start).Seconds()
	cpu, floor := onnxrt.ProcessCPU()-cpu0, onnxrt.Snapshot().Since(m0).Total()
	base := *root
	if base == "" {
		base = filepath.Dir(*pairsPath)
	}
	rel := func(s string) string {
		if r, err := filepath.Rel(base, s); err == nil {
			return r
		}
		return s
	}
	if !*quiet {
		for i, s := range scores {
			line := map[string]any{"pair": i, "fold": s.Fold, "a": rel(s.A), "b": rel(s.B), "same": s.Same,
				"faces_a": s.FacesA, "faces_b": s.FacesB}
			if s.Err != nil {
				line["error"] = s.Err.Error()
			} else {
				sc := Calibrate(s.Sim)
				line["similarity"] = round4(s.Sim)
				line["confidence"] = sc.Confidence
				line["verify_score"] = sc.VerifyScore
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
	}
	sum := Summarize(scores)
	sum.Seconds = math.Round(secs*100) / 100
	sum.Images = nimg
	if secs > 0 {
		sum.ImagesPerSec = math.Round(float64(nimg)/secs*10) / 10
	}
	if nimg > 0 {
		sum.CPUMSPerImage = math.Round(float64(cpu)/1e6/float64(nimg)*10) / 10
		sum.FloorMSPerImage = math.Round(float64(floor)/1e6/float64(nimg)*10) / 10
	}
	return enc.Encode(sum)
}

// RunAntispoof implements `faceverify antispoof`:
//
//	antispoof [flags] IMG...        one JSON line per image: live probability of the largest face
//	antispoof [flags] --eval DIR    evaluate on DIR/labels.csv (columns path|file and label
//	                                live|spoof); prints APCER at BPCER 5 % and other figures
func RunAntispoof(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("antispoof", flag.ContinueOnError)
	fs.SetOutput(stdout)
	cfg := engineFlags(fs)
	eval := fs.String("eval", "", "directory with labels.csv to evaluate")
	thr := fs.Float64("threshold", 0.5, "live threshold reported in --eval and used for the verdict")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *eval == "" && fs.NArg() == 0 {
		return errors.New("usage: antispoof [flags] IMG... | antispoof [flags] --eval DIR")
	}
	e, err := Open(*cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	enc := json.NewEncoder(stdout)
	if *eval == "" {
		for _, f := range fs.Args() {
			line := map[string]any{"file": f}
			live, n, err := e.liveFile(f)
			line["faces"] = n
			if err != nil {
				line["error"] = err.Error()
			} else {
				line["live"] = round4(float64(live))
				line["spoof"] = round4(1 - float64(live))
				line["verdict"] = map[bool]string{true: "live", false: "spoof"}[float64(live) >= *thr]
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		return nil
	}
	items, err := readLiveLabels(*eval)
	if err != nil {
		return err
	}
	var liveS, spoofS []float64
	errs := 0
	for _, it := range items {
		live, _, err := e.liveFile(it.path)
		if err != nil {
			errs++
			live = 0 // no face: rejected
		}
		if it.live {
			liveS = append(liveS, float64(live))
		} else {
			spoofS = append(spoofS, float64(live))
		}
	}
	return enc.Encode(SpoofSummary(liveS, spoofS, errs, *thr))
}

func (e *Engine) liveFile(path string) (float32, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	img, err := Decode(data)
	if err != nil {
		return 0, 0, errors.New("not an image")
	}
	faces, err := e.Faces(img, NeedLive)
	if err != nil {
		return 0, 0, err
	}
	if len(faces) == 0 {
		return 0, 0, errors.New("no face")
	}
	return faces[0].Live, len(faces), nil
}

type liveItem struct {
	path string
	live bool
}

func readLiveLabels(dir string) ([]liveItem, error) {
	recs, err := csvfile.Read(filepath.Join(dir, "labels.csv"))
	if err != nil {
		return nil, err
	}
	if len(recs) < 2 {
		return nil, errors.New("labels.csv: no rows")
	}
	ip, il := -1, -1
	for i, h := range recs[0] {
		switch strings.ToLower(h) {
		case "path", "file":
			ip = i
		case "label":
			il = i
		}
	}
	if ip < 0 || il < 0 {
		return nil, errors.New("labels.csv: want columns path|file and label")
	}
	var out []liveItem
	for _, r := range recs[1:] {
		if strings.Contains(r[ip], "_result") { // annotated copies in silent-face-sample
			continue
		}
		out = append(out, liveItem{filepath.Join(dir, r[ip]), r[il] == "live"})
	}
	return out, nil
}

// SpoofResult summarises a presentation-attack evaluation (ISO/IEC 30107-3 terms):
// APCER = attacks accepted as live, BPCER = bona fide (live) rejected.
type SpoofResult struct {
	Summary        bool    `json:"summary"`
	Live           int     `json:"bona_fide"`
	Spoof          int     `json:"attacks"`
	NoFace         int     `json:"no_face"`
	ThrAtBPCER5    float64 `json:"threshold_at_bpcer_5"`
	APCERAtBPCER5  float64 `json:"apcer_at_bpcer_5"`
	APCERAtBPCER10 float64 `json:"apcer_at_bpcer_10"`
	EER            float64 `json:"eer"`
	AUC            float64 `json:"auc"`
	Threshold      float64 `json:"threshold"`
	APCER          float64 `json:"apcer"`
	BPCER          float64 `json:"bpcer"`
}

// SpoofSummary computes the figures from live scores of bona fide and attack samples.
func SpoofSummary(live, spoof []float64, noFace int, thr float64) SpoofResult {
	r := SpoofResult{Summary: true, Live: len(live), Spoof: len(spoof), NoFace: noFace, Threshold: thr}
	if len(live) == 0 || len(spoof) == 0 {
		return r
	}
	sl := append([]float64(nil), live...)
	sort.Float64s(sl)
	apcer := func(t float64) float64 {
		n := 0
		for _, s := range spoof {
			if s >= t {
				n++
			}
		}
		return float64(n) / float64(len(spoof))
	}
	bpcer := func(t float64) float64 {
		n := 0
		for _, s := range live {
			if s < t {
				n++
			}
		}
		return float64(n) / float64(len(live))
	}
	atB := func(b float64) float64 { // largest threshold with BPCER <= b
		k := int(math.Floor(b * float64(len(sl))))
		return sl[k]
	}
	r.ThrAtBPCER5 = round4(atB(0.05))
	r.APCERAtBPCER5 = round4(apcer(atB(0.05)))
	r.APCERAtBPCER10 = round4(apcer(atB(0.10)))
	r.APCER = round4(apcer(thr))
	r.BPCER = round4(bpcer(thr))
	// EER and AUC
	r.AUC = round4(stats.AUC(live, spoof))
	best := 2.0
	for _, t := range append(append([]float64{}, live...), spoof...) {
		a, b := apcer(t), bpcer(t)
		if d := math.Abs(a - b); d < best {
			best = d
			r.EER = round4((a + b) / 2)
		}
	}
	return r
}
