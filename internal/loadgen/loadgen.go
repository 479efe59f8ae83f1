// Package loadgen holds the load generators behind `faceverify bench`. They start the
// real service in-process on a loopback port (or target --url, which must be loopback)
// and report throughput and latency percentiles. They never send traffic off the machine.
package loadgen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/app"
)

// Run dispatches `bench <name>`.
func Run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "tokens" {
		return errors.New("usage: faceverify bench tokens [--n 20000] [--c 32] [--url http://127.0.0.1:PORT --appcode CODE]")
	}
	fs := flag.NewFlagSet("bench tokens", flag.ContinueOnError)
	n := fs.Int("n", 20000, "requests")
	c := fs.Int("c", 32, "concurrent clients")
	target := fs.String("url", "", "loopback base URL of a running server (default: start one in-process)")
	appcode := fs.String("appcode", "", "APPCODE for --url")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	base, code := *target, *appcode
	if base == "" {
		dir, err := os.MkdirTemp("", "fv-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		stop, b, cd, err := StartServer(ctx, dir)
		if err != nil {
			return err
		}
		defer stop()
		base, code = b, cd
	} else if err := loopbackOnly(base); err != nil {
		return err
	}
	res, err := Tokens(ctx, base, code, *n, *c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "get_biz_token: %d requests, %d clients, %d errors: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		res.N, *c, res.Errors, res.RPS, ms(res.P50), ms(res.P99), ms(res.Max))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("bench targets loopback only, not %q", u.Hostname())
	}
	return nil
}

// StartServer starts the service (no models: token issuance needs none) on 127.0.0.1:0
// with a fresh tenant; it returns the base URL and the tenant's APPCODE.
func StartServer(ctx context.Context, dir string) (stop func(), base, appcode string, err error) {
	cfg, err := config.Parse(flag.NewFlagSet("bench", flag.ContinueOnError), []string{"--data", dir, "--workers", "0", "--concurrency", "100000"}, func(string) string { return "" })
	if err != nil {
		return nil, "", "", err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Build(ctx, cfg, log, app.Options{})
	if err != nil {
		return nil, "", "", err
	}
	t := admin.NewTenant("bench", -1)
	if err := a.Store.CreateTenant(ctx, t); err != nil {
		a.Close()
		return nil, "", "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, "", "", err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { a.Serve(sctx, ln); close(done) }()
	return func() { cancel(); <-done; a.Close() }, "http://" + ln.Addr().String(), t.AppCode, nil
}

// Result of a load run.
type Result struct {
	N, Errors     int
	RPS           float64
	P50, P99, Max time.Duration
}

// Tokens issues n get_biz_token requests from c concurrent clients.
func Tokens(ctx context.Context, base, appcode string, n, c int) (Result, error) {
	tr := &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	body := url.Values{
		"return_url": {"https://example.test/return"}, "notify_url": {"https://example.test/notify"},
		"liveness_type": {"video_number"}, "idcard_name": {"张三"}, "idcard_number": {"11010519491231002X"},
		"biz_no": {"bench"},
	}.Encode()
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/lite/v1/get_biz_token", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", "APPCODE "+appcode)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				lat[i] = time.Since(t0)
				if err != nil {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := Result{N: n, Errors: int(errs.Load()), RPS: float64(n) / elapsed.Seconds()}
	if n > 0 {
		r.P50, r.P99, r.Max = lat[n/2], lat[n*99/100], lat[n-1]
	}
	return r, nil
}
