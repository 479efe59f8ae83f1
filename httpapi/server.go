// Package httpapi is the HTTP face of faceverify: every route (routes.go), middleware,
// request decoding with size limits, and the mapping of domain errors to HTTP responses
// through each dialect's error table. Handlers decode, call a verify use case, and render
// through a dialect; they decide nothing themselves.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/clientip"
	"github.com/faceverify/faceverify/verify"
)

// UseCases are the verify use cases the handlers call (implemented by *verify.Service;
// handler tests pass a fake). Handlers reach storage only through them.
type UseCases interface {
	AuthLite(ctx context.Context, appCode string, in verify.Intent) (*faceverify.Tenant, error)
	AuthCloudauth(ctx context.Context, c verify.SignedCall) (*faceverify.Tenant, error)
	Create(ctx context.Context, t *faceverify.Tenant, req verify.CreateRequest) (*faceverify.Session, error)
	Result(ctx context.Context, t *faceverify.Tenant, d faceverify.Dialect, token string) (*faceverify.Session, error)
	Images(ctx context.Context, ss *faceverify.Session) (map[string][]byte, error)
	BestImage(ctx context.Context, token string) ([]byte, error)
	Delete(ctx context.Context, t *faceverify.Tenant, d faceverify.Dialect, token string) error
	Page(ctx context.Context, token string) (*faceverify.Session, error)
	SubmitIDCard(ctx context.Context, token, side string, img []byte) (*verify.IDCardOutcome, error)
	SubmitVideo(ctx context.Context, token string, r io.Reader) (*verify.VideoOutcome, error)
	RejectOversizedVideo(ctx context.Context, token string) (*verify.VideoOutcome, error)
	Cancel(ctx context.Context, token string) (*faceverify.Session, error)
	Limits() verify.Limits
	Now() time.Time
}

var _ UseCases = (*verify.Service)(nil)

// CloudauthOptions configure the Cloudauth RPC endpoint (cloudauth.go).
type CloudauthOptions struct {
	PublicURL  string // base of CertifyUrl and pictureUrl
	PictureKey []byte // signs pictureUrl (derived from the key ring by the wiring)
	// HTTPCallbackHosts may receive a plain-http CallbackUrl (--cloudauth-http-callback-hosts).
	HTTPCallbackHosts []string
}

// Deps are what the server needs.
type Deps struct {
	Service   UseCases
	Log       *slog.Logger
	Page      http.Handler                     // the H5 page (GET /lite/v1/do/{token}, /h5/ assets)
	Console   http.Handler                     // the review console under /console/ (nil = not on this listener)
	Cloudauth CloudauthOptions                 // the Cloudauth RPC endpoint
	ReturnURL func(*faceverify.Session) string // where the page sends the user at the end
	Ready     func(ctx context.Context) error
	// Registries reports the identity registries by name ("ok" | "unreachable") in
	// /readyz; an unreachable one does not make the service unready.
	Registries  func(ctx context.Context) map[string]string
	MaxBody     int64 // API request body limit (20 MB)
	Concurrency int   // default in-flight API requests per tenant (tenant.Concurrency overrides)
	// UploadRate is the page uploads allowed per second per client address (burst 10);
	// 0 = default (2), < 0 = no limit. See limits.go.
	UploadRate float64
	// TrustedProxies (--trusted-proxies) are the reverse proxies whose X-Forwarded-For names
	// the client the upload limit counts; from any other peer the header is ignored.
	TrustedProxies clientip.Trusted
	Now            func() time.Time // clock of the rate limiters (nil = time.Now)
}

// Server is the HTTP handler.
type Server struct {
	deps     Deps
	ca       *Cloudauth
	mux      *http.ServeMux
	inflight sync.Map // tenant id → *atomic.Int64
	limits   uploadLimits
	handler  http.Handler
}

// NewServer returns the service's http.Handler.
func NewServer(d Deps) *Server {
	if d.MaxBody == 0 {
		d.MaxBody = 20 << 20
	}
	if d.Concurrency == 0 {
		d.Concurrency = 64
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Server{deps: d, mux: http.NewServeMux(), limits: newUploadLimits(d)}
	s.ca = &Cloudauth{Service: d.Service, Log: d.Log, PublicURL: d.Cloudauth.PublicURL, PictureKey: d.Cloudauth.PictureKey,
		MaxBody: d.MaxBody, Acquire: s.Acquire, HTTPCallbackHosts: d.Cloudauth.HTTPCallbackHosts}
	s.routes()
	s.handler = s.recoverer(s.mux)
	return s
}

func (s *Server) returnURL(ss *faceverify.Session) string {
	if s.deps.ReturnURL != nil {
		return s.deps.ReturnURL(ss)
	}
	return ss.Options.ReturnURL
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// recoverer turns a panic into a logged 500 instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.deps.Log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "INTERNAL_ERROR"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Acquire takes one in-flight slot of tenant t; release must be called when done.
// It returns ECONCURRENCY when the tenant is at its limit.
func (s *Server) Acquire(t *faceverify.Tenant) (release func(), err error) {
	limit := t.Concurrency
	if limit <= 0 {
		limit = s.deps.Concurrency
	}
	v, _ := s.inflight.LoadOrStore(t.ID, new(atomic.Int64))
	n := v.(*atomic.Int64)
	if n.Add(1) > int64(limit) {
		n.Add(-1)
		return nil, faceverify.Errorf(faceverify.ECONCURRENCY, "concurrency limit exceeded")
	}
	return func() { n.Add(-1) }, nil
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.deps.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.deps.Ready(ctx); err != nil {
			s.deps.Log.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
	}
	body := map[string]any{"status": "ready"}
	if s.deps.Registries != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if st := s.deps.Registries(ctx); len(st) > 0 {
			body["registries"] = st
		}
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// NewRequestID returns a Megvii-style request id "<unix>,<uuid v4>".
func NewRequestID(now time.Time) string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return strconv.FormatInt(now.Unix(), 10) + "," + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
