package app

// Outbound HTTP for callbacks. (Owned by the trust-boundaries work: the SSRF guard and its
// allowlist are wired here.)

import (
	"net/http"
	"time"

	"github.com/faceverify/faceverify/notify"
)

// outboundGuard is the SSRF guard of callbacks, with the --notify-allow allowlist. An
// allowlist that does not parse is logged and ignored: the guard then fails closed
// (only public addresses), it never opens up.
func (a *App) outboundGuard() *notify.Guard {
	g, err := notify.ParseAllow(a.Config.NotifyAllow)
	if err != nil {
		a.Log.Error("--notify-allow ignored", "err", err)
		g = &notify.Guard{}
	}
	return g
}

// outboundClient is the client callbacks are delivered with: every connection and every
// redirect hop passes the guard, never through an environment proxy.
func (a *App) outboundClient() *http.Client {
	return a.outboundGuard().Client(10 * time.Second)
}
