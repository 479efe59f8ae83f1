package httpreg_test

// contractServer is a registry source implementing docs/registry.md on loopback, the way a
// business would: it checks the request signature (computed here from the document, not
// with the package's helper), the timestamp window and nonce reuse, and signs its answers.
// Its behaviour per ID number is set by the test.

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

type person struct {
	name  string
	photo []byte
}

type contractServer struct {
	*httptest.Server
	secret []byte
	// respSecret signs answers (normally secret; a test makes it wrong)
	respSecret []byte

	mu      sync.Mutex
	people  map[string]person
	hits    map[string]int // lookups per number (after the signature check)
	nonces  map[string]bool
	refused int // requests refused for their signature
	// behaviour by number: "slow", "500-once", "bad-json", "redirect:URL", "404"
	behaviour map[string]string
}

func newContractServer(t testing.TB, secret []byte) *contractServer {
	return newContractServerTLS(t, secret, nil)
}

// newContractServerTLS serves over TLS with cfg (e.g. requiring a client certificate);
// nil cfg = plain http.
func newContractServerTLS(t testing.TB, secret []byte, cfg *tls.Config) *contractServer {
	s := &contractServer{secret: secret, respSecret: secret, people: map[string]person{}, hits: map[string]int{},
		nonces: map[string]bool{}, behaviour: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reg/v1/lookup", s.lookup)
	mux.HandleFunc("GET /reg/v1/health", s.healthz)
	s.Server = httptest.NewUnstartedServer(mux) // 127.0.0.1:0
	if cfg != nil {
		s.Server.TLS = cfg
		s.Server.StartTLS()
	} else {
		s.Server.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *contractServer) hmacHex(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte("\n"))
		}
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// verify checks the request as docs/registry.md says a source must.
func (s *contractServer) verify(r *http.Request, body []byte) bool {
	ts, nonce := r.Header.Get("X-Faceverify-Timestamp"), r.Header.Get("X-Faceverify-Nonce")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute || len(nonce) < 16 {
		return false
	}
	h := sha256.Sum256(body)
	want := "v1=" + s.hmacHex(s.secret, "FV1-REQUEST", r.Method, r.URL.EscapedPath(), ts, nonce, hex.EncodeToString(h[:]))
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Faceverify-Signature"))) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonces[nonce] {
		return false
	}
	s.nonces[nonce] = true
	return true
}

func (s *contractServer) answer(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, _ := json.Marshal(v)
	h := sha256.Sum256(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Faceverify-Signature", "v1="+s.hmacHex(s.respSecret, "FV1-RESPONSE", strconv.Itoa(status),
		r.Header.Get("X-Faceverify-Nonce"), hex.EncodeToString(h[:])))
	w.WriteHeader(status)
	w.Write(body)
}

func (s *contractServer) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.verify(r, nil) {
		s.answer(w, r, http.StatusUnauthorized, map[string]string{"error": "bad_signature"})
		return
	}
	s.answer(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *contractServer) lookup(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if !s.verify(r, body) {
		s.mu.Lock()
		s.refused++
		s.mu.Unlock()
		s.answer(w, r, http.StatusUnauthorized, map[string]string{"error": "bad_signature"})
		return
	}
	var q struct {
		Number string `json:"idcard_number"`
		Name   string `json:"name"`
	}
	if json.Unmarshal(body, &q) != nil || q.Number == "" || q.Name == "" {
		s.answer(w, r, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	s.mu.Lock()
	s.hits[q.Number]++
	n := s.hits[q.Number]
	b := s.behaviour[q.Number]
	p, ok := s.people[q.Number]
	s.mu.Unlock()
	switch {
	case b == "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case b == "500-once" && n == 1:
		http.Error(w, "database restarting", http.StatusInternalServerError)
		return
	case b == "500":
		http.Error(w, "down", http.StatusBadGateway)
		return
	case b == "bad-json":
		w.Header().Set("Content-Type", "application/json")
		body := []byte(`{"result": "match", "photo": `)
		h := sha256.Sum256(body)
		w.Header().Set("X-Faceverify-Signature", "v1="+s.hmacHex(s.respSecret, "FV1-RESPONSE", "200",
			r.Header.Get("X-Faceverify-Nonce"), hex.EncodeToString(h[:])))
		w.Write(body)
		return
	case b == "404":
		s.answer(w, r, http.StatusNotFound, map[string]string{"error": "no_route"})
		return
	case len(b) > 9 && b[:9] == "redirect:":
		http.Redirect(w, r, b[9:], http.StatusTemporaryRedirect)
		return
	}
	switch {
	case !ok:
		s.answer(w, r, http.StatusOK, map[string]string{"result": "no_such_number"})
	case p.name != q.Name:
		s.answer(w, r, http.StatusOK, map[string]string{"result": "name_mismatch"})
	default:
		s.answer(w, r, http.StatusOK, map[string]string{"result": "match", "photo": base64.StdEncoding.EncodeToString(p.photo)})
	}
}

func (s *contractServer) hitsFor(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[number]
}
