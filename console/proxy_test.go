package console_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/faceverify/faceverify/internal/apitest"
)

// TestSignInLimitBehindProxy: the sign-in limit counts the client address. A client
// talking to the service directly cannot dodge it with a forged X-Forwarded-For (the peer
// counts); behind a trusted proxy (--trusted-proxies) the address the proxy appended
// counts, so clients behind one proxy are limited apart and an entry the client put in
// front of the proxy's is ignored.
func TestSignInLimitBehindProxy(t *testing.T) {
	fail := func(c *client, i int, xff string) {
		t.Helper()
		if r := c.do("POST", "/console/login", form("guess"+fmt.Sprint(i), "wrong password!!"), "X-Forwarded-For", xff); r.status != 401 {
			t.Fatalf("failure %d: %d", i, r.status)
		}
	}

	t.Run("untrusted peer: X-Forwarded-For ignored", func(t *testing.T) {
		s := startConsole(t, apitest.Options{})
		c := &client{t: t, base: s.URL}
		for i := 0; i < 5; i++ { // five names, five forged addresses: one peer
			fail(c, i, fmt.Sprintf("198.51.100.%d", i+1))
		}
		if r := c.do("POST", "/console/login", form(opName, opPass), "X-Forwarded-For", "203.0.113.200"); r.status != 429 {
			t.Fatalf("a forged X-Forwarded-For dodged the limit: %d", r.status)
		}
	})

	t.Run("trusted proxy: the forwarded client counts", func(t *testing.T) {
		s := startConsole(t, apitest.Options{Flags: []string{"--trusted-proxies", "127.0.0.1/32,::1"}})
		c := &client{t: t, base: s.URL}
		for i := 0; i < 5; i++ {
			fail(c, i, "203.0.113.9")
		}
		// the same client, also when it put a forged entry in front of the proxy's
		for _, xff := range []string{"203.0.113.9", "198.51.100.77, 203.0.113.9"} {
			if r := c.do("POST", "/console/login", form(opName, opPass), "X-Forwarded-For", xff); r.status != 429 {
				t.Fatalf("XFF %q: %d, want 429", xff, r.status)
			}
		}
		// another client behind the same proxy signs in
		if r := c.do("POST", "/console/login", form(opName, opPass), "X-Forwarded-For", "203.0.113.10"); r.status != 303 {
			t.Fatalf("another client behind the proxy: %d", r.status)
		}
	})
}

func form(name, pw string) url.Values { return url.Values{"name": {name}, "password": {pw}} }
