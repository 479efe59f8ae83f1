package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/admin"
	"github.com/faceverify/faceverify/internal/apitest"
)

// TestTenantLimits: quota and concurrency set on the tenant page take effect like `admin
// app update --quota N --concurrency N` (the same use case, the same stored tenant): the
// quota refuses the next session, the concurrency limits in-flight requests. The change
// needs the CSRF token, is audited with old → new, refuses bad numbers (400, nothing
// changed) and is not a tenant operator's to make.
func TestTenantLimits(t *testing.T) {
	dir := t.TempDir()
	s := startConsole(t, apitest.Options{Flags: []string{"--data", dir}})
	ctx := context.Background()
	createSession(t, s, "order-limits") // used 1
	c := &client{t: t, base: s.URL}
	c.mustSignIn(opName, opPass)
	tp := "/console/tenants/" + s.Tenant.ID
	r := c.do("GET", tp, nil)
	if r.status != 200 || !strings.Contains(r.body, `id="limits-form"`) || !strings.Contains(r.body, `name="quota" id="quota" min="-1" step="1" required value="-1"`) {
		t.Fatalf("tenant page without the limits form: %d", r.status)
	}
	csrf := csrfOf(t, r.body)
	unchanged := func(what string) {
		t.Helper()
		ten, err := s.App.Store.Tenant(ctx, s.Tenant.ID)
		if err != nil || ten.Quota != -1 || ten.Concurrency != 0 {
			t.Fatalf("%s changed the tenant: %+v %v", what, ten, err)
		}
	}
	limits := func(q, n string) url.Values {
		return url.Values{"csrf": {csrf}, "action": {"limits"}, "quota": {q}, "concurrency": {n}}
	}
	for name, f := range map[string]url.Values{"no csrf": {"action": {"limits"}, "quota": {"1"}, "concurrency": {"2"}},
		"wrong csrf": {"csrf": {strings.Repeat("0", 64)}, "action": {"limits"}, "quota": {"1"}, "concurrency": {"2"}}} {
		if r := c.do("POST", tp, f); r.status != 403 {
			t.Fatalf("%s: %d", name, r.status)
		}
		unchanged(name)
	}
	if r := c.do("POST", tp, limits("1", "2"), "Origin", "http://evil.example"); r.status != 403 {
		t.Fatalf("cross-origin: %d", r.status)
	}
	unchanged("cross-origin")
	for _, bad := range [][2]string{{"abc", "2"}, {"-2", "2"}, {"1.5", "2"}, {"1", "-1"}, {"1", "1000001"}, {"", ""},
		{"99999999999999999999", "1"}, {"1; DROP TABLE tenants", "1"}, {"1", "0x10"}} {
		r := c.do("POST", tp, limits(bad[0], bad[1]))
		if r.status != 400 {
			t.Fatalf("quota %q concurrency %q: %d, want 400", bad[0], bad[1], r.status)
		}
		noLeak(t, r)
		unchanged("a refused value")
	}
	if r := c.do("POST", "/console/tenants/nope", limits("1", "2")); r.status != 404 {
		t.Fatalf("unknown tenant: %d", r.status)
	}

	if r := c.do("POST", tp, limits("1", "2")); r.status != 303 {
		t.Fatalf("set limits: %d %s", r.status, r.body)
	}
	ten, err := s.App.Store.Tenant(ctx, s.Tenant.ID)
	if err != nil || ten.Quota != 1 || ten.Concurrency != 2 || ten.Used != 1 {
		t.Fatalf("after the change: %+v %v", ten, err)
	}
	if r := c.do("GET", tp, nil); !strings.Contains(r.body, `required value="1"`) || !strings.Contains(r.body, `max="100000" step="1" required value="2"`) {
		t.Fatal("the page does not show the new limits")
	}
	es := mustAudit(t, s, faceverify.AuditLimits)
	if len(es) != 1 || es[0].Target != "tenant:"+s.Tenant.ID || es[0].Operator != opName || es[0].Detail != "quota -1 → 1, concurrency 0 → 2" {
		t.Fatalf("audit: %+v", es)
	}
	// the quota: used 1 of 1, the next session is refused
	f := apitest.LiteForm("comparison_type", "1")
	var out map[string]any
	if st := s.PostForm(t, "/lite/v1/get_biz_token", f, &out); st != 403 || out["error"] != "AUTHORIZATION_ERROR:BALANCE_NOT_ENOUGH" {
		t.Fatalf("over the quota: %d %v", st, out)
	}
	// the concurrency: two requests in flight, the third refused
	var release []func()
	for i := 0; i < 2; i++ {
		rel, err := s.App.Server.Acquire(ten)
		if err != nil {
			t.Fatalf("slot %d: %v", i+1, err)
		}
		release = append(release, rel)
	}
	if _, err := s.App.Server.Acquire(ten); faceverify.ErrorCode(err) != faceverify.ECONCURRENCY {
		t.Fatalf("third in flight: %v", err)
	}
	for _, rel := range release {
		rel()
	}
	// only the changed field moves: unlimited again, concurrency kept
	if r := c.do("POST", tp, url.Values{"csrf": {csrf}, "action": {"limits"}, "quota": {"-1"}}); r.status != 303 {
		t.Fatalf("quota only: %d", r.status)
	}
	if ten, _ := s.App.Store.Tenant(ctx, s.Tenant.ID); ten.Quota != -1 || ten.Concurrency != 2 {
		t.Fatalf("quota only: %+v", ten)
	}

	// the CLI makes the same change through the same use case
	run := func(args ...string) map[string]any {
		t.Helper()
		var o, e bytes.Buffer
		if err := admin.Run(ctx, append(args, "--data", dir), func(string) string { return "" }, &o, &e); err != nil {
			t.Fatalf("admin %v: %v %s", args, err, e.String())
		}
		var m map[string]any
		json.Unmarshal(o.Bytes(), &m)
		return m
	}
	cli := run("app", "create", "--name", "cli tenant")["id"].(string)
	run("app", "update", "--id", cli, "--quota", "1", "--concurrency", "2")
	ct, err := s.App.Store.Tenant(ctx, cli)
	if err != nil || ct.Quota != 1 || ct.Concurrency != 2 {
		t.Fatalf("CLI change: %+v %v", ct, err)
	}

	// a tenant operator sees its limits but cannot raise them
	if _, err := s.App.Console.CreateTenantOperator(ctx, "t-op", opPass, cli); err != nil {
		t.Fatal(err)
	}
	to := &client{t: t, base: s.URL}
	to.signIn("t-op", opPass)
	r = to.do("GET", "/console/tenants/"+cli, nil)
	if r.status != 200 || strings.Contains(r.body, `id="limits-form"`) {
		t.Fatalf("tenant operator's page: %d", r.status)
	}
	tcsrf := csrfOf(t, r.body)
	if r := to.do("POST", "/console/tenants/"+cli, url.Values{"csrf": {tcsrf}, "action": {"limits"}, "quota": {"-1"}, "concurrency": {"0"}}); r.status != 403 {
		t.Fatalf("tenant operator raised its quota: %d", r.status)
	}
	if ct, _ := s.App.Store.Tenant(ctx, cli); ct.Quota != 1 || ct.Concurrency != 2 {
		t.Fatalf("tenant operator's change stored: %+v", ct)
	}
}
