package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/internal/testenv"
)

func upload(t *testing.T, s *apitest.Server, token, what string, body []byte) (int, map[string]any, http.Header) {
	t.Helper()
	return uploadFrom(t, s, token, what, body, "")
}

// uploadFrom is upload with an X-Forwarded-For header (none when xff is "").
func uploadFrom(t *testing.T, s *apitest.Server, token, what string, body []byte, xff string) (int, map[string]any, http.Header) {
	t.Helper()
	field := "video"
	path := "/video"
	if what == "idcard" {
		field, path = "image", "/idcard?side=front"
	}
	req := testenv.UploadRequest(s.URL+"/h5/v1/sessions/"+token+path, field, "x.bin", body)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s: %q", path, data)
		}
	}
	return resp.StatusCode, out, resp.Header
}

func newToken(t *testing.T, s *apitest.Server) string {
	t.Helper()
	var c liteResp
	if st := s.PostForm(t, "/lite/v1/get_biz_token", apitest.LiteForm(), &c); st != 200 {
		t.Fatalf("create: %d %+v", st, c)
	}
	return c.BizToken
}

// Per-address limit: the 11th upload in a burst from one address is 429 RATE_LIMITED,
// whatever the tokens, and before the body is looked at.
func TestUploadRateLimitPerIP(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Flags: []string{"--upload-rate", "0.01"}})
	var toks []string
	for i := 0; i < 12; i++ {
		toks = append(toks, newToken(t, s))
	}
	for i := 0; i < 10; i++ {
		kind := "video"
		if i%2 == 1 {
			kind = "idcard"
		}
		if st, out, _ := upload(t, s, toks[i], kind, []byte("not a video")); st == 429 {
			t.Fatalf("upload %d refused within the burst: %+v", i, out)
		}
	}
	st, out, h := upload(t, s, toks[10], "video", []byte("x"))
	if st != 429 || out["error"] != "RATE_LIMITED" || !strings.Contains(fmt.Sprint(out["message"]), "address") || h.Get("Retry-After") == "" {
		t.Fatalf("11th upload: %d %+v %v", st, out, h)
	}
	// an unknown token is limited the same way (no free probing)
	if st, out, _ := upload(t, s, "nope", "video", []byte("x")); st != 429 {
		t.Fatalf("unknown token: %d %+v", st, out)
	}
	// the page view itself is not an upload and stays available
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+toks[11], nil)
	if st := apitest.Do(t, req, nil); st != 200 {
		t.Fatalf("page view: %d", st)
	}
}

// Behind a trusted reverse proxy (--trusted-proxies) the per-address limit counts the client
// X-Forwarded-For names, not the proxy: twelve users behind it are not one address, and one
// user is still limited. Without the flag the header changes nothing (TestUploadRateLimitPerIP).
func TestUploadRateLimitBehindProxy(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Flags: []string{"--upload-rate", "0.01", "--trusted-proxies", "127.0.0.1/32,::1/128"}})
	var toks []string
	for i := 0; i < 12; i++ {
		toks = append(toks, newToken(t, s))
	}
	for i := 0; i < 12; i++ { // 12 users, one upload each: none limited (one address would be at 11)
		if st, out, _ := uploadFrom(t, s, toks[i], "idcard", []byte("x"), fmt.Sprintf("198.51.100.%d", i+1)); st == 429 {
			t.Fatalf("user %d limited as the proxy's address: %+v", i, out)
		}
	}
	refused := 0
	for i := 0; i < 12; i++ { // one user: the 11th upload in the burst is refused
		if st, _, _ := uploadFrom(t, s, toks[i], "idcard", []byte("x"), "203.0.113.50"); st == 429 {
			refused++
		}
	}
	if refused != 2 {
		t.Fatalf("one client behind the proxy: %d of 12 refused, want 2 (burst 10)", refused)
	}
}

// Per-token limit: hammering one token is refused after more uploads than any legitimate
// session makes, even from many addresses (here: the per-address limit is off).
func TestUploadRateLimitPerToken(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Flags: []string{"--upload-rate", "-1"}})
	tok, other := newToken(t, s), newToken(t, s)
	n := 0
	for ; n < 40; n++ {
		st, out, _ := upload(t, s, tok, "idcard", []byte("x"))
		if st == 429 {
			if out["error"] != "RATE_LIMITED" || !strings.Contains(fmt.Sprint(out["message"]), "session") {
				t.Fatalf("429 body %+v", out)
			}
			break
		}
	}
	if n != 20 {
		t.Fatalf("refused after %d uploads, want 20", n)
	}
	if st, out, _ := upload(t, s, other, "idcard", []byte("x")); st == 429 {
		t.Fatalf("another token limited: %+v", out)
	}
}

// Per-tenant concurrency under parallel load: with a limit of 2 and slow request bodies,
// exactly 2 requests are served and every other one is 429 CONCURRENCY_LIMIT_EXCEEDED;
// the slots come back when they finish.
func TestConcurrencyLimitUnderLoad(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{})
	s.Tenant.Concurrency = 2
	if err := s.App.Store.UpdateTenant(context.Background(), s.Tenant); err != nil {
		t.Fatal(err)
	}
	const n = 12
	release := make(chan struct{})
	type res struct {
		status int
		body   liteResp
	}
	results := make(chan res, n)
	var started sync.WaitGroup
	body := apitest.LiteForm().Encode()
	for i := 0; i < n; i++ {
		started.Add(1)
		go func() {
			pr, pw := io.Pipe()
			go func() {
				pw.Write([]byte(body[:10])) // the headers and a first chunk go out…
				started.Done()
				<-release // …the rest only when the test says so
				pw.Write([]byte(body[10:]))
				pw.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/lite/v1/get_biz_token", pr)
			req.ContentLength = int64(len(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "APPCODE "+s.Tenant.AppCode)
			var r liteResp
			st := apitest.Do(t, req, &r)
			results <- res{st, r}
		}()
	}
	started.Wait()
	// the refused ones answer without waiting for their bodies
	got := map[int]int{}
	deadline := time.After(10 * time.Second)
	for got[429] < n-2 {
		select {
		case r := <-results:
			got[r.status]++
			if r.status != 429 || r.body.Error != "CONCURRENCY_LIMIT_EXCEEDED" {
				t.Fatalf("while 2 are in flight: %d %+v", r.status, r.body)
			}
		case <-deadline:
			t.Fatalf("only %d refusals", got[429])
		}
	}
	close(release)
	for i := 0; i < 2; i++ {
		if r := <-results; r.status != 200 || r.body.BizToken == "" {
			t.Fatalf("in-flight request: %d %+v", r.status, r.body)
		}
	}
	// both slots are free again
	for i := 0; i < 3; i++ {
		newToken(t, s)
	}
}

// A used biz_token is refused by every page action (replay), and so is a cancelled one.
func TestReplayedTokenRefused(t *testing.T) {
	t.Parallel()
	s := apitest.Start(t, apitest.Options{Flags: []string{"--max-video-mb", "1"}})
	f := apitest.LiteForm()
	f.Set("liveness_retry_count", "1")
	var c liteResp
	s.PostForm(t, "/lite/v1/get_biz_token", f, &c)
	tok := c.BizToken
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/h5/v1/sessions/"+tok, nil)
	apitest.Do(t, req, nil)
	// liveness_retry_count=1: the first video and one retake; two oversized videos end
	// the session with the last failure (VIDEO_TOO_LARGE)
	big := bytes.Repeat([]byte{0}, 1<<20+100)
	for i := 0; i < 2; i++ {
		if st, out, _ := upload(t, s, tok, "video", big); st != 200 || out["accepted"] != false {
			t.Fatalf("oversized %d: %d %+v", i, st, out)
		}
	}
	for _, kind := range []string{"video", "idcard"} {
		st, out, _ := upload(t, s, tok, kind, []byte("again"))
		if st != 409 || out["error"] != "USED" {
			t.Fatalf("replayed %s: %d %+v", kind, st, out)
		}
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/h5/v1/sessions/"+tok+"/cancel", nil)
	var e map[string]any
	if st := apitest.Do(t, req, &e); st != 409 || e["error"] != "USED" {
		t.Fatalf("replayed cancel: %d %+v", st, e)
	}
	// the verdict stays what it was
	if _, r := getResult(t, s, s.Tenant.AppCode, tok); r.ResultMessage != "VIDEO_TOO_LARGE" {
		t.Fatalf("verdict changed: %+v", r)
	}
}
