// Package httpreg is the HTTP adapter of the identity registry: it asks a business's own
// source (customer database, licensed identity service, HR system) through the JSON
// contract of docs/registry.md (OpenAPI: docs/registry.openapi.yaml). Every request is
// signed with HMAC-SHA256 and every answer must carry the matching response signature; each
// attempt has its own timeout; 5xx answers and timeouts are retried a bounded number of
// times with jittered exponential backoff (nothing else is); a circuit breaker stops
// calling a source that keeps failing; the address passes the project's SSRF guard
// (notify.Guard) unless the operator allowed it; personal data is cached only when a TTL is
// configured, and then sealed (package seal) and bounded in size.
//
// It answers registry outcomes or an error wrapping registry.ErrUnavailable; it does not
// decide verdicts and never logs names, numbers or photos.
package httpreg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/notify"
	"github.com/faceverify/faceverify/registry"
	"github.com/faceverify/faceverify/seal"
)

// Config of one HTTP registry. Zero fields take the defaults in brackets.
type Config struct {
	Name    string        // for messages
	URL     string        // base URL; the service calls URL+"/v1/lookup" and URL+"/v1/health"
	KeyID   string        // sent as X-Faceverify-Key
	Secret  []byte        // HMAC-SHA256 key shared with the source (at least 16 bytes)
	Timeout time.Duration // per attempt [2 s]
	Retries int           // extra attempts after a 5xx or a timeout [2]; negative = none
	Backoff time.Duration // first backoff, doubled each retry, full jitter, capped at 2 s [100 ms]
	// Circuit breaker: after BreakAfter consecutive failed lookups [5] no call is made for
	// Cooldown [30 s]; then one trial call decides whether to close it again.
	BreakAfter int
	Cooldown   time.Duration
	// Cache: 0 = answers are never kept. > 0 = matching answers are kept this long, sealed
	// with Box, at most CacheMax [10,000] entries.
	CacheTTL time.Duration
	CacheMax int
	Box      *seal.Box
	// Guard is the SSRF guard every connection and redirect hop passes (nil = the zero
	// guard: public addresses only). The operator's allowlist for this registry goes here.
	Guard     *notify.Guard
	AllowHTTP bool               // plain http:// (tests, on-premises sources behind TLS termination)
	MaxPhoto  int64              // largest answer body accepted [12 MiB]
	Templater registry.Templater // nil = answers carry the photo and the caller makes the template
	Clock     faceverify.Clock   // nil = system clock
}

// Client is one HTTP registry. It is safe for concurrent use.
type Client struct {
	cfg    Config
	lookup *url.URL
	health *url.URL
	http   *http.Client
	clock  faceverify.Clock

	mu        sync.Mutex
	failures  int       // consecutive failed lookups
	openUntil time.Time // breaker open until then
	trial     bool      // a half-open trial call is in flight
	cache     map[string]cached
}

type cached struct {
	sealed []byte
	exp    time.Time
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || notify.CheckURL(u) != nil {
		return nil, fmt.Errorf("registry %s: url must be an absolute http(s) URL", cfg.Name)
	}
	if u.Scheme == "http" && !cfg.AllowHTTP {
		return nil, fmt.Errorf("registry %s: url must be https (allow_http is off)", cfg.Name)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("registry %s: url must not carry credentials, a query or a fragment", cfg.Name)
	}
	if len(cfg.Secret) < 16 {
		return nil, fmt.Errorf("registry %s: secret must be at least 16 bytes", cfg.Name)
	}
	if cfg.CacheTTL > 0 && cfg.Box == nil {
		return nil, fmt.Errorf("registry %s: a cache needs the sealing box", cfg.Name)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.BreakAfter <= 0 {
		cfg.BreakAfter = 5
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = 30 * time.Second
	}
	if cfg.CacheMax <= 0 {
		cfg.CacheMax = 10_000
	}
	if cfg.MaxPhoto <= 0 {
		cfg.MaxPhoto = 12 << 20
	}
	g := cfg.Guard
	if g == nil {
		g = &notify.Guard{}
	}
	hc := g.Client(cfg.Timeout)
	guardCheck := hc.CheckRedirect
	// A redirect would carry a signed lookup (name and number) to wherever the source
	// points: only hops on the same host are followed, and each passes the guard as well.
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !strings.EqualFold(req.URL.Hostname(), via[0].URL.Hostname()) {
			return fmt.Errorf("%w: redirect to another host (%s)", notify.ErrRefused, req.URL.Hostname())
		}
		return guardCheck(req, via)
	}
	c := &Client{cfg: cfg, http: hc, clock: cfg.Clock, cache: map[string]cached{}}
	if c.clock == nil {
		c.clock = faceverify.SystemClock{}
	}
	c.lookup = u.JoinPath("v1", "lookup")
	c.health = u.JoinPath("v1", "health")
	return c, nil
}

// failure kinds: retryable ones are 5xx answers and timeouts.
type attemptError struct {
	err       error
	retryable bool
}

func (e *attemptError) Error() string { return e.err.Error() }
func (e *attemptError) Unwrap() error { return e.err }

func (c *Client) unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", registry.ErrUnavailable, c.cfg.Name, fmt.Sprintf(format, args...))
}

// lookupRequest and lookupResponse are the wire bodies of POST /v1/lookup.
type lookupRequest struct {
	IDCardNumber string `json:"idcard_number"`
	Name         string `json:"name"`
}

type lookupResponse struct {
	Result string `json:"result"`
	Photo  string `json:"photo,omitempty"` // base64 (standard, padded) JPEG, PNG or WebP
}

// Lookup implements registry.Registry.
func (c *Client) Lookup(ctx context.Context, q registry.Query) (*registry.Answer, error) {
	if a := c.cached(q); a != nil {
		return a, nil
	}
	if err := c.admit(); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(lookupRequest{IDCardNumber: q.Number, Name: q.Name})
	status, resp, err := c.do(ctx, http.MethodPost, c.lookup, body)
	if err == nil {
		err = checkStatus(status)
	}
	var a *registry.Answer
	if err == nil {
		a, err = c.parse(ctx, resp)
	}
	if err != nil {
		if ctx.Err() != nil { // the caller gave up: says nothing about the source
			c.release()
			return nil, fmt.Errorf("%w: %s: %v", registry.ErrUnavailable, c.cfg.Name, ctx.Err())
		}
		var te *templateError
		if errors.As(err, &te) {
			c.record(true) // the source answered; our own engine failed
			return nil, te.err
		}
		c.record(false)
		return nil, c.unavailable("%v", err)
	}
	c.record(true)
	c.store(q, a)
	return a, nil
}

type templateError struct{ err error }

func (e *templateError) Error() string { return e.err.Error() }

func checkStatus(status int) error {
	switch {
	case status == http.StatusOK:
		return nil
	case status == http.StatusUnauthorized:
		return errors.New("the source refused our signature (401)")
	default:
		return fmt.Errorf("unexpected status %d", status)
	}
}

func (c *Client) parse(ctx context.Context, body []byte) (*registry.Answer, error) {
	var r lookupResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("answer is not the contract's JSON: %v", err)
	}
	o := registry.Outcome(r.Result)
	if !o.Valid() {
		return nil, fmt.Errorf("answer has unknown result %q", truncate(r.Result, 40))
	}
	a := &registry.Answer{Outcome: o}
	if o != registry.Match {
		return a, nil
	}
	if r.Photo == "" {
		return nil, errors.New(`a "match" answer without a photo`)
	}
	photo, err := base64.StdEncoding.DecodeString(r.Photo)
	if err != nil {
		return nil, errors.New("photo is not base64")
	}
	if c.cfg.Templater == nil {
		a.Photo = photo
		return a, nil
	}
	t, err := c.cfg.Templater(ctx, photo)
	switch {
	case faceverify.ErrorCode(err) == faceverify.EINVALID:
		return &registry.Answer{Outcome: registry.NoUsablePhoto}, nil
	case err != nil:
		return nil, &templateError{err}
	}
	a.Template = t
	return a, nil
}

// Check implements registry.Checker: one signed GET /v1/health, no retries, and the
// breaker's state.
func (c *Client) Check(ctx context.Context) error {
	status, _, err := c.attempt(ctx, http.MethodGet, c.health, nil)
	if err == nil {
		err = checkStatus(status)
	}
	if err != nil {
		return c.unavailable("%v", err)
	}
	c.mu.Lock()
	open := c.clock.Now().Before(c.openUntil)
	c.mu.Unlock()
	if open {
		return c.unavailable("reachable again, circuit still open after repeated failures")
	}
	return nil
}

// do runs attempts with retries on 5xx answers and timeouts.
func (c *Client) do(ctx context.Context, method string, u *url.URL, body []byte) (int, []byte, error) {
	var lastErr error
	for i := 0; i <= c.cfg.Retries; i++ {
		if i > 0 {
			if err := sleep(ctx, backoff(c.cfg.Backoff, i)); err != nil {
				return 0, nil, err
			}
		}
		status, resp, err := c.attempt(ctx, method, u, body)
		if err == nil && status < 500 {
			return status, resp, nil
		}
		if err == nil {
			err = &attemptError{fmt.Errorf("status %d", status), true}
		}
		lastErr = err
		var ae *attemptError
		if !errors.As(err, &ae) || !ae.retryable || ctx.Err() != nil {
			return 0, nil, err
		}
	}
	return 0, nil, fmt.Errorf("%v (after %d attempts)", lastErr, c.cfg.Retries+1)
}

// attempt sends one signed request and checks the response signature.
func (c *Client) attempt(ctx context.Context, method string, u *url.URL, body []byte) (int, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	ts := strconv.FormatInt(c.clock.Now().Unix(), 10)
	nonce := newNonce()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "faceverify-registry/1")
	req.Header.Set(HeaderKey, c.cfg.KeyID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, RequestSignature(c.cfg.Secret, method, u.EscapedPath(), ts, nonce, body))
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, &attemptError{err, isTimeout(err) && ctx.Err() == nil}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxPhoto+1))
	if err != nil {
		return 0, nil, &attemptError{err, isTimeout(err) && ctx.Err() == nil}
	}
	if int64(len(data)) > c.cfg.MaxPhoto {
		return 0, nil, errors.New("answer larger than the limit")
	}
	if resp.StatusCode >= 500 {
		return resp.StatusCode, nil, nil // retried or reported by status; body not trusted
	}
	if !Equal(resp.Header.Get(HeaderSignature), ResponseSignature(c.cfg.Secret, resp.StatusCode, nonce, data)) {
		return 0, nil, fmt.Errorf("answer (status %d) without a valid response signature", resp.StatusCode)
	}
	return resp.StatusCode, data, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func backoff(base time.Duration, retry int) time.Duration {
	d := base << (retry - 1)
	if d > 2*time.Second || d <= 0 {
		d = 2 * time.Second
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(d)))
	return d/2 + time.Duration(n.Int64())/2 // jitter in [d/2, d)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ---- circuit breaker ---------------------------------------------------------------------

// admit lets a call through unless the breaker is open; after the cooldown one trial
// call at a time is let through (half-open).
func (c *Client) admit() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures < c.cfg.BreakAfter {
		return nil
	}
	if c.clock.Now().Before(c.openUntil) || c.trial {
		return c.unavailable("circuit open after %d consecutive failures", c.failures)
	}
	c.trial = true
	return nil
}

func (c *Client) record(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trial = false
	if ok {
		c.failures = 0
		return
	}
	c.failures++
	if c.failures >= c.cfg.BreakAfter {
		c.openUntil = c.clock.Now().Add(c.cfg.Cooldown)
	}
}

func (c *Client) release() {
	c.mu.Lock()
	c.trial = false
	c.mu.Unlock()
}

// ---- cache (only when configured; sealed) -----------------------------------------------

type cacheValue struct {
	Name     string    `json:"n"`
	Photo    []byte    `json:"p,omitempty"`
	Template []float32 `json:"t,omitempty"`
}

func (c *Client) cacheKey(number string) string {
	return c.cfg.Box.Index("registry-cache:" + c.cfg.Name + ":" + number)
}

func (c *Client) cached(q registry.Query) *registry.Answer {
	if c.cfg.CacheTTL <= 0 {
		return nil
	}
	k := c.cacheKey(q.Number)
	c.mu.Lock()
	e, ok := c.cache[k]
	if ok && !c.clock.Now().Before(e.exp) {
		delete(c.cache, k)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	pt, err := c.cfg.Box.Open(e.sealed, []byte(k))
	if err != nil {
		return nil
	}
	var v cacheValue
	if json.Unmarshal(pt, &v) != nil || v.Name != q.Name {
		return nil // a different claimed name goes to the source
	}
	return &registry.Answer{Outcome: registry.Match, Photo: v.Photo, Template: v.Template}
}

func (c *Client) store(q registry.Query, a *registry.Answer) {
	if c.cfg.CacheTTL <= 0 || a.Outcome != registry.Match {
		return
	}
	k := c.cacheKey(q.Number)
	pt, _ := json.Marshal(cacheValue{Name: q.Name, Photo: a.Photo, Template: a.Template})
	sealed := c.cfg.Box.Seal(pt, []byte(k))
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache) >= c.cfg.CacheMax {
		for ck, e := range c.cache {
			if !now.Before(e.exp) {
				delete(c.cache, ck)
			}
		}
		for ck := range c.cache {
			if len(c.cache) < c.cfg.CacheMax {
				break
			}
			delete(c.cache, ck)
		}
	}
	c.cache[k] = cached{sealed: sealed, exp: now.Add(c.cfg.CacheTTL)}
}

// Forget drops any cached answer for number (erasure).
func (c *Client) Forget(number string) {
	if c.cfg.CacheTTL <= 0 {
		return
	}
	k := c.cacheKey(number)
	c.mu.Lock()
	delete(c.cache, k)
	c.mu.Unlock()
}
