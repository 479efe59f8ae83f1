// Package clientip finds the client address of a request behind reverse proxies that
// are trusted by configuration (--trusted-proxies): X-Forwarded-For is believed only when
// the TCP peer is a trusted proxy, and then only as far as the chain of trusted proxies
// reaches. A client that talks to the service directly cannot choose its address by
// sending the header.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted are the networks of the reverse proxies whose X-Forwarded-For is believed.
// The zero value trusts nobody: the client address is always the TCP peer.
type Trusted []netip.Prefix

// Parse reads a comma-separated list of CIDRs or single addresses ("10.0.0.0/8,
// 192.0.2.7, fd00::/8"); an empty list trusts nobody.
func Parse(list string) (Trusted, error) {
	var out Trusted
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %v", f, err)
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return nil, fmt.Errorf("trusted proxy %q: an IPv4-mapped prefix shorter than /96", f)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Contains reports whether a is a trusted proxy.
func (t Trusted) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the client address of r. It is the TCP peer unless the peer is a trusted
// proxy; then X-Forwarded-For (every such header, in order) is read from the right, each
// entry being the peer the proxy before it saw, and the first address that is not a
// trusted proxy is the client. When every entry is a trusted proxy, the left-most is
// returned; a malformed entry ends the walk at the last address a trusted proxy gave.
// ok is false when the peer address itself cannot be parsed (then addr is invalid).
func (t Trusted) Addr(r *http.Request) (addr netip.Addr, ok bool) {
	peer, ok := parse(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !t.Contains(peer) {
		return peer, true
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parse(strings.TrimSpace(hops[i]))
		if !ok {
			return client, true
		}
		client = a
		if !t.Contains(a) {
			return a, true
		}
	}
	return client, true
}

// parse reads an address, with or without a port ("192.0.2.1", "192.0.2.1:443",
// "[2001:db8::1]:443", "2001:db8::1"); IPv4-mapped IPv6 addresses become IPv4.
func parse(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// Key is the rate-limit key of a client address: an IPv4 address, or the /64 of an
// IPv6 address (one subscriber commonly holds a whole /64).
func Key(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// KeyFor is the rate-limit key of r's client (Addr, then Key); a peer address that cannot be
// parsed is its own key.
func (t Trusted) KeyFor(r *http.Request) string {
	a, ok := t.Addr(r)
	if !ok {
		return r.RemoteAddr
	}
	return Key(a)
}
