package pipeline

import (
	"context"
	"sync"
	"syscall"
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

// BenchmarkVerdict measures the wall time of one full liveness verdict on a 5 s 640×480 clip.
func BenchmarkVerdict(b *testing.B) {
	v, s := engines(b)
	f := benchClip(b)
	l := NewLiveness(v, s, DefaultLivenessConfig())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := l.Check(context.Background(), f, "7340", LivenessOptions{Preferences: 2, LipSync: &off})
		if err != nil || rep.Result.Message != "VIDEO_OK" {
			b.Fatalf("%v %v %v", err, rep.Result, rep.Scores)
		}
	}
	reportRSS(b)
}

// BenchmarkVerdict4 runs 4 clips concurrently; verdicts/s is the throughput.
func BenchmarkVerdict4(b *testing.B) {
	v, s := engines(b)
	f := benchClip(b)
	l := NewLiveness(v, s, DefaultLivenessConfig())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for k := 0; k < 4; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := l.Check(context.Background(), f, "7340", LivenessOptions{Preferences: 2, LipSync: &off}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(4*float64(b.N)/b.Elapsed().Seconds(), "verdicts/s")
	reportRSS(b)
}

// The bench clip speaks digits its lips do not say (see the corpus): lip-sync off; the
// sync computation still runs and is timed.
var off = false

func reportRSS(b *testing.B) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peakRSS_MiB")
	}
}
