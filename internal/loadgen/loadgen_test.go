package loadgen

import (
	"context"
	"testing"
)

// BenchmarkGetBizToken drives the real HTTP server (SQLite, loopback) with 32 concurrent
// clients; reported as req/s and latency percentiles.
func BenchmarkGetBizToken(b *testing.B) {
	ctx := context.Background()
	stop, base, code, err := StartServer(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	b.ResetTimer()
	res, err := Tokens(ctx, base, code, max(b.N, 100), 32)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.RPS, "req/s")
	b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
	if res.Errors > 0 {
		b.Fatalf("%d errors", res.Errors)
	}
}

func TestTokensSmoke(t *testing.T) {
	ctx := context.Background()
	stop, base, code, err := StartServer(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := Tokens(ctx, base, code, 200, 8)
	if err != nil || res.Errors != 0 || res.N != 200 {
		t.Fatalf("%+v %v", res, err)
	}
	if err := loopbackOnly("http://10.0.0.1:80"); err == nil {
		t.Fatal("private target accepted")
	}
}
