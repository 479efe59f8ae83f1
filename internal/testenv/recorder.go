package testenv

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Received is one request a Recorder received.
type Received struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	Form   url.Values // the body read as a form (a Lite notify POST); empty when it is not one
}

// Recorder is a tenant's business endpoint on loopback (callbacks, notify): it records every
// request and answers 200 "ok".
type Recorder struct {
	URL string
	mu  sync.Mutex
	got []Received
}

// Reply answers a request a Recorder recorded (body is its body, already read) and reports
// whether it did; when it did not, the Recorder answers 200 "ok".
type Reply func(w http.ResponseWriter, r *http.Request, body []byte) bool

// NewRecorder starts a recorder closed at the end of t; reply (nil: none) may answer
// requests itself.
func NewRecorder(t testing.TB, reply Reply) *Recorder {
	rc := &Recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, _ := url.ParseQuery(string(body)) // not a form: what parses of it, unused
		rc.mu.Lock()
		rc.got = append(rc.got, Received{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(),
			Body: body, Form: form})
		rc.mu.Unlock()
		if reply != nil && reply(w, r, body) {
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// All returns a copy of what was received so far, in order.
func (rc *Recorder) All() []Received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Received(nil), rc.got...)
}

// Wait returns what was received once at least n requests matched match (nil: any), failing
// t after within; it returns the matching ones.
func (rc *Recorder) Wait(t testing.TB, n int, within time.Duration, match func(Received) bool) []Received {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var hit []Received
		for _, r := range rc.All() {
			if match == nil || match(r) {
				hit = append(hit, r)
			}
		}
		if len(hit) >= n {
			return hit
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests received within %s", len(hit), n, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
