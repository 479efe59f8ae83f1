package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/console"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
	"github.com/faceverify/faceverify/verify"
)

const (
	opName = "reviewer"
	opPass = "correct horse battery"
)

// client talks to the console like a browser that does not follow redirects.
type client struct {
	t      *testing.T
	base   string
	cookie string // fv_console value
}

type resp struct {
	status int
	body   string
	hdr    http.Header
}

func (c *client) do(method, path string, form url.Values, hdr ...string) resp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "fv_console", Value: c.cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, string(b), r.Header}
}

func (c *client) signIn(name, pw string) resp {
	c.t.Helper()
	r := c.do("POST", "/console/login", url.Values{"name": {name}, "password": {pw}})
	for _, sc := range (&http.Response{Header: r.hdr}).Cookies() {
		if sc.Name == "fv_console" && sc.Value != "" {
			c.cookie = sc.Value
		}
	}
	return r
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in page")
	}
	return m[1]
}

// noLeak fails when an error page shows internals.
func noLeak(t *testing.T, r resp) {
	t.Helper()
	for _, s := range []string{"goroutine", "panic", "sql", "SQL", "database", ".go:", "sqlite"} {
		if strings.Contains(r.body, s) {
			t.Fatalf("page leaks %q: %.300s", s, r.body)
		}
	}
}

// startConsole starts the real service with opts and creates the operator opName.
func startConsole(t *testing.T, opts apitest.Options) *apitest.Server {
	t.Helper()
	s := apitest.Start(t, opts)
	if _, err := s.App.Console.CreateOperator(context.Background(), opName, opPass); err != nil {
		t.Fatal(err)
	}
	return s
}

// mustSignIn signs c in as name and fails unless the console answers with its redirect.
func (c *client) mustSignIn(name, pw string) {
	c.t.Helper()
	if r := c.signIn(name, pw); r.status != 303 {
		c.t.Fatalf("sign in as %s: %d", name, r.status)
	}
}

func createSession(t *testing.T, s *apitest.Server, bizNo string) string {
	t.Helper()
	return s.BizToken(t, apitest.LiteForm("comparison_type", "1", "biz_no", bizNo))
}

// TestConsoleHTTP: sign-in, cookie flags, masking, reveal and its audit entry, CSRF,
// bad input, tenants (same effects as the CLI), erase, sign-out and replay, rate limit.
func TestConsoleHTTP(t *testing.T) {
	s := startConsole(t, apitest.Options{})
	ctx := context.Background()
	tok := createSession(t, s, "order-42")
	other := createSession(t, s, "order-43")
	c := &client{t: t, base: s.URL}

	// not signed in: the sign-in page, 401
	if r := c.do("GET", "/console/sessions", nil); r.status != 401 || !strings.Contains(r.body, `id="login"`) {
		t.Fatalf("unsigned list: %d", r.status)
	}
	r := c.do("GET", "/console/login", nil)
	if csp := r.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Fatalf("CSP %q", csp)
	}
	if r.hdr.Get("X-Frame-Options") != "DENY" {
		t.Fatal("framable")
	}
	// wrong password, unknown name: the same refusal
	if r := c.signIn(opName, "wrong password!!"); r.status != 401 || c.cookie != "" {
		t.Fatalf("wrong password: %d", r.status)
	}
	if r := c.signIn("nobody", opPass); r.status != 401 || c.cookie != "" {
		t.Fatalf("unknown name: %d", r.status)
	}
	r = c.signIn(opName, opPass)
	if r.status != 303 || c.cookie == "" {
		t.Fatalf("sign in: %d", r.status)
	}
	sc := r.hdr.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/console/"} {
		if !strings.Contains(sc, want) {
			t.Fatalf("cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Fatalf("Secure on plain http: %q", sc)
	}

	// the list, filtered by biz_no
	r = c.do("GET", "/console/sessions?ref=order-42", nil)
	if r.status != 200 || !strings.Contains(r.body, tok) || strings.Contains(r.body, other) {
		t.Fatalf("filter by biz_no: %d", r.status)
	}
	if r := c.do("GET", "/console/sessions?dialect=lite&state=liveness", nil); r.status != 200 || strings.Contains(r.body, tok) {
		t.Fatalf("state filter: %d", r.status) // both are still "created"
	}
	// SQL-ish strings are plain values; out-of-vocabulary values and huge pages are 400
	for _, q := range []string{"ref=%27+OR+1%3D1+--", "tenant=x%27+OR+%271%27%3D%271", "ref=%22%3B+DROP+TABLE+sessions%3B+--"} {
		if r := c.do("GET", "/console/sessions?"+q, nil); r.status != 200 || !strings.Contains(r.body, `id="empty"`) {
			t.Fatalf("%s: %d", q, r.status)
		}
	}
	for _, q := range []string{"state=done%27--", "dialect=x", "limit=100000", "limit=-1", "limit=abc", "code=abc", "code=99999",
		"from=2026-13-45", "before=garbage", "before=1~" + strings.Repeat("a", 500), "tenant=" + strings.Repeat("x", 300)} {
		r := c.do("GET", "/console/sessions?"+q, nil)
		if r.status != 400 {
			t.Fatalf("%s: %d, want 400", q, r.status)
		}
		noLeak(t, r)
	}

	// the detail: masked; reveal needs the CSRF token, and is audited
	path := "/console/sessions/" + url.PathEscape(tok)
	r = c.do("GET", path, nil)
	if r.status != 200 || !strings.Contains(r.body, "张*") || !strings.Contains(r.body, "1101**********002X") || strings.Contains(r.body, "11010519491231002X") || strings.Contains(r.body, "张三") {
		t.Fatalf("masked detail: %d %s", r.status, r.body)
	}
	csrf := csrfOf(t, r.body)
	for name, f := range map[string]url.Values{"no csrf": {}, "wrong csrf": {"csrf": {strings.Repeat("0", 64)}}} {
		if r := c.do("POST", path+"/reveal", f); r.status != 403 || strings.Contains(r.body, "张三") {
			t.Fatalf("reveal with %s: %d", name, r.status)
		}
	}
	if r := c.do("POST", path+"/reveal", url.Values{"csrf": {csrf}}, "Origin", "http://evil.example"); r.status != 403 {
		t.Fatalf("cross-origin reveal: %d", r.status)
	}
	r = c.do("POST", path+"/reveal", url.Values{"csrf": {csrf}})
	if r.status != 200 || !strings.Contains(r.body, "张三") || !strings.Contains(r.body, "11010519491231002X") {
		t.Fatalf("reveal: %d", r.status)
	}
	es, err := s.App.Console.Audit(ctx, nil, tok, 0, 10)
	if err != nil || len(es) != 2 || es[0].Action != faceverify.AuditReveal || es[1].Action != faceverify.AuditView || es[0].Operator != opName {
		t.Fatalf("audit of the session: %+v %v", es, err)
	}

	// unknown ids: clean 404s
	for _, p := range []string{"/console/sessions/nope", "/console/sessions/" + strings.Repeat("z", 300), path + "/images/image_best",
		path + "/images/..%2f..%2fkeys", "/console/tenants/nope", "/console/nothing"} {
		r := c.do("GET", p, nil)
		if r.status != 404 {
			t.Fatalf("GET %s: %d", p, r.status)
		}
		noLeak(t, r)
	}
	for _, p := range []string{path + "/callbacks/999/retry", path + "/callbacks/abc/retry", "/console/sessions/nope/erase"} {
		f := url.Values{"csrf": {csrf}, "confirm": {"yes"}}
		if r := c.do("POST", p, f); r.status != 404 {
			t.Fatalf("POST %s: %d", p, r.status)
		}
	}
	if r := c.do("POST", "/console/tenants/"+s.Tenant.ID, url.Values{"csrf": {csrf}, "action": {"drop table"}}); r.status != 400 {
		t.Fatalf("unknown tenant action: %d", r.status)
	}

	// tenants: the same use case as `admin app update`
	tp := "/console/tenants/" + s.Tenant.ID
	if r := c.do("GET", tp, nil); r.status != 200 || !strings.Contains(r.body, `id="usage"`) {
		t.Fatalf("tenant page: %d", r.status)
	}
	if r := c.do("POST", tp, url.Values{"csrf": {csrf}, "action": {"lip_sync_off"}}); r.status != 303 {
		t.Fatalf("lip sync off: %d", r.status)
	}
	if r := c.do("POST", tp, url.Values{"csrf": {csrf}, "action": {"disable_key"}}); r.status != 303 {
		t.Fatalf("disable key: %d", r.status)
	}
	ten, _ := s.App.Store.Tenant(ctx, s.Tenant.ID)
	if !ten.KeyDisabled || !ten.Checks.LipSyncOff {
		t.Fatalf("tenant after console changes: %+v", ten)
	}
	f := apitest.LiteForm("comparison_type", "1")
	var refused map[string]any
	if st := s.PostForm(t, "/lite/v1/get_biz_token", f, &refused); st != 403 || refused["error"] != "AUTHORIZATION_ERROR:API_KEY_BE_DISCONTINUED" {
		t.Fatalf("a disabled key still creates sessions: %d %v", st, refused)
	}
	c.do("POST", tp, url.Values{"csrf": {csrf}, "action": {"enable_key"}})
	r = c.do("POST", tp, url.Values{"csrf": {csrf}, "action": {"rotate_keys"}})
	if r.status != 200 || !strings.Contains(r.body, `id="new-keys"`) {
		t.Fatalf("rotate: %d", r.status)
	}
	if st := s.PostForm(t, "/lite/v1/get_biz_token", f, &refused); st != 401 && st != 403 {
		t.Fatalf("the old APPCODE still works after rotation: %d", st)
	}
	acts := map[string]bool{}
	tes, _ := s.App.Console.Audit(ctx, nil, "tenant:"+s.Tenant.ID, 0, 10)
	for _, e := range tes {
		acts[e.Action] = true
	}
	for _, a := range []string{faceverify.AuditLipSync, faceverify.AuditDisableKey, faceverify.AuditEnableKey, faceverify.AuditRotateKey} {
		if !acts[a] {
			t.Fatalf("no audit entry %s: %+v", a, tes)
		}
	}

	// erase: needs the confirmation, cascades like delete_result, audited
	if r := c.do("POST", path+"/erase", url.Values{"csrf": {csrf}}); r.status != 400 {
		t.Fatalf("erase without confirmation: %d", r.status)
	}
	if r := c.do("POST", path+"/erase", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); r.status != 303 {
		t.Fatalf("erase: %d", r.status)
	}
	if _, err := s.App.Store.Session(ctx, tok); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		t.Fatalf("erased session still stored: %v", err)
	}
	if r := c.do("GET", path, nil); r.status != 404 {
		t.Fatalf("detail after erase: %d", r.status)
	}
	if r := c.do("GET", "/console/audit", nil); r.status != 200 || !strings.Contains(r.body, `data-action="erase" data-target="`+tok+`"`) {
		t.Fatalf("audit page lacks the erase: %d", r.status)
	}

	// forged and replayed cookies
	good := c.cookie
	for _, forged := range []string{strings.Repeat("a", 64), "x", strings.Repeat("€", 40)} {
		c.cookie = forged
		if r := c.do("GET", "/console/sessions", nil); r.status != 401 {
			t.Fatalf("forged cookie %q: %d", forged, r.status)
		}
	}
	c.cookie = good
	if r := c.do("POST", "/console/logout", url.Values{"csrf": {csrf}}); r.status != 303 {
		t.Fatalf("sign out: %d", r.status)
	}
	if r := c.do("GET", "/console/sessions", nil); r.status != 401 {
		t.Fatalf("replayed cookie after sign-out: %d", r.status)
	}

	// rate limit: after 5 failures the right password is refused too, for a while
	c.cookie = ""
	for i := 0; i < 5; i++ {
		c.signIn(opName, "guess guess guess")
	}
	if r := c.signIn(opName, opPass); r.status != 429 || c.cookie != "" {
		t.Fatalf("sign-in after 5 failures: %d", r.status)
	}
	if n := len(mustAudit(t, s, faceverify.AuditSignInFailed)); n < 5 {
		t.Fatalf("%d failed sign-ins audited", n)
	}
}

func mustAudit(t *testing.T, s *apitest.Server, action string) []faceverify.AuditEntry {
	es, err := s.App.Console.Audit(context.Background(), nil, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []faceverify.AuditEntry
	for _, e := range es {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// TestAdminUserCreate: `admin user create` reads the password from stdin, or generates one
// and prints it once; `admin audit list` prints the log.
func TestAdminUserCreate(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, args ...string) (string, error) {
		admin.Stdin = strings.NewReader(stdin)
		defer func() { admin.Stdin = os.Stdin }()
		var out, errb bytes.Buffer
		err := admin.Run(context.Background(), append(args, "--data", dir), func(string) string { return "" }, &out, &errb)
		return out.String(), err
	}
	out, err := run("", "user", "create", "--name", "gen")
	var gen struct{ Name, Password string }
	if err != nil || json.Unmarshal([]byte(out), &gen) != nil || gen.Name != "gen" || len(gen.Password) < 20 {
		t.Fatalf("generated: %q %v", out, err)
	}
	if out, err := run(opPass+"\n", "user", "create", "--name", "piped"); err != nil || strings.Contains(out, opPass) {
		t.Fatalf("piped: %q %v", out, err)
	}
	if _, err := run("short\n", "user", "create", "--name", "weak"); err == nil {
		t.Fatal("a short password was accepted")
	}
	if _, err := run("", "user", "create", "--name", "gen"); err == nil {
		t.Fatal("a taken name was accepted")
	}
	if _, err := run("", "user", "create", "--name", "t-op", "--id", "no-such-tenant"); err == nil {
		t.Fatal("an operator of an unknown tenant was created")
	}
	// both sign in (through the use case the console calls)
	s := apitest.Start(t, apitest.Options{Flags: []string{"--data", dir}})
	c := &client{t: t, base: s.URL}
	c.mustSignIn("gen", gen.Password) // the generated password
	c.cookie = ""
	c.mustSignIn("piped", opPass)
	out, err = run("", "audit", "list")
	if err != nil || strings.Count(out, `"action":"sign_in"`) != 2 {
		t.Fatalf("audit list: %q %v", out, err)
	}
}

// TestStoreUnreachable: a console whose store is gone shows the error page (503), not a
// stack trace or the database's error.
func TestStoreUnreachable(t *testing.T) {
	box, _ := seal.New(seal.NewKey(1))
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "fv.db"), box, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := verify.New(st, nil, nil, nil, nil, verify.Config{})
	uc := verify.NewConsole(svc, st)
	if _, err := uc.CreateOperator(context.Background(), opName, opPass); err != nil {
		t.Fatal(err)
	}
	h := console.New(uc, console.Options{})
	srv := newServer(t, h)
	c := &client{t: t, base: srv}
	c.mustSignIn(opName, opPass)
	st.Close()
	for _, p := range []string{"/console/sessions", "/console/tenants", "/console/sessions/x"} {
		r := c.do("GET", p, nil)
		if r.status != 503 || !strings.Contains(r.body, `id="error"`) {
			t.Fatalf("%s with the store gone: %d %.200s", p, r.status, r.body)
		}
		noLeak(t, r)
	}
	c.cookie = ""
	if r := c.signIn(opName, opPass); r.status != 503 {
		t.Fatalf("sign in with the store gone: %d", r.status)
	} else {
		noLeak(t, r)
	}
}

func newServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAdminAddr: with --admin-addr the console is on its own listener only.
func TestAdminAddr(t *testing.T) {
	s := apitest.Start(t, apitest.Options{Flags: []string{"--admin-addr", "127.0.0.1:0"}})
	var addr string
	for i := 0; i < 100 && addr == ""; i++ {
		addr = s.App.ConsoleAddr()
		time.Sleep(20 * time.Millisecond)
	}
	if addr == "" {
		t.Fatal("admin listener not started")
	}
	pub := &client{t: t, base: s.URL}
	if r := pub.do("GET", "/console/login", nil); r.status != 404 {
		t.Fatalf("console on the public listener: %d", r.status)
	}
	adm := &client{t: t, base: "http://" + addr}
	if r := adm.do("GET", "/console/login", nil); r.status != 200 || !strings.Contains(r.body, `id="login"`) {
		t.Fatalf("console on --admin-addr: %d", r.status)
	}
}

// TestTenantOperator: an operator of one tenant sees nothing of another tenant's: its
// sessions, images, callbacks, tenant page and audit entries are 404 or absent.
func TestTenantOperator(t *testing.T) {
	s := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	other := admin.NewTenant("other tenant", -1)
	if err := s.App.Store.CreateTenant(ctx, other); err != nil {
		t.Fatal(err)
	}
	tok := createSession(t, s, "order-a")
	if _, err := s.App.Console.CreateTenantOperator(ctx, "b-op", opPass, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.Console.CreateTenantOperator(ctx, "x-op", opPass, "no-such-tenant"); faceverify.ErrorCode(err) != faceverify.ENOTFOUND {
		t.Fatalf("operator of an unknown tenant: %v", err)
	}
	if _, err := s.App.Console.CreateOperator(ctx, opName, opPass); err != nil {
		t.Fatal(err)
	}
	all := &client{t: t, base: s.URL}
	all.signIn(opName, opPass)
	all.do("GET", "/console/sessions/"+url.PathEscape(tok), nil) // an entry b-op must not see

	c := &client{t: t, base: s.URL}
	c.mustSignIn("b-op", opPass)
	r := c.do("GET", "/console/sessions", nil)
	csrf := csrfOf(t, r.body)
	if r.status != 200 || strings.Contains(r.body, tok) || !strings.Contains(r.body, `id="empty"`) {
		t.Fatalf("list shows another tenant's session: %d", r.status)
	}
	if r := c.do("GET", "/console/sessions?tenant="+s.Tenant.ID, nil); r.status != 200 || strings.Contains(r.body, tok) {
		t.Fatalf("list filtered to another tenant: %d", r.status)
	}
	path := "/console/sessions/" + url.PathEscape(tok)
	for _, p := range []string{path, path + "/images/image_ref1", "/console/tenants/" + s.Tenant.ID} {
		if r := c.do("GET", p, nil); r.status != 404 {
			t.Fatalf("GET %s: %d", p, r.status)
		}
	}
	for _, p := range []string{path + "/reveal", path + "/erase", path + "/callbacks/1/retry", "/console/tenants/" + s.Tenant.ID} {
		if r := c.do("POST", p, url.Values{"csrf": {csrf}, "confirm": {"yes"}, "action": {"disable_key"}}); r.status != 404 {
			t.Fatalf("POST %s: %d", p, r.status)
		}
	}
	if _, err := s.App.Store.Session(ctx, tok); err != nil {
		t.Fatalf("the other tenant's session was touched: %v", err)
	}
	if ten, _ := s.App.Store.Tenant(ctx, s.Tenant.ID); ten.KeyDisabled {
		t.Fatal("the other tenant's keys were disabled")
	}
	r = c.do("GET", "/console/tenants", nil)
	if r.status != 200 || strings.Contains(r.body, s.Tenant.ID) || !strings.Contains(r.body, other.ID) {
		t.Fatalf("tenants page: %d", r.status)
	}
	if r := c.do("GET", "/console/tenants/"+other.ID, nil); r.status != 200 {
		t.Fatalf("own tenant page: %d", r.status)
	}
	r = c.do("GET", "/console/audit", nil)
	if r.status != 200 || strings.Contains(r.body, tok) || strings.Contains(r.body, ">"+opName+"<") {
		t.Fatalf("audit page shows other operators' entries: %d", r.status)
	}
}
