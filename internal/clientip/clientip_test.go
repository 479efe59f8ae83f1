package clientip_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/faceverify/faceverify/internal/clientip"
)

func TestAddr(t *testing.T) {
	trusted, err := clientip.Parse("10.0.0.0/8, 192.0.2.7, fd00::/8, ::ffff:198.51.100.0/120")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct, no header", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"spoofed header from an untrusted peer", "203.0.113.9:5000", []string{"1.1.1.1"}, "203.0.113.9"},
		{"spoofed chain from an untrusted peer", "203.0.113.9:5000", []string{"10.0.0.1, 192.0.2.7"}, "203.0.113.9"},
		{"trusted proxy", "10.1.2.3:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"trusted proxy, no header", "10.1.2.3:443", nil, "10.1.2.3"},
		{"client-sent entries left of the proxy's are ignored", "10.1.2.3:443", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"two trusted hops", "192.0.2.7:80", []string{"1.1.1.1, 203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"several headers, in order", "10.1.2.3:443", []string{"1.1.1.1", "203.0.113.9"}, "203.0.113.9"},
		{"every hop trusted: the left-most", "10.1.2.3:443", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"malformed entry: the last address a trusted proxy gave", "10.1.2.3:443", []string{"evil, 10.0.0.6"}, "10.0.0.6"},
		{"malformed right-most entry: the peer", "10.1.2.3:443", []string{"1.1.1.1, <script>"}, "10.1.2.3"},
		{"entry with a port", "10.1.2.3:443", []string{"203.0.113.9:61000"}, "203.0.113.9"},
		{"IPv6 client via an IPv6 proxy", "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"IPv4-mapped peer", "[::ffff:198.51.100.4]:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped untrusted peer", "[::ffff:203.0.113.9]:443", []string{"1.1.1.1"}, "203.0.113.9"},
	}
	for _, c := range cases {
		r := &http.Request{RemoteAddr: c.peer, Header: http.Header{}}
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		got, ok := trusted.Addr(r)
		if !ok || got != netip.MustParseAddr(c.want) {
			t.Errorf("%s: %v %v, want %s", c.name, got, ok, c.want)
		}
	}
	// nobody trusted: always the peer
	r := &http.Request{RemoteAddr: "10.1.2.3:443", Header: http.Header{"X-Forwarded-For": {"1.1.1.1"}}}
	if got, _ := clientip.Trusted(nil).Addr(r); got != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("no trusted proxies: %v", got)
	}
	if _, ok := trusted.Addr(&http.Request{RemoteAddr: "garbage"}); ok {
		t.Error("a malformed peer address was accepted")
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.1/8/2", "::ffff:1.2.3.4/64"} {
		if _, err := clientip.Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	tr, err := clientip.Parse(" 10.1.2.3/8 ,, ")
	if err != nil || len(tr) != 1 || tr[0].String() != "10.0.0.0/8" {
		t.Fatalf("%v %v", tr, err)
	}
	if tr, _ := clientip.Parse(""); len(tr) != 0 {
		t.Fatal("empty list trusts somebody")
	}
}

func TestKey(t *testing.T) {
	if k := clientip.Key(netip.MustParseAddr("2001:db8:1:2:aaaa::1")); k != "2001:db8:1:2::/64" {
		t.Fatal(k)
	}
	if k := clientip.Key(netip.MustParseAddr("203.0.113.9")); k != "203.0.113.9" {
		t.Fatal(k)
	}
}
