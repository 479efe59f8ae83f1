package vision

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/faceverify/faceverify/vision/calibreport"
)

// VendorPoints are the shipped operating points: every FaceID Lite confidence threshold
// and every Cloudauth verifyScore threshold, at their similarity thresholds.
func VendorPoints() []calibreport.Point {
	var pts []calibreport.Point
	add := func(vendor, name string, th map[string]float64, score func(string) float64) {
		fars := make([]string, 0, len(th))
		for f := range th {
			fars = append(fars, f)
		}
		sort.Slice(fars, func(i, j int) bool { return farValue(fars[i]) > farValue(fars[j]) })
		for _, f := range fars {
			pts = append(pts, calibreport.Point{Vendor: vendor, FAR: f, Sim: SimilarityThreshold(f), Score: score(f), ScoreName: name})
		}
	}
	add("FaceID Lite", "confidence", LiteThresholds, ConfidenceThreshold)
	add("Cloudauth", "verifyScore", CloudauthThresholds, VerifyScoreThreshold)
	return pts
}

func farValue(f string) float64 {
	var v float64
	fmt.Sscan(f, &v)
	return v
}

// writeCalibrationReport scores a labelled pairs file with e and writes the HTML report
// (calibreport) into dir; the shipped thresholds are measured, not changed.
func writeCalibrationReport(e *Engine, pairsPath, root, dir string, pick Pick, workers int, stdout io.Writer) error {
	pairs, err := ReadPairs(pairsPath, root)
	if err != nil {
		return fmt.Errorf("calibrate --report: %w", err)
	}
	scores, _ := e.ScorePairs(pairs, pick, workers)
	var in []calibreport.Pair
	failed := 0
	for _, s := range scores {
		if s.Err != nil {
			failed++
			continue
		}
		in = append(in, calibreport.Pair{Sim: s.Sim, Same: s.Same})
	}
	rep := calibreport.Measure(in, VendorPoints())
	rep.Title = "faceverify calibration report"
	rep.Source = filepath.Base(pairsPath)
	rep.Failed = failed
	if err := calibreport.Write(dir, rep, in); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"report": filepath.Join(dir, "index.html"), "genuine": rep.Genuine,
		"impostor": rep.Impostor, "failed": failed, "eer": rep.EER, "eer_similarity": rep.EERSim, "points": rep.Rows})
}
