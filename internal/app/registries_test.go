package app

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/registry/httpreg"
)

// /readyz with two HTTP registries: one answering its signed health check on loopback, one
// whose port is closed. The service stays ready (tenants of the embedded table and of the
// healthy registry are served) and names the unreachable one.
func TestReadyzRegistries(t *testing.T) {
	secret := "0123456789abcdef0123"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/fv/v1/health" {
			http.NotFound(w, r)
			return
		}
		ts, nonce := r.Header.Get(httpreg.HeaderTimestamp), r.Header.Get(httpreg.HeaderNonce)
		if !httpreg.Equal(r.Header.Get(httpreg.HeaderSignature), httpreg.RequestSignature([]byte(secret), r.Method, r.URL.EscapedPath(), ts, nonce, nil)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body := []byte(`{"status":"ok"}`)
		w.Header().Set(httpreg.HeaderSignature, httpreg.ResponseSignature([]byte(secret), 200, nonce, body))
		w.Write(body)
	}))
	defer up.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + "/fv"
	ln.Close()

	dir := t.TempDir()
	regFile := filepath.Join(dir, "registries.json")
	spec := map[string]any{"registries": map[string]any{
		"crm": map[string]any{"url": up.URL + "/fv", "key_id": "k1", "secret_env": "CRM_SECRET", "allow": "127.0.0.1/32", "allow_http": true},
		"hr":  map[string]any{"url": closed, "key_id": "k1", "secret": secret, "allow": "127.0.0.1/32", "allow_http": true, "timeout": "300ms", "retries": -1},
	}, "tenants": map[string]string{"t-hr": "hr"}}
	data, _ := json.Marshal(spec)
	os.WriteFile(regFile, data, 0o600)
	getenv := func(k string) string {
		if k == "CRM_SECRET" {
			return secret
		}
		return ""
	}
	cfg, err := config.Parse(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--data", filepath.Join(dir, "data"), "--registries", regFile}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Server)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Status     string            `json:"status"`
		Registries map[string]string `json:"registries"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body.Status != "ready" || body.Registries["crm"] != "ok" || body.Registries["hr"] != "unreachable" {
		t.Fatalf("readyz %d %+v", resp.StatusCode, body)
	}
	// per-tenant choice: config map, tenant setting, default
	for id, want := range map[string]string{"t-hr": "hr", "t-other": "embedded"} {
		if got := a.Registries.NameFor(&faceverify.Tenant{ID: id}); got != want {
			t.Errorf("tenant %s: %s, want %s", id, got, want)
		}
	}
	// a bad file refuses to start
	os.WriteFile(regFile, []byte(`{"registries":{"x":{"url":"https://a.example","secret":"short"}}}`), 0o600)
	cfg2 := config.Flags(flag.NewFlagSet("t", flag.ContinueOnError), getenv)
	cfg2.DataDir, cfg2.RegistriesFile = filepath.Join(dir, "data"), regFile
	if err := cfg2.Validate(); err == nil || !strings.Contains(err.Error(), "16 bytes") {
		t.Fatalf("short secret: %v", err)
	}
}
