package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/apitest"
	"github.com/faceverify/faceverify/store/storetest"
)

// The detail page's timeline is the stored history of state changes (created by the API,
// opened by the page, cancelled by the user), in zh and en; a session stored before the
// history was kept still shows a timeline assembled from the session itself.
func TestDetailShowsHistory(t *testing.T) {
	s := startConsole(t, apitest.Options{})
	ctx := context.Background()
	tok := createSession(t, s, "order-history")
	if _, err := s.App.Service.Page(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.Service.Cancel(ctx, tok); err != nil {
		t.Fatal(err)
	}
	// a row as it was written before migration 0003: no history
	old := storetest.NewSession(s.Tenant.ID, s.App.Service.Clock.Now())
	if err := s.App.Store.CreateSession(ctx, old); err != nil {
		t.Fatal(err)
	}

	c := &client{t: t, base: s.URL}
	c.mustSignIn(opName, opPass)
	for _, lc := range []struct{ accept, opened, cancel, actor string }{
		{"zh-CN", "用户打开页面", "用户取消", "用户页面"}, {"en-US", "the user opened the page", "the user cancelled", "page"}} {
		r := c.do("GET", "/console/sessions/"+url.PathEscape(tok), nil, "Accept-Language", lc.accept)
		if r.status != 200 {
			t.Fatalf("detail: %d", r.status)
		}
		tl := section(t, r.body, `id="timeline"`)
		for _, want := range []string{
			`data-event="created" data-from="" data-to="created"`,
			`data-event="page_opened" data-from="created" data-to="liveness"`,
			`data-event="user_cancel" data-from="liveness" data-to="cancelled"`,
			lc.opened, lc.cancel, "· " + lc.actor, `<span class="code c6000">6000</span>`,
		} {
			if !strings.Contains(tl, want) {
				t.Fatalf("%s timeline lacks %q:\n%s", lc.accept, want, tl)
			}
		}
		if i, j := strings.Index(tl, `data-event="page_opened"`), strings.Index(tl, `data-event="user_cancel"`); i > j {
			t.Fatal("timeline out of order")
		}
		if strings.Contains(tl, `id="no-history"`) {
			t.Fatal("a session with history marked as without")
		}
		r = c.do("GET", "/console/sessions/"+url.PathEscape(old.Token), nil, "Accept-Language", lc.accept)
		tl = section(t, r.body, `id="timeline"`)
		if r.status != 200 || !strings.Contains(tl, `id="no-history"`) || !strings.Contains(tl, `data-what="created"`) || strings.Contains(tl, "data-event=") {
			t.Fatalf("%s timeline of a session without history: %d\n%s", lc.accept, r.status, tl)
		}
	}
	if h, err := s.App.Store.StateChanges(ctx, tok); err != nil || len(h) != 3 || h[2].Result != faceverify.ResultUserCancel {
		t.Fatalf("stored history: %+v %v", h, err)
	}
}

// section returns the <section> of body whose opening tag holds attr.
func section(t *testing.T, body, attr string) string {
	t.Helper()
	i := strings.Index(body, attr)
	if i < 0 {
		t.Fatalf("no section %s", attr)
	}
	j := strings.Index(body[i:], "</section>")
	return body[i : i+j]
}
