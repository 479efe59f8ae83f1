package h5_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faceverify/faceverify/h5"
)

func serve(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /lite/v1/do/{token}", h)
	mux.Handle("GET /cloudauth/v1/do/{token}", h)
	mux.Handle("GET /h5/", h)
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPage(t *testing.T) {
	h := h5.Handler(h5.Options{})
	cases := []struct {
		name, path, accept     string
		wantLang, wantHTMLLang string
	}{
		{"lite zh default", "/lite/v1/do/1700000000,abc", "", "zh", "zh-CN"},
		{"accept english", "/lite/v1/do/1700000000,abc", "en-GB,en;q=0.8", "en", "en"},
		{"accept chinese first", "/cloudauth/v1/do/sha1abc", "zh-TW,en;q=0.5", "zh", "zh-CN"},
		{"query wins", "/lite/v1/do/tok?lang=en", "zh-CN", "en", "en"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := serve(t, h, c.path, "Accept-Language", c.accept)
			b := body(t, r)
			if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d %s", r.StatusCode, r.Header.Get("Content-Type"))
			}
			if !strings.Contains(b, `data-lang="`+c.wantLang+`"`) || !strings.Contains(b, `<html lang="`+c.wantHTMLLang+`">`) {
				t.Errorf("lang not %s in page", c.wantLang)
			}
			for k, want := range map[string]string{
				"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
			} {
				if got := r.Header.Get(k); got != want {
					t.Errorf("%s = %q", k, got)
				}
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q", csp)
			}
		})
	}
	// the token is escaped into the page, never executed
	r := serve(t, h, `/lite/v1/do/x%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E`)
	if b := body(t, r); strings.Contains(b, "<script>alert") {
		t.Errorf("token not escaped")
	}
}

func TestAssets(t *testing.T) {
	h := h5.Handler(h5.Options{})
	for _, c := range []struct{ path, ctype string }{
		{"/h5/app.js", "text/javascript"}, {"/h5/app.css", "text/css"}, {"/h5/metainfo.js", "text/javascript"},
	} {
		r := serve(t, h, c.path)
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), c.ctype) || r.Header.Get("ETag") == "" {
			t.Errorf("%s: %d %q etag %q", c.path, r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("ETag"))
		}
		r2 := serve(t, h, c.path, "If-None-Match", r.Header.Get("ETag"))
		if r2.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidation: %d", c.path, r2.StatusCode)
		}
	}
	for _, p := range []string{"/h5/index.html", "/h5/nope.js", "/h5/../h5.go"} {
		if r := serve(t, h, p); r.StatusCode == 200 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
	// versioned asset URLs from the page are cacheable for long
	page := body(t, serve(t, h, "/lite/v1/do/tok"))
	i := strings.Index(page, "/h5/app.js?v=")
	if i < 0 {
		t.Fatal("no versioned script in the page")
	}
	u := page[i : i+strings.IndexByte(page[i:], '"')]
	if cc := serve(t, h, u).Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("%s Cache-Control %q", u, cc)
	}
}

// TestPageWeight keeps the page light: script + style under 150 KB uncompressed.
func TestPageWeight(t *testing.T) {
	js, css := h5.Weight()
	t.Logf("page weight: JS %d B + CSS %d B = %d B (limit 153600)", js, css, js+css)
	if js+css >= 150*1024 {
		t.Errorf("page weight %d B over 150 KB", js+css)
	}
}
