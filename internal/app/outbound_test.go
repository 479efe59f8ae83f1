package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/faceverify/faceverify/config"
	"github.com/faceverify/faceverify/notify"
)

// The wiring of --notify-allow: the guard the service builds refuses private addresses
// unless listed. The dialer is replaced by a recorder, so nothing is ever dialled.
func TestOutboundGuardWiring(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		allow string
		url   string
		ok    bool
	}{
		{"", "http://127.0.0.1:9/", false},
		{"", "http://169.254.169.254/", false},
		{"127.0.0.1/32", "http://127.0.0.1:9/", true},
		{"127.0.0.1/32", "http://10.0.0.1/", false},
		{"not a host!", "http://127.0.0.1:9/", false}, // a bad allowlist fails closed
	} {
		a := &App{Config: &config.Config{NotifyAllow: c.allow}, Log: log}
		g := a.outboundGuard()
		var dialled []string
		g.Dial = func(_ context.Context, _, addr string) (net.Conn, error) {
			dialled = append(dialled, addr)
			return nil, errors.New("recorded")
		}
		_, err := g.Client(time.Second).Get(c.url)
		if c.ok != (len(dialled) == 1) || c.ok == errors.Is(err, notify.ErrRefused) {
			t.Errorf("allow %q %s: dialled %v err %v", c.allow, c.url, dialled, err)
		}
	}
	// the default client carries the guard and ignores proxies from the environment
	a := &App{Config: &config.Config{}, Log: log}
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	req, _ := http.NewRequest(http.MethodGet, "http://10.0.0.1/", nil)
	if _, err := a.outboundClient().Do(req); !errors.Is(err, notify.ErrRefused) {
		t.Fatalf("default client: %v", err)
	}
}
