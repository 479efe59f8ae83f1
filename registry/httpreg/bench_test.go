package httpreg_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/registry"
	"github.com/faceverify/faceverify/registry/httpreg"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
)

// BenchmarkLookup measures what a registry lookup adds to a comparison_type=1 verdict
// (p50/p99 over b.N sequential lookups):
//   - embedded: the sealed row read from SQLite (the template is stored);
//   - http: a signed loopback round trip to the contract server, checked response
//     signature, and the authoritative photo (an LFW 250×250 JPEG, ~15 KB, the size of an ID photo) turned into a template by
//     the real face engine;
//   - http-transport: the same without the template step.
func BenchmarkLookup(b *testing.B) {
	b.Run("embedded", func(b *testing.B) {
		box, _ := seal.New(seal.NewKey(1))
		st, err := sqlite.Open(filepath.Join(b.TempDir(), "fv.db"), box, faceverify.SystemClock{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		emb := make([]float32, 512)
		for i := 0; i < 2000; i++ {
			emb[i%512] = float32(i)
			st.PutRegistryEntry(context.Background(), &faceverify.RegistryEntry{Number: fmt.Sprintf("N%06d", i), Name: "张三", PhotoKey: "registry/x.jpg", Embedding: emb})
		}
		reg := registry.Embedded{Entries: st}
		measure(b, func(i int) error {
			a, err := reg.Lookup(context.Background(), registry.Query{Name: "张三", Number: fmt.Sprintf("N%06d", i%2000)})
			if err == nil && a.Outcome != registry.Match {
				err = fmt.Errorf("outcome %s", a.Outcome)
			}
			return err
		})
	})
	for _, withTemplate := range []bool{true, false} {
		name := "http"
		if !withTemplate {
			name = "http-transport"
		}
		b.Run(name, func(b *testing.B) {
			f := setup(b, withTemplate)
			c, err := httpreg.New(f.cfg)
			if err != nil {
				b.Fatal(err)
			}
			measure(b, func(i int) error {
				a, err := c.Lookup(context.Background(), registry.Query{Name: "张三", Number: numBench})
				if err == nil && a.Outcome != registry.Match {
					err = fmt.Errorf("outcome %s", a.Outcome)
				}
				return err
			})
		})
	}
}

func measure(b *testing.B, f func(i int) error) {
	d := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := f(i); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// cpuTime is the process's user+system CPU time: a figure that does not depend on how
// busy the shared machine is (wall-clock percentiles do).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
