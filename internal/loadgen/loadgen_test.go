package loadgen

import (
	"context"
	"testing"
)

// startServer starts the real HTTP server (SQLite, loopback) for tb, stopped at its end; it
// returns the base URL and the tenant's APPCODE.
func startServer(tb testing.TB) (base, code string) {
	tb.Helper()
	stop, base, code, err := StartServer(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	return base, code
}

// BenchmarkGetBizToken drives the real HTTP server (SQLite, loopback) with 32 concurrent
// clients; reported as req/s and latency percentiles.
func BenchmarkGetBizToken(b *testing.B) {
	base, code := startServer(b)
	b.ResetTimer()
	res, err := Tokens(context.Background(), base, code, max(b.N, 100), 32)
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
	base, code := startServer(t)
	res, err := Tokens(context.Background(), base, code, 200, 8)
	if err != nil || res.Errors != 0 || res.N != 200 {
		t.Fatalf("%+v %v", res, err)
	}
	if err := loopbackOnly("http://10.0.0.1:80"); err == nil {
		t.Fatal("private target accepted")
	}
}
