package httpapi

// Upload rate limits of the page API. The page's token is a bearer credential handed to
// an anonymous browser, so the page API is where end users (and attackers holding or
// guessing tokens) reach the expensive part of the service: every upload is stored and
// decoded. Two token buckets guard it, checked before the body is read:
//
//   - per client address (IPv4 address, IPv6 /64): --upload-rate per second, burst 10;
//   - per session token: burst 20 (more than a legitimate session can use: 2 card sides ×
//     (1 + 5 retakes) + (1 + 5 retakes) videos + 1 beyond the allowance), then one every 10 s.
//
// Over either limit the answer is 429 RATE_LIMITED with Retry-After. Memory is bounded:
// idle buckets are dropped, and at most maxBuckets are kept per limiter. The client
// address is the TCP peer; behind a reverse proxy, set the limit on the proxy too.

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/faceverify/faceverify"
)

// Rate is a token bucket: Burst requests at once, refilled at PerSecond.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Default page upload limits.
var (
	DefaultIPUploadRate    = Rate{PerSecond: 2, Burst: 10}
	DefaultTokenUploadRate = Rate{PerSecond: 0.1, Burst: 20}
)

const maxBuckets = 100_000

// Limiter is a keyed set of token buckets, safe for concurrent use.
type Limiter struct {
	rate    Rate
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
	max     int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter; a Rate with PerSecond <= 0 allows everything.
func NewLimiter(r Rate, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if r.Burst < 1 {
		r.Burst = 1
	}
	return &Limiter{rate: r, now: now, buckets: map[string]*bucket{}, max: maxBuckets}
}

// Allow takes one token of key's bucket; when empty it returns false and how long until
// the next token.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate.PerSecond <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+el*l.rate.PerSecond)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate.PerSecond * float64(time.Second))
	return false, wait
}

// prune drops buckets that are full again (idle long enough); if none is, it drops
// arbitrary ones so memory stays bounded (failing open for a few keys, never closed).
func (l *Limiter) prune(now time.Time) {
	full := time.Duration(float64(l.rate.Burst) / l.rate.PerSecond * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.max*9/10 {
			break
		}
		delete(l.buckets, k)
	}
}

// Len is the number of buckets kept (tests).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// uploadLimits holds the page API's limiters.
type uploadLimits struct {
	ip, token *Limiter
}

func newUploadLimits(d Deps) uploadLimits {
	ip := DefaultIPUploadRate
	if d.UploadRate != 0 {
		ip.PerSecond = d.UploadRate // < 0: off
	}
	return uploadLimits{ip: NewLimiter(ip, d.Now), token: NewLimiter(DefaultTokenUploadRate, d.Now)}
}

// limitUploads applies the per-address and per-token upload limits before h reads the body.
func (s *Server) limitUploads(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.limits.ip.Allow(s.deps.TrustedProxies.KeyFor(r))
		why := "too many uploads from this address"
		if ok {
			ok, wait = s.limits.token.Allow(r.PathValue("token"))
			why = "too many uploads for this session"
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			// the body is not read: close the connection rather than drain an upload
			w.Header().Set("Connection", "close")
			s.h5Error(w, r, faceverify.Errorf(faceverify.ERATELIMIT, "%s", why), nil)
			return
		}
		h(w, r)
	})
}
