// Package notify delivers callbacks to tenants: it builds the request through the session's
// dialect renderer, signs it, sends it through an outbound guard and reports the attempt.
// Retries, backoff and the attempt log live in the job runner (package jobs); this package
// makes exactly one delivery attempt per call. It never follows a callback to an address
// the guard refuses.
package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/dialect/lite"
)

// Request is a rendered callback.
type Request struct {
	Method string
	URL    string
	Body   string // form-encoded body for POST
}

// Renderer renders the callback of a finished session; nil Request = nothing to send.
type Renderer func(t *faceverify.Tenant, s *faceverify.Session) (*Request, error)

// LiteRenderer: POST notify_url with form fields data and sign (faceid-lite-h5.txt, NOTES.md).
func LiteRenderer(t *faceverify.Tenant, s *faceverify.Session) (*Request, error) {
	if s.Options.NotifyURL == "" {
		return nil, nil
	}
	return &Request{Method: http.MethodPost, URL: s.Options.NotifyURL, Body: lite.NotifyForm(s, t.NotifySecret).Encode()}, nil
}

// Sender delivers callbacks.
type Sender struct {
	Client    *http.Client
	Renderers map[faceverify.Dialect]Renderer
	Clock     faceverify.Clock
}

// New returns a sender using client (which should carry the outbound guard).
func New(client *http.Client, clock faceverify.Clock) *Sender {
	if clock == nil {
		clock = faceverify.SystemClock{}
	}
	return &Sender{Client: client, Clock: clock, Renderers: map[faceverify.Dialect]Renderer{faceverify.DialectLite: LiteRenderer}}
}

// Signature returns the X-Faceverify-Signature header value for body at time ts.
func Signature(secret string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "." + body))
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a header produced by Signature, allowing tolerance of clock skew.
func VerifySignature(secret, header, body string, now time.Time, tolerance time.Duration) bool {
	var ts int64
	var sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			sig = v
		}
	}
	if ts == 0 || sig == "" {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return false
	}
	want := Signature(secret, ts, body)
	return hmac.Equal([]byte(want), []byte("t="+strconv.FormatInt(ts, 10)+",v1="+sig))
}

// ErrPermanent marks a failure retrying cannot fix (e.g. the URL is refused by the guard).
// It has a Permanent() method, which the job runner honours by not retrying.
var ErrPermanent error = permanent{}

type permanent struct{}

func (permanent) Error() string   { return "notify: permanent failure" }
func (permanent) Permanent() bool { return true }

// Notify makes one delivery attempt.
func (n *Sender) Notify(ctx context.Context, t *faceverify.Tenant, s *faceverify.Session) (string, error) {
	render, ok := n.Renderers[s.Dialect]
	if !ok {
		return "", fmt.Errorf("%w: no renderer for dialect %q", ErrPermanent, s.Dialect)
	}
	req, err := render(t, s)
	if err != nil {
		return "", err
	}
	if req == nil {
		return "nothing to send", nil
	}
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	if req.Body != "" {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	hr.Header.Set("User-Agent", "faceverify-notify/1")
	hr.Header.Set("X-Faceverify-Idempotency-Key", "notify:"+s.Token)
	hr.Header.Set("X-Faceverify-Signature", Signature(t.NotifySecret, n.Clock.Now().Unix(), req.Body))
	resp, err := n.Client.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && errors.Is(ue.Err, ErrPermanent) {
			return "refused", ue.Err
		}
		return "transport error", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	detail := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return detail, fmt.Errorf("callback answered %d", resp.StatusCode)
	}
	return detail, nil
}
