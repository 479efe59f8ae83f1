package httpreg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faceverify/faceverify/internal/testclock"
	"github.com/faceverify/faceverify/internal/testenv"
	"github.com/faceverify/faceverify/notify"
	"github.com/faceverify/faceverify/registry"
	"github.com/faceverify/faceverify/registry/httpreg"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/vision"
)

var (
	engOnce sync.Once
	eng     *vision.Engine
	engErr  error
)

// templater is the real face engine (the one production wires in).
func templater(t testing.TB) registry.Templater {
	t.Helper()
	md, lib := testenv.ModelDir(t), testenv.ORTLib(t)
	engOnce.Do(func() { eng, engErr = vision.Open(vision.Config{ModelDir: md, LibPath: lib, Threads: 1}) })
	if engErr != nil {
		t.Fatal(engErr)
	}
	return func(ctx context.Context, photo []byte) ([]float32, error) {
		f, err := eng.ReferenceFace(photo)
		return f.Embedding, err
	}
}

func facePhoto(t testing.TB, name string) []byte {
	t.Helper()
	d := testenv.Datasets(t, "faces", "deepface")
	b, err := os.ReadFile(filepath.Join(d, "faces", "deepface", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lfwPhoto is an LFW image: 250×250 JPEG, about the size of a registry's ID photo.
func lfwPhoto(t testing.TB, person, file string) []byte {
	t.Helper()
	d := testenv.Datasets(t, "faces", "lfw-dev")
	b, err := os.ReadFile(filepath.Join(d, "faces", "lfw-dev", person, file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noFacePhoto is a generated landscape-like gradient: a valid image with no face.
func noFacePhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / 320), uint8(120 + y/4), uint8(200 - y/2), 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// loopbackGuard is the production guard allowing only 127.0.0.0/8, with a resolver and a
// dialer injected: the dialer records every address and refuses anything not loopback, so
// no test can send traffic off the machine even if the guard had a hole.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialLog) all() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

type mapResolver map[string][]netip.Addr

func (m mapResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, ok := m[strings.ToLower(host)]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func loopbackGuard(log *dialLog, res mapResolver) *notify.Guard {
	return &notify.Guard{
		AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Resolver:  res,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			log.mu.Lock()
			log.addrs = append(log.addrs, addr)
			log.mu.Unlock()
			ap, err := netip.ParseAddrPort(addr)
			if err != nil || !ap.Addr().IsLoopback() {
				return nil, fmt.Errorf("test dialer: refusing non-loopback %s", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

var secret = []byte("0123456789abcdef-registry-secret")

const (
	numAlice   = "11010519491231002X"
	numNoFace  = "110101199003074392"
	numUnknown = "110101199003071234"
	numSlow    = "110101199003075555"
	numFlaky   = "110101199003076666"
	numBadJSON = "110101199003077777"
	numRedir   = "110101199003078888"
	num404     = "110101199003079999"
	numBench   = "110101199003070000"
)

type fixture struct {
	srv  *contractServer
	dial *dialLog
	cfg  httpreg.Config
}

func setup(t testing.TB, withTemplater bool) *fixture {
	t.Helper()
	srv := newContractServer(t, secret)
	var tpl registry.Templater
	if withTemplater {
		tpl = templater(t)
	}
	srv.people[numAlice] = person{name: "张三", photo: facePhoto(t, "img1.jpg")}
	srv.people[numBench] = person{name: "张三", photo: lfwPhoto(t, "Abdullah_Gul", "Abdullah_Gul_0001.jpg")}
	srv.people[numNoFace] = person{name: "李四", photo: noFacePhoto()}
	srv.people[numFlaky] = srv.people[numAlice]
	srv.behaviour[numSlow] = "slow"
	srv.behaviour[numFlaky] = "500-once"
	srv.behaviour[numBadJSON] = "bad-json"
	srv.behaviour[num404] = "404"
	log := &dialLog{}
	f := &fixture{srv: srv, dial: log, cfg: httpreg.Config{
		Name: "crm", URL: srv.URL + "/reg", KeyID: "k1", Secret: secret, AllowHTTP: true,
		Timeout: 3 * time.Second, Retries: 2, Backoff: 5 * time.Millisecond,
		Guard: loopbackGuard(log, mapResolver{}), Templater: tpl,
	}}
	t.Cleanup(func() {
		for _, a := range log.all() {
			if ap, err := netip.ParseAddrPort(a); err != nil || !ap.Addr().IsLoopback() {
				t.Errorf("a connection to %s was attempted", a)
			}
		}
	})
	return f
}

func (f *fixture) client(t *testing.T, mod func(*httpreg.Config)) *httpreg.Client {
	t.Helper()
	cfg := f.cfg
	if mod != nil {
		mod(&cfg)
	}
	c, err := httpreg.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOutcomes(t *testing.T) {
	f := setup(t, true)
	c := f.client(t, nil)
	ctx := context.Background()
	cases := []struct {
		name, number, claimed string
		want                  registry.Outcome
		hits                  int
	}{
		{"match", numAlice, "张三", registry.Match, 1},
		{"unknown number", numUnknown, "王五", registry.NoSuchNumber, 1},
		{"name mismatch", numAlice, "张四", registry.NameMismatch, 2},
		{"photo with no face", numNoFace, "李四", registry.NoUsablePhoto, 1},
		{"500 then success (retried)", numFlaky, "张三", registry.Match, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := c.Lookup(ctx, registry.Query{Name: tc.claimed, Number: tc.number})
			if err != nil {
				t.Fatal(err)
			}
			if a.Outcome != tc.want {
				t.Fatalf("outcome %s, want %s", a.Outcome, tc.want)
			}
			if tc.want == registry.Match && (len(a.Template) != 512 || a.Photo != nil) {
				t.Fatalf("match must carry the 512-d template only, got %d floats, %d photo bytes", len(a.Template), len(a.Photo))
			}
			if got := f.srv.hitsFor(tc.number); got != tc.hits {
				t.Fatalf("source saw %d lookups, want %d", got, tc.hits)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	f := setup(t, false)
	ctx := context.Background()
	c := f.client(t, nil)
	t.Run("slow source: every attempt times out, bounded retries", func(t *testing.T) {
		c := f.client(t, func(c *httpreg.Config) { c.Timeout = 200 * time.Millisecond })
		_, err := c.Lookup(ctx, registry.Query{Name: "x", Number: numSlow})
		if !errors.Is(err, registry.ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
		if got := f.srv.hitsFor(numSlow); got != 3 {
			t.Fatalf("source saw %d attempts, want 1 + 2 retries", got)
		}
	})
	t.Run("bad JSON: not retried", func(t *testing.T) {
		_, err := c.Lookup(ctx, registry.Query{Name: "x", Number: numBadJSON})
		if !errors.Is(err, registry.ErrUnavailable) || !strings.Contains(err.Error(), "JSON") {
			t.Fatalf("err = %v", err)
		}
		if got := f.srv.hitsFor(numBadJSON); got != 1 {
			t.Fatalf("source saw %d attempts, want 1", got)
		}
	})
	t.Run("4xx: not retried", func(t *testing.T) {
		_, err := c.Lookup(ctx, registry.Query{Name: "x", Number: num404})
		if !errors.Is(err, registry.ErrUnavailable) || f.srv.hitsFor(num404) != 1 {
			t.Fatalf("err = %v after %d attempts", err, f.srv.hitsFor(num404))
		}
	})
	t.Run("wrong request signature: refused by the source", func(t *testing.T) {
		bad := f.client(t, func(c *httpreg.Config) { c.Secret = []byte("another-secret-of-16+bytes") })
		_, err := bad.Lookup(ctx, registry.Query{Name: "张三", Number: numAlice})
		if !errors.Is(err, registry.ErrUnavailable) || !strings.Contains(err.Error(), "401") {
			t.Fatalf("err = %v", err)
		}
		if f.srv.refused == 0 {
			t.Fatal("the source did not see a refused signature")
		}
		if err := bad.Check(ctx); err == nil {
			t.Fatal("health check passed with a wrong secret")
		}
	})
	t.Run("wrong response signature: answer refused", func(t *testing.T) {
		f.srv.respSecret = []byte("forged-answers-secret-123")
		defer func() { f.srv.respSecret = secret }()
		_, err := c.Lookup(ctx, registry.Query{Name: "张三", Number: numAlice})
		if !errors.Is(err, registry.ErrUnavailable) || !strings.Contains(err.Error(), "response signature") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("redirect to a private address: refused, never dialled", func(t *testing.T) {
		f.srv.behaviour[numRedir] = "redirect:http://10.20.30.40:8080/reg/v1/lookup"
		_, err := c.Lookup(ctx, registry.Query{Name: "张三", Number: numRedir})
		if !errors.Is(err, registry.ErrUnavailable) || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("err = %v", err)
		}
		f.srv.behaviour[numRedir] = "redirect:http://registry.corp.internal/reg/v1/lookup"
		if _, err := c.Lookup(ctx, registry.Query{Name: "张三", Number: numRedir}); !errors.Is(err, registry.ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("address resolving to a private network: refused by the guard", func(t *testing.T) {
		res := mapResolver{"registry.corp.internal": {netip.MustParseAddr("10.1.2.3")}}
		g := loopbackGuard(f.dial, res)
		priv := f.client(t, func(c *httpreg.Config) { c.URL = "http://registry.corp.internal/reg"; c.Guard = g })
		_, err := priv.Lookup(ctx, registry.Query{Name: "张三", Number: numAlice})
		if !errors.Is(err, registry.ErrUnavailable) || !errors.Is(err, notify.ErrRefused) && !strings.Contains(err.Error(), "refused") {
			t.Fatalf("err = %v", err)
		}
		for _, a := range f.dial.all() {
			if strings.HasPrefix(a, "10.") {
				t.Fatalf("dialled %s", a)
			}
		}
	})
	t.Run("health", func(t *testing.T) {
		if err := c.Check(ctx); err == nil || !strings.Contains(err.Error(), "circuit") {
			t.Fatalf("after 8 failures in a row: %v", err)
		}
		if err := f.client(t, nil).Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCircuitBreaker(t *testing.T) {
	f := setup(t, false)
	clock := testclock.New(time.Now()) // the source checks the timestamp window
	f.srv.behaviour[numFlaky] = "500"
	c := f.client(t, func(c *httpreg.Config) { c.Retries = -1; c.BreakAfter = 3; c.Cooldown = time.Minute; c.Clock = clock })
	ctx := context.Background()
	q := registry.Query{Name: "张三", Number: numFlaky}
	for i := 0; i < 3; i++ {
		if _, err := c.Lookup(ctx, q); !errors.Is(err, registry.ErrUnavailable) {
			t.Fatal(err)
		}
	}
	_, err := c.Lookup(ctx, q)
	if !strings.Contains(fmt.Sprint(err), "circuit open") {
		t.Fatalf("4th call: %v", err)
	}
	if got := f.srv.hitsFor(numFlaky); got != 3 {
		t.Fatalf("source saw %d calls while the circuit was open, want 3", got)
	}
	if err := c.Check(ctx); err == nil {
		t.Fatal("readiness did not report the open circuit")
	}
	// after the cooldown one trial goes through; it succeeds and closes the circuit
	clock.Advance(time.Minute + time.Second)
	f.srv.behaviour[numFlaky] = ""
	a, err := c.Lookup(ctx, q)
	if err != nil || a.Outcome != registry.Match || len(a.Photo) == 0 {
		t.Fatalf("trial: %+v %v", a, err)
	}
	if _, err := c.Lookup(ctx, registry.Query{Name: "x", Number: numUnknown}); err != nil {
		t.Fatal(err)
	}
}

func TestCache(t *testing.T) {
	f := setup(t, false)
	ctx := context.Background()
	q := registry.Query{Name: "张三", Number: numAlice}
	// default: nothing kept, every lookup asks the source
	c := f.client(t, nil)
	c.Lookup(ctx, q)
	c.Lookup(ctx, q)
	if got := f.srv.hitsFor(numAlice); got != 2 {
		t.Fatalf("without a cache the source saw %d lookups, want 2", got)
	}
	if _, err := httpreg.New(func() httpreg.Config { x := f.cfg; x.CacheTTL = time.Minute; return x }()); err == nil {
		t.Fatal("a cache without a sealing box was accepted")
	}
	box, _ := seal.New(seal.NewKey(1))
	clock := testclock.New(time.Now()) // the source checks the timestamp window
	cc := f.client(t, func(c *httpreg.Config) { c.CacheTTL = 2 * time.Minute; c.Box = box; c.Clock = clock })
	for i := 0; i < 3; i++ {
		a, err := cc.Lookup(ctx, q)
		if err != nil || a.Outcome != registry.Match || len(a.Photo) == 0 {
			t.Fatalf("%+v %v", a, err)
		}
	}
	if got := f.srv.hitsFor(numAlice); got != 3 {
		t.Fatalf("with a cache the source saw %d lookups in all, want 3", got)
	}
	// another claimed name is not answered from the cache
	if a, _ := cc.Lookup(ctx, registry.Query{Name: "张四", Number: numAlice}); a.Outcome != registry.NameMismatch {
		t.Fatalf("cached answer leaked to another name: %+v", a)
	}
	clock.Advance(2 * time.Minute)
	if _, err := cc.Lookup(ctx, q); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.hitsFor(numAlice); got != 5 {
		t.Fatalf("after the TTL the source saw %d lookups, want 5", got)
	}
	cc.Forget(numAlice)
	cc.Lookup(ctx, q)
	if got := f.srv.hitsFor(numAlice); got != 6 {
		t.Fatalf("after Forget the source saw %d lookups, want 6", got)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []httpreg.Config{
		{URL: "https://reg.example/x", Secret: []byte("short")},
		{URL: "http://reg.example/x", Secret: secret},
		{URL: "ftp://reg.example/x", Secret: secret},
		{URL: "https://u:p@reg.example/x", Secret: secret},
		{URL: "https://reg.example/x?k=1", Secret: secret},
	} {
		if _, err := httpreg.New(c); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
	if _, err := httpreg.New(httpreg.Config{URL: "https://reg.example/x", Secret: secret}); err != nil {
		t.Fatal(err)
	}
}
