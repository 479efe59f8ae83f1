// Package stats holds the few summary statistics the pipeline and its evaluation tools
// share (mean, median, quantiles, share of values meeting a condition, ROC area). Pure functions over float64
// slices; no allocation beyond Median's and Quantile's sorted copies. It must not grow models or I/O.
package stats

import "sort"

// Mean is the arithmetic mean (0 for no values).
func Mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// Median is the middle value, or the mean of the two middle values (0 for no values).
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Quantile is the value at rank ⌊p·n⌋ of the sorted values (p = 0.5: the upper median,
// 0.95: the 95th percentile as latency reports give it; 0 for no values). v is not changed.
func Quantile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[min(len(s)-1, max(0, int(p*float64(len(s)))))]
}

// Frac is the share of the values for which f holds (0 for no values).
func Frac(v []float64, f func(float64) bool) float64 {
	if len(v) == 0 {
		return 0
	}
	n := 0
	for _, x := range v {
		if f(x) {
			n++
		}
	}
	return float64(n) / float64(len(v))
}

// AUC is the area under the ROC curve: the probability that a random positive scores above
// a random negative, ties counting half (0 when either side is empty).
func AUC(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return 0
	}
	var s float64
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				s++
			case p == n:
				s += 0.5
			}
		}
	}
	return s / float64(len(pos)*len(neg))
}
