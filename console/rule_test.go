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
)

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
