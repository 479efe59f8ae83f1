package app

// Outbound HTTP for callbacks. (Owned by the trust-boundaries work: the SSRF guard and its
// allowlist are wired here.)

import (
	"net/http"
	"time"
)

// outboundClient is the client callbacks are delivered with.
func (a *App) outboundClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
