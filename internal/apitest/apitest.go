// Package apitest starts the real faceverify service for end-to-end tests: the same wiring
// as `faceverify serve` (package app), a fresh data directory, a loopback port, a tenant,
// and helpers to call the APIs. Everything it starts is the real service.
package apitest

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/app"
	"github.com/faceverify/faceverify/internal/testenv"
)

// Options of a test server.
type Options struct {
	Engine bool             // load the real models
	Clock  faceverify.Clock // nil = system clock
	Flags  []string         // extra serve flags
	Client *http.Client     // outbound client for callbacks (default: plain, loopback receivers)
}

// Server is a running service.
type Server struct {
	App    *app.App
	URL    string
	Tenant *faceverify.Tenant
	Log    *Logs
}

// Start starts a server and stops it at the end of the test.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	getenv := func(string) string { return "" }
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	// listen first, so the public URL (CertifyUrl, pictureUrl, …) points at this server;
	// a --public-url in opt.Flags still wins (the last value of a flag is kept)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--data", t.TempDir(), "--workers", "2", "--public-url", "http://" + ln.Addr().String()}
	if opt.Engine {
		args = append(args, "--models", testenv.ModelDir(t), "--ort-lib", testenv.ORTLib(t))
	}
	cfg, err := config.Parse(fs, append(args, opt.Flags...), getenv)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	logs := &Logs{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := opt.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	a, err := app.Build(context.Background(), cfg, log, app.Options{Engine: opt.Engine, Clock: opt.Clock, HTTPClient: client})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	tenant := admin.NewTenant("test tenant", -1)
	if err := a.Store.CreateTenant(context.Background(), tenant); err != nil {
		ln.Close()
		a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return &Server{App: a, URL: "http://" + ln.Addr().String(), Tenant: tenant, Log: logs}
}

// Do sends req and decodes a JSON answer into out (if non-nil); it returns the status.
func Do(t testing.TB, req *http.Request, out any) int {
	t.Helper()
	status, body := testenv.Fetch(t, req)
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", req.Method, req.URL.Path, body, err)
		}
	}
	return status
}

// PostForm posts a form to path with the tenant's APPCODE.
func (s *Server) PostForm(t testing.TB, path string, form url.Values, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "APPCODE "+s.Tenant.AppCode)
	return Do(t, req, out)
}

// BizToken creates a Lite session with form f (get_biz_token) and returns its biz_token,
// failing t unless the answer is 200 with one.
func (s *Server) BizToken(t testing.TB, f url.Values) string {
	t.Helper()
	var out struct {
		BizToken string `json:"biz_token"`
		Error    string `json:"error"`
	}
	if st := s.PostForm(t, "/lite/v1/get_biz_token", f, &out); st != http.StatusOK || out.BizToken == "" {
		t.Fatalf("get_biz_token: %d %s", st, out.Error)
	}
	return out.BizToken
}

// Logs is a log sink safe for concurrent writes and reads.
type Logs struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
