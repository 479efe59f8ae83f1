package vision

import (
	"math"
	"strconv"
)

// Score is a calibrated comparison score.
type Score struct {
	Similarity  float64            `json:"similarity"`   // raw cosine similarity
	Confidence  float64            `json:"confidence"`   // FaceID Lite confidence 0–100
	VerifyScore float64            `json:"verify_score"` // Cloudauth verifyScore 0–100
	Thresholds  map[string]float64 `json:"thresholds"`   // confidence thresholds by FAR ("1e-3" … "1e-6")
}

// Vendor-published operating points. Calibration maps our cosine similarity so that these
// numbers mean the stated false accept rate on our measurements (see docs/calibration.md).
var (
	// FaceID Lite: confidence thresholds by FAR, exactly as the vendor publishes them.
	LiteThresholds = map[string]float64{"1e-3": 62.168713, "1e-4": 69.31534, "1e-5": 74.39926, "1e-6": 78.038055}
	// Cloudauth: verifyScore thresholds by FAR.
	CloudauthThresholds = map[string]float64{"1e-3": 70, "5e-4": 71.5, "1e-4": 75, "5e-5": 76.5, "1e-5": 80}
)

// knot is one point of a piecewise-linear map from similarity to score.
type knot struct{ sim, score float64 }

// interp evaluates the piecewise-linear map (knots sorted by sim), clamped to 0..100.
func interp(ks []knot, s float64) float64 {
	if math.IsNaN(s) {
		return 0
	}
	var v float64
	switch {
	case s <= ks[0].sim:
		v = ks[0].score
	case s >= ks[len(ks)-1].sim:
		v = ks[len(ks)-1].score
	default:
		for i := 1; i < len(ks); i++ {
			if s <= ks[i].sim {
				a, b := ks[i-1], ks[i]
				v = a.score + (s-a.sim)*(b.score-a.score)/(b.sim-a.sim)
				break
			}
		}
	}
	return math.Max(0, math.Min(100, v))
}

// farOrder lists the FAR operating points from loose to strict.
var farOrder = []string{"1e-3", "5e-4", "1e-4", "5e-5", "1e-5", "1e-6"}

var (
	liteKnots      = buildKnotsFloor(SimThresholds, LiteThresholds, simFloor)
	cloudauthKnots = buildKnotsFloor(SimThresholds, CloudauthThresholds, simFloor)
)

// Calibrate maps a cosine similarity to the vendors' scores.
func Calibrate(sim float64) Score {
	th := make(map[string]float64, len(LiteThresholds))
	for k, v := range LiteThresholds {
		th[k] = v
	}
	return Score{
		Similarity:  sim,
		Confidence:  round4(interp(liteKnots, sim)),
		VerifyScore: round4(interp(cloudauthKnots, sim)),
		Thresholds:  th,
	}
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// ConfidenceThreshold returns the FaceID confidence threshold for a FAR ("1e-3" … "1e-6");
// other FARs between 1e-3 and 1e-6 are interpolated on log(FAR); NaN if out of range.
func ConfidenceThreshold(far string) float64 {
	if v, ok := LiteThresholds[far]; ok {
		return v
	}
	return interpFAR(far, func(f string) float64 { return interp(liteKnots, SimThresholds[f]) })
}

// VerifyScoreThreshold returns the Cloudauth verifyScore threshold for a FAR.
func VerifyScoreThreshold(far string) float64 {
	if v, ok := CloudauthThresholds[far]; ok {
		return v
	}
	return interpFAR(far, func(f string) float64 { return interp(cloudauthKnots, SimThresholds[f]) })
}

// SimilarityThreshold returns the cosine similarity threshold for a FAR.
func SimilarityThreshold(far string) float64 {
	if v, ok := SimThresholds[far]; ok {
		return v
	}
	return interpFAR(far, func(f string) float64 { return SimThresholds[f] })
}

func interpFAR(far string, at func(string) float64) float64 {
	x, err := strconv.ParseFloat(far, 64)
	if err != nil || x <= 0 {
		return math.NaN()
	}
	lx := math.Log10(x)
	prev := ""
	for _, f := range farOrder {
		fx, _ := strconv.ParseFloat(f, 64)
		if math.Log10(fx) <= lx {
			if prev == "" {
				if lx == math.Log10(fx) {
					return at(f)
				}
				return math.NaN()
			}
			px, _ := strconv.ParseFloat(prev, 64)
			t := (lx - math.Log10(px)) / (math.Log10(fx) - math.Log10(px))
			return at(prev) + t*(at(f)-at(prev))
		}
		prev = f
	}
	return math.NaN()
}
