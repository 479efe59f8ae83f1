package console_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

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

// The detail page of a decided session says which liveness rule decided, in zh and en;
// a session whose liveness carries no rule (rows stored before it was kept) shows none.
func TestDetailShowsDecidingRule(t *testing.T) {
	s := startConsole(t, apitest.Options{})
	ctx := context.Background()
	tok := createSession(t, s, "order-rule")
	old := createSession(t, s, "order-norule")
	const rule = "low_quality: quality 12.346 < MinQuality 20 → FACE_QUALITY_TOO_LOW"
	decide := func(token, rule string) {
		t.Helper()
		ss, err := s.App.Store.Session(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		rep := &faceverify.Liveness{Result: faceverify.ResultFaceQualityTooLow, Challenge: "4821", Rule: rule,
			Scores: map[string]float64{"quality": 12.346}}
		// as verify's liveness step leaves a session that failed the check for good
		ss.State, ss.Started, ss.LastAttempt = faceverify.StateDone, true, rep
		ss.Verdict = &faceverify.Verdict{Result: rep.Result, Liveness: rep, DecidedAt: time.Now()}
		if err := s.App.Store.UpdateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	decide(tok, rule)
	decide(old, "")

	c := &client{t: t, base: s.URL}
	c.mustSignIn(opName, opPass)
	for _, lc := range []struct{ accept, label string }{{"zh-CN", "判定规则"}, {"en-US", "Decided by rule"}} {
		r := c.do("GET", "/console/sessions/"+url.PathEscape(tok), nil, "Accept-Language", lc.accept)
		if r.status != 200 {
			t.Fatalf("%s detail: %d", lc.accept, r.status)
		}
		want := "<dt>" + lc.label + `</dt><dd class="mono" id="rule">` + html.EscapeString(rule) + "</dd>"
		if !strings.Contains(r.body, want) {
			t.Fatalf("%s detail lacks %q:\n%s", lc.accept, want, r.body)
		}
		r = c.do("GET", "/console/sessions/"+url.PathEscape(old), nil, "Accept-Language", lc.accept)
		if r.status != 200 || strings.Contains(r.body, `id="rule"`) || strings.Contains(r.body, lc.label) {
			t.Fatalf("%s detail without a rule: %d", lc.accept, r.status)
		}
	}
}
