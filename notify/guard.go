package notify

// The outbound guard (SSRF protection). Every callback URL is chosen by a tenant, and a
// tenant must not be able to make this service reach its own network: the loopback
// interface, the private networks it runs in, the cloud metadata service. The guard
//
//   - accepts only http and https URLs (also for every redirect hop);
//   - resolves a host name exactly once per connection and dials the address it checked,
//     so a name that answers public-then-private (DNS rebinding) cannot slip through;
//   - refuses loopback, unspecified, RFC 1918, CGNAT, link-local (incl. 169.254.169.254),
//     multicast, reserved and documentation ranges, and their IPv6 equivalents (::1,
//     fc00::/7, fe80::/10, IPv4-mapped/-compatible, NAT64, 6to4 and Teredo forms of them);
//   - refuses the whole answer if any resolved address is refused;
//   - checks the connected address again in net.Dialer.Control (defence in depth);
//   - never uses an environment proxy (a proxy would fetch the private URL for us);
//   - lets through only what the operator listed in --notify-allow (CIDRs, addresses or
//     exact host names), for tests and on-premises receivers.
//
// Resolver and Dial are injectable so tests can prove all of this without opening a
// connection to any address the guard should refuse.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Resolver resolves host names (net.DefaultResolver satisfies it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a connection to addr ("ip:port").
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Guard checks outbound destinations. The zero value refuses every non-public address.
type Guard struct {
	AllowNets  []netip.Prefix  // addresses allowed although not public
	AllowHosts map[string]bool // host names (lower case) whose addresses are all allowed
	Resolver   Resolver        // nil = net.DefaultResolver
	Dial       DialFunc        // nil = a net.Dialer with Control re-checking the address
	Timeout    time.Duration   // connect timeout of the default dialer (10 s)
	MaxHops    int             // redirects followed (default 3); each hop is checked
	TLS        *tls.Config     // client TLS settings (private CA, client certificate for mTLS); nil = defaults
}

// ErrRefused is returned (wrapped, and marked permanent) for a destination the guard refuses.
var ErrRefused = errors.New("outbound destination refused")

type refusedError struct{ why string }

func (e *refusedError) Error() string   { return "notify: " + ErrRefused.Error() + ": " + e.why }
func (e *refusedError) Unwrap() []error { return []error{ErrRefused, ErrPermanent} }
func (e *refusedError) Permanent() bool { return true }

func refused(format string, args ...any) error {
	return &refusedError{why: fmt.Sprintf(format, args...)}
}

// ParseAllow reads a --notify-allow list: comma-separated CIDRs ("127.0.0.0/8"), single
// addresses ("::1") and host names ("receiver.local"). An empty list allows nothing.
func ParseAllow(spec string) (*Guard, error) {
	g := &Guard{AllowHosts: map[string]bool{}}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			g.AllowNets = append(g.AllowNets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(item); err == nil {
			a = a.Unmap()
			g.AllowNets = append(g.AllowNets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		h := strings.ToLower(strings.TrimSuffix(item, "."))
		if !validHostName(h) {
			return nil, fmt.Errorf("notify-allow: %q is neither a CIDR, an address nor a host name", item)
		}
		g.AllowHosts[h] = true
	}
	return g, nil
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// refusedNets are the ranges that are never a tenant's public receiver.
var refusedNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",         // "this network", 0.0.0.0
		"10.0.0.0/8",        // RFC 1918
		"100.64.0.0/10",     // CGNAT (RFC 6598)
		"127.0.0.0/8",       // loopback
		"169.254.0.0/16",    // link-local, cloud metadata 169.254.169.254
		"172.16.0.0/12",     // RFC 1918
		"192.0.0.0/24",      // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
		"192.0.2.0/24",      // TEST-NET-1
		"192.88.99.0/24",    // 6to4 relay anycast
		"192.168.0.0/16",    // RFC 1918
		"198.18.0.0/15",     // benchmarking
		"198.51.100.0/24",   // TEST-NET-2
		"203.0.113.0/24",    // TEST-NET-3
		"224.0.0.0/4",       // multicast
		"240.0.0.0/4",       // reserved, broadcast
		"::/128",            // unspecified
		"::1/128",           // loopback
		"::/96",             // IPv4-compatible (deprecated); also covers ::
		"100::/64",          // discard-only
		"2001:db8::/32",     // documentation
		"2001:10::/28",      // ORCHID
		"2001:20::/28",      // ORCHIDv2
		"fc00::/7",          // unique local (incl. fd00:ec2::254 AWS metadata)
		"fe80::/10",         // link-local
		"fec0::/10",         // site-local (deprecated)
		"ff00::/8",          // multicast
		"64:ff9b:1::/48",    // local-use NAT64
		"5f00::/16",         // SRv6 SIDs
		"3fff::/20",         // documentation (RFC 9637)
		"2001:2::/48",       // benchmarking
		"2620:4f:8000::/48", // AS112
		"::ffff:0:0:0/96",   // SIIT translated
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixto4  = netip.MustParsePrefix("2002::/16")
	teredo  = netip.MustParsePrefix("2001::/32")
	mapped4 = netip.MustParsePrefix("::ffff:0:0/96")
)

// Public reports why addr is not a public unicast address ("" = it is public). IPv6 forms
// that embed an IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address.
func Public(addr netip.Addr) string {
	if !addr.IsValid() {
		return "invalid address"
	}
	if addr.Zone() != "" {
		return "scoped address"
	}
	if addr.Is4In6() || mapped4.Contains(addr) {
		return Public(addr.Unmap())
	}
	if addr.Is6() {
		b := addr.As16()
		switch {
		case nat64.Contains(addr):
			if why := Public(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); why != "" {
				return "NAT64 of " + why
			}
		case sixto4.Contains(addr):
			if why := Public(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); why != "" {
				return "6to4 of " + why
			}
		case teredo.Contains(addr):
			return "Teredo address"
		}
	}
	for _, p := range refusedNets {
		if p.Contains(addr) {
			return "non-public range " + p.String()
		}
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsMulticast() || addr.IsUnspecified() {
		return "non-public address"
	}
	return ""
}

// allowedAddr reports whether the operator's allowlist covers addr.
func (g *Guard) allowedAddr(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	for _, p := range g.AllowNets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// CheckAddr refuses an address that is not public and not allowlisted.
func (g *Guard) CheckAddr(host string, addr netip.Addr) error {
	if g.AllowHosts[strings.ToLower(strings.TrimSuffix(host, "."))] || g.allowedAddr(addr) {
		return nil
	}
	if why := Public(addr); why != "" {
		return refused("%s (%s)", addr, why)
	}
	return nil
}

// CheckURL refuses URLs that are not absolute http(s) URLs with a host.
func CheckURL(u *url.URL) error {
	if u == nil {
		return refused("no URL")
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return refused("scheme %q is not http or https", u.Scheme)
	}
	if u.Hostname() == "" {
		return refused("URL without host")
	}
	return nil
}

// DialContext resolves addr's host once, checks every address, and dials a checked one.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, refused("bad address %q", addr)
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, refused("network %q", network)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if !validHostName(strings.ToLower(strings.TrimSuffix(host, "."))) {
			return nil, refused("bad host name %q", host)
		}
		res := g.Resolver
		if res == nil {
			res = net.DefaultResolver
		}
		addrs, err = res.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("notify: resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("notify: resolve %s: no addresses", host)
		}
	}
	// all or nothing: a name with any refused address is refused
	for _, a := range addrs {
		if err := g.CheckAddr(host, a); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
	}
	dial := g.Dial
	if dial == nil {
		dial = g.defaultDial(host)
	}
	var errs []error
	for _, a := range addrs {
		conn, err := dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// defaultDial is a net.Dialer whose Control re-checks the address actually connected to.
func (g *Guard) defaultDial(host string) DialFunc {
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return refused("bad address %q", address)
			}
			return g.CheckAddr(host, ap.Addr())
		}}
	return d.DialContext
}

// Client returns an HTTP client whose every connection and redirect passes the guard.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	hops := g.MaxHops
	if hops == 0 {
		hops = 3
	}
	tr := &http.Transport{
		Proxy:                 nil, // never an environment proxy
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		TLSClientConfig:       g.TLS,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: guardTransport{tr},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > hops {
				return fmt.Errorf("%w: more than %d redirects", ErrPermanent, hops)
			}
			if err := CheckURL(req.URL); err != nil {
				return err
			}
			if a, err := netip.ParseAddr(strings.Trim(req.URL.Hostname(), "[]")); err == nil {
				return g.CheckAddr("", a)
			}
			return nil // names are checked when dialled
		},
	}
}

// guardTransport refuses non-http(s) URLs before the transport sees them.
type guardTransport struct{ rt http.RoundTripper }

func (t guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := CheckURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.rt.RoundTrip(req)
}
