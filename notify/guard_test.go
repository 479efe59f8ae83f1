package notify

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests never open a connection to a non-loopback address: the guard gets a stub
// resolver and a recording dialer that answers over an in-memory pipe.

type stubResolver struct {
	mu    sync.Mutex
	calls map[string]int
	// answers[host] is the list of answers for the 1st, 2nd, … lookup (the last repeats)
	answers map[string][][]string
}

func (r *stubResolver) LookupNetIP(_ context.Context, _ string, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".") // DNS names are case-insensitive
	as, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	n := r.calls[host]
	r.calls[host]++
	ans := as[min(n, len(as)-1)]
	var out []netip.Addr
	for _, a := range ans {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func (r *stubResolver) count(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[host]
}

// recorder is a DialFunc that records the address and serves h over a net.Pipe.
type recorder struct {
	mu     sync.Mutex
	dialed []string
	h      http.Handler
}

func (rc *recorder) dial(_ context.Context, network, addr string) (net.Conn, error) {
	rc.mu.Lock()
	rc.dialed = append(rc.dialed, addr)
	rc.mu.Unlock()
	if rc.h == nil {
		return nil, errors.New("recorder: not dialled")
	}
	c1, c2 := net.Pipe()
	go func() {
		defer c2.Close()
		req, err := http.ReadRequest(bufio.NewReader(c2))
		if err != nil {
			return
		}
		req.RemoteAddr = "pipe"
		w := httptest.NewRecorder()
		rc.h.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), dialedKey{}, addr)))
		resp := w.Result()
		resp.Close = true
		resp.ContentLength = int64(w.Body.Len())
		resp.Write(c2)
	}()
	return c1, nil
}

type dialedKey struct{}

func (rc *recorder) addrs() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.dialed...)
}

func TestPublicAddressClasses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true},
		{"93.184.216.34", true},
		{"1.1.1.1", true},
		{"2606:4700:4700::1111", true},
		{"2a00:1450:4001:80b::200e", true},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true}, // just outside 172.16/12
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"169.254.0.1", false},
		{"100.64.0.1", false}, // CGNAT
		{"100.127.255.254", false},
		{"100.128.0.1", true}, // just outside 100.64/10
		{"192.0.0.192", false},
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"::127.0.0.1", false}, // IPv4-compatible
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:8.8.8.8", true}, // mapped public is public
		{"::ffff:0:a9fe:a9fe", false},
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of the metadata address
		{"64:ff9b::808:808", true},    // NAT64 of 8.8.8.8
		{"64:ff9b:1::1", false},
		{"2002:7f00:1::1", false}, // 6to4 of 127.0.0.1
		{"2002:a00:1::1", false},  // 6to4 of 10.0.0.1
		{"2002:808:808::1", true}, // 6to4 of 8.8.8.8
		{"2001:0:4136:e378::1", false},
		{"fc00::1", false},
		{"fd00:ec2::254", false}, // AWS IPv6 metadata
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"febf::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"2001:db8::1", false},
		{"100::1", false},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		why := Public(a)
		if (why == "") != c.public {
			t.Errorf("Public(%s) = %q, want public=%v", c.addr, why, c.public)
		}
		g := &Guard{}
		if err := g.CheckAddr("", a); (err == nil) != c.public || (err != nil && !errors.Is(err, ErrRefused)) {
			t.Errorf("CheckAddr(%s) = %v", c.addr, err)
		}
	}
}

func newGuard(t *testing.T, allow string, res *stubResolver, rc *recorder) *Guard {
	t.Helper()
	g, err := ParseAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	g.Resolver, g.Dial = res, rc.dial
	return g
}

func okHandler(hits *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	})
}

func TestGuardURLTable(t *testing.T) {
	t.Parallel()
	res := &stubResolver{answers: map[string][][]string{
		"public.example":   {{"93.184.216.34"}},
		"public6.example":  {{"2606:4700:4700::1111"}},
		"localhost":        {{"127.0.0.1", "::1"}},
		"intranet.example": {{"192.168.10.20"}},
		"meta.example":     {{"169.254.169.254"}},
		"mixed.example":    {{"93.184.216.34", "10.0.0.7"}}, // any private answer refuses the name
		"ula.example":      {{"fd12:3456::1"}},
		"mapped.example":   {{"::ffff:127.0.0.1"}},
		"cgnat.example":    {{"100.64.1.1"}},
	}}
	cases := []struct {
		url, dial string // dial: the one address dialled; "" = refused before any dial
		err       string
	}{
		{"http://public.example/cb", "93.184.216.34:80", ""},
		{"https://public.example:8443/cb", "93.184.216.34:8443", "tls"}, // dialled; TLS fails over the plain pipe
		{"http://public6.example/cb", "[2606:4700:4700::1111]:80", ""},
		{"http://93.184.216.34/cb", "93.184.216.34:80", ""},
		{"http://127.0.0.1/", "", "refused"},
		{"http://127.1.2.3:9000/", "", "refused"},
		{"http://localhost/", "", "refused"},
		{"http://[::1]:8080/", "", "refused"},
		{"http://10.0.0.1/", "", "refused"},
		{"http://172.20.1.1/", "", "refused"},
		{"http://192.168.0.1/", "", "refused"},
		{"http://intranet.example/", "", "refused"},
		{"http://169.254.169.254/latest/meta-data/", "", "refused"},
		{"http://meta.example/latest/meta-data/", "", "refused"},
		{"http://100.64.0.1/", "", "refused"},
		{"http://cgnat.example/", "", "refused"},
		{"http://0.0.0.0/", "", "refused"},
		{"http://[::]/", "", "refused"},
		{"http://[fc00::1]/", "", "refused"},
		{"http://ula.example/", "", "refused"},
		{"http://[fe80::1%25eth0]/", "", "refused"},
		{"http://[fe80::1]/", "", "refused"},
		{"http://[::ffff:127.0.0.1]/", "", "refused"},
		{"http://[::ffff:a9fe:a9fe]/", "", "refused"},
		{"http://[64:ff9b::a9fe:a9fe]/", "", "refused"},
		{"http://[2002:a9fe:a9fe::]/", "", "refused"},
		{"http://mapped.example/", "", "refused"},
		{"http://mixed.example/", "", "refused"},
		{"http://unknown.example/", "", "no such host"},
		{"ftp://public.example/", "", "refused"},
		{"file:///etc/passwd", "", "refused"},
		{"gopher://public.example:70/", "", "refused"},
		{"http:///nohost", "", "refused"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			var hits atomic.Int32
			rc := &recorder{h: okHandler(&hits)}
			g := newGuard(t, "", res, rc)
			cl := g.Client(2 * time.Second)
			req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader("data=x"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := cl.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			got := rc.addrs()
			if c.dial == "" && len(got) != 0 {
				t.Fatalf("dialled %v, want no dial", got)
			}
			if c.dial != "" && (len(got) != 1 || got[0] != c.dial) {
				t.Fatalf("dialled %v, want [%s]", got, c.dial)
			}
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.err == "" && (resp.StatusCode != 200 || hits.Load() != 1):
				t.Fatalf("status %d hits %d", resp.StatusCode, hits.Load())
			case c.err == "refused":
				if !errors.Is(err, ErrRefused) || !errors.Is(err, ErrPermanent) {
					t.Fatalf("want refused+permanent, got %v", err)
				}
			case c.err != "" && c.err != "refused" && c.err != "tls":
				if err == nil || !strings.Contains(err.Error(), c.err) || errors.Is(err, ErrRefused) {
					t.Fatalf("want %q, got %v", c.err, err)
				}
			}
		})
	}
}

// A name that answers a public address to the check and a private one afterwards (DNS
// rebinding) must be dialled at the address that was checked: one lookup per connection.
func TestGuardDNSRebinding(t *testing.T) {
	t.Parallel()
	res := &stubResolver{answers: map[string][][]string{
		"rebind.example": {{"93.184.216.34"}, {"127.0.0.1"}, {"169.254.169.254"}},
	}}
	var hits atomic.Int32
	rc := &recorder{h: okHandler(&hits)}
	g := newGuard(t, "", res, rc)
	cl := g.Client(2 * time.Second)
	resp, err := cl.Get("http://rebind.example/cb")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := res.count("rebind.example"); n != 1 {
		t.Fatalf("resolved %d times for one connection, want 1", n)
	}
	if d := rc.addrs(); len(d) != 1 || d[0] != "93.184.216.34:80" {
		t.Fatalf("dialled %v", d)
	}
	// the next connection sees the private answer and is refused, without a dial
	for i := 0; i < 2; i++ {
		_, err = cl.Get("http://rebind.example/cb")
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("rebound lookup %d: %v", i, err)
		}
	}
	if d := rc.addrs(); len(d) != 1 {
		t.Fatalf("dialled %v after rebinding", d)
	}
}

func TestGuardRedirects(t *testing.T) {
	t.Parallel()
	res := &stubResolver{answers: map[string][][]string{
		"public.example":   {{"93.184.216.34"}},
		"other.example":    {{"93.184.216.35"}},
		"intranet.example": {{"10.1.2.3"}},
	}}
	cases := []struct {
		location string
		dials    []string
		refused  bool
	}{
		{"http://169.254.169.254/latest/meta-data/", []string{"93.184.216.34:80"}, true},
		{"http://127.0.0.1:8080/admin", []string{"93.184.216.34:80"}, true},
		{"http://[::1]/", []string{"93.184.216.34:80"}, true},
		{"http://intranet.example/", []string{"93.184.216.34:80"}, true},
		{"gopher://other.example/", []string{"93.184.216.34:80"}, true},
		{"file:///etc/passwd", []string{"93.184.216.34:80"}, true},
		{"http://other.example/ok", []string{"93.184.216.34:80", "93.184.216.35:80"}, false},
	}
	for _, c := range cases {
		t.Run(c.location, func(t *testing.T) {
			rc := &recorder{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Host == "public.example" {
					http.Redirect(w, r, c.location, http.StatusTemporaryRedirect)
					return
				}
				io.WriteString(w, "ok")
			})}
			g := newGuard(t, "", res, rc)
			resp, err := g.Client(2*time.Second).Post("http://public.example/cb", "application/x-www-form-urlencoded", strings.NewReader("data=1"))
			if resp != nil {
				resp.Body.Close()
			}
			if c.refused != errors.Is(err, ErrRefused) {
				t.Fatalf("err %v, want refused=%v", err, c.refused)
			}
			if d := rc.addrs(); strings.Join(d, " ") != strings.Join(c.dials, " ") {
				t.Fatalf("dialled %v, want %v", d, c.dials)
			}
		})
	}
	// a redirect loop ends after MaxHops
	rc := &recorder{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://public.example/again", http.StatusFound)
	})}
	g := newGuard(t, "", res, rc)
	if _, err := g.Client(2 * time.Second).Get("http://public.example/"); !errors.Is(err, ErrPermanent) {
		t.Fatalf("redirect loop: %v", err)
	}
	if n := len(rc.addrs()); n != 4 {
		t.Fatalf("redirect loop dialled %d times, want 4 (1 + 3 hops)", n)
	}
}

func TestGuardAllowlist(t *testing.T) {
	t.Parallel()
	res := &stubResolver{answers: map[string][][]string{
		"receiver.local":   {{"10.20.30.40"}},
		"intranet.example": {{"10.20.30.41"}},
	}}
	var hits atomic.Int32
	rc := &recorder{h: okHandler(&hits)}
	g := newGuard(t, " 127.0.0.0/8, ::1 ,Receiver.Local., 192.168.7.0/24", res, rc)
	for _, c := range []struct {
		url   string
		allow bool
	}{
		{"http://127.0.0.1:9/", true},
		{"http://127.9.9.9:9/", true},
		{"http://[::1]:9/", true},
		{"http://[::ffff:127.0.0.1]:9/", true},
		{"http://receiver.local/", true},
		{"http://RECEIVER.local./", true},
		{"http://192.168.7.9/", true},
		{"http://192.168.8.9/", false},
		{"http://intranet.example/", false},
		{"http://169.254.169.254/", false},
		{"http://10.20.30.40/", false}, // allowed by name only, not by address
	} {
		before := len(rc.addrs())
		resp, err := g.Client(time.Second).Get(c.url)
		if resp != nil {
			resp.Body.Close()
		}
		if c.allow && (err != nil || len(rc.addrs()) != before+1) {
			t.Errorf("%s: want allowed, got %v", c.url, err)
		}
		if !c.allow && (!errors.Is(err, ErrRefused) || len(rc.addrs()) != before) {
			t.Errorf("%s: want refused without dial, got %v", c.url, err)
		}
	}
	for _, bad := range []string{"http://x", "10.0.0.0/33", "a b", "*.example"} {
		if _, err := ParseAllow(bad); err == nil {
			t.Errorf("ParseAllow(%q) accepted", bad)
		}
	}
	if g, err := ParseAllow(""); err != nil || len(g.AllowNets)+len(g.AllowHosts) != 0 {
		t.Fatalf("empty allowlist: %+v %v", g, err)
	}
}

// End to end with the real dialer on loopback: refused unless allowlisted, and the
// Control hook refuses a connection even when the pre-dial check is bypassed.
func TestGuardLoopbackReal(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	closed := &Guard{}
	if _, err := closed.Client(time.Second).Get(srv.URL); !errors.Is(err, ErrRefused) {
		t.Fatalf("loopback without allowlist: %v", err)
	}
	// the dialer's Control re-check (bypassing DialContext's own check)
	if _, err := closed.defaultDial("")(context.Background(), "tcp", u.Host); !errors.Is(err, ErrRefused) {
		t.Fatalf("Control: %v", err)
	}
	time.Sleep(20 * time.Millisecond)
	if n := conns.Load(); n != 0 {
		t.Fatalf("server saw %d connections from refused attempts", n)
	}
	open, _ := ParseAllow("127.0.0.1/32")
	resp, err := open.Client(time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// a name resolving to loopback, allowed by name, through the system resolver
	byName, _ := ParseAllow("localhost")
	resp, err = byName.Client(time.Second).Get("http://localhost:" + u.Port() + "/")
	if err != nil {
		t.Fatalf("localhost allowlisted: %v", err)
	}
	resp.Body.Close()
	if conns.Load() < 2 {
		t.Fatalf("allowlisted requests did not arrive: %d", conns.Load())
	}
}
