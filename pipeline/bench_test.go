package pipeline

import (
	"context"
	"testing"
)

func benchClip(b *testing.B) string {
	for _, c := range corpus(b) {
		if c.Name == "genuine_vox00373_mp4" { // 5.1 s, 640×480 H.264/AAC
			return c.File
		}
	}
	b.Fatal("benchmark clip missing")
	return ""
}

// BenchmarkVerdict measures one full liveness verdict at a time on a 5 s 640×480 clip;
// BenchmarkVerdict4 submits 4 at once to the engine slots (one per core, as the server).
// Besides ns/op both report latency p50/p95, verdicts/s, CPU-seconds per verdict (this
// process, the decode included), the model floor (inference CPU of the same verdicts, onnxrt.Timed)
// and their ratio, and the peak RSS.
func BenchmarkVerdict(b *testing.B)  { benchVerdicts(b, 1) }
func BenchmarkVerdict4(b *testing.B) { benchVerdicts(b, 4) }

func benchVerdicts(b *testing.B, c int) {
	v, s := engines(b)
	f := benchClip(b)
	l := NewLiveness(v, s, DefaultLivenessConfig())
	clip := []BenchClip{{Name: "vox00373", Path: f, Challenge: "7340", LipSync: off}}
	if _, err := l.Check(context.Background(), f, "7340", LivenessOptions{Preferences: 2, LipSync: &off}); err != nil {
		b.Fatal(err) // warm-up
	}
	b.ResetTimer()
	rep, err := BenchVerdicts(context.Background(), l, NewSlots(0), clip, c*b.N, c)
	if err != nil {
		b.Fatal(err)
	}
	if rep.Errors > 0 || rep.Results["VIDEO_OK"] != c*b.N {
		b.Fatalf("%+v", rep.Results)
	}
	b.ReportMetric(rep.P50MS, "p50-ms")
	b.ReportMetric(rep.P95MS, "p95-ms")
	b.ReportMetric(rep.PerSecond, "verdicts/s")
	b.ReportMetric(rep.CPUPer, "cpu-s/verdict")
	b.ReportMetric(rep.FloorPer, "floor-s/verdict")
	b.ReportMetric(rep.Ratio, "cpu/floor")
	b.ReportMetric(rep.PeakRSSMiB, "peakRSS_MiB")
	if testing.Verbose() {
		for _, m := range rep.Models {
			b.Logf("%-16s %5.1f runs %7.1f cpu-ms/verdict %6.2f ms/run", m.Model, m.Runs, m.CPUMSPer, m.CPUMSPerRun)
		}
		b.Logf("stages (mean ms): %v", rep.Stages)
	}
}

// The bench clip speaks digits its lips do not say (see the corpus): lip-sync off; the
// sync computation still runs and is timed.
var off = false
