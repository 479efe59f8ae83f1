package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/testclock"
)

// testConsole: the review console's data: operators, sign-ins, the audit log, the
// filtered session list with keyset paging, a session's jobs and the usage per day.
func testConsole(t *testing.T, s faceverify.Store, c *testclock.Clock) {
	os, ok := s.(faceverify.OperatorStore)
	if !ok {
		t.Skip("store has no console data")
	}
	ctx := context.Background()

	// operators
	op := &faceverify.Operator{ID: "op1", Name: "alice", PasswordHash: []byte("$2a$hash")}
	if err := os.CreateOperator(ctx, op); err != nil {
		t.Fatal(err)
	}
	if err := os.CreateOperator(ctx, &faceverify.Operator{ID: "op2", Name: "alice", PasswordHash: []byte("x")}); code(err) != faceverify.ECONFLICT {
		t.Fatalf("duplicate operator name: %v", err)
	}
	got, err := os.OperatorByName(ctx, "alice")
	if err != nil || got.ID != "op1" || string(got.PasswordHash) != "$2a$hash" || got.Disabled || got.TenantID != "" {
		t.Fatalf("operator by name: %+v %v", got, err)
	}
	if err := os.CreateOperator(ctx, &faceverify.Operator{ID: "op3", Name: "bob", PasswordHash: []byte("x"), TenantID: "ta"}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Operator(ctx, "op3"); err != nil || got.TenantID != "ta" || got.Name != "bob" {
		t.Fatalf("tenant operator: %+v %v", got, err)
	}
	if _, err := os.Operator(ctx, "nope"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("unknown operator: %v", err)
	}

	// sign-ins
	now := c.Now()
	l := &faceverify.OperatorLogin{IDHash: "h1", OperatorID: "op1", CSRF: "csrf1", CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)}
	if err := os.CreateLogin(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := os.TouchLogin(ctx, "h1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	gl, err := os.Login(ctx, "h1")
	if err != nil || gl.OperatorID != "op1" || gl.CSRF != "csrf1" || !gl.LastSeen.Equal(now.Add(time.Minute)) || !gl.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("login: %+v %v", gl, err)
	}
	if _, err := os.Login(ctx, "forged"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("unknown login: %v", err)
	}
	os.CreateLogin(ctx, &faceverify.OperatorLogin{IDHash: "h2", OperatorID: "op1", CSRF: "c", CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Second)})
	if err := os.PurgeLogins(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Login(ctx, "h2"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("expired login kept: %v", err)
	}
	if err := os.DeleteLogin(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Login(ctx, "h1"); code(err) != faceverify.ENOTFOUND {
		t.Fatalf("signed-out login kept: %v", err)
	}

	// audit
	for i, a := range []string{faceverify.AuditView, faceverify.AuditReveal, faceverify.AuditErase} {
		e := &faceverify.AuditEntry{Operator: "alice", Action: a, Target: fmt.Sprint("tok", i%2), At: now.Add(time.Duration(i) * time.Second)}
		if err := os.AppendAudit(ctx, e); err != nil || e.ID == 0 {
			t.Fatalf("append audit: %v %+v", err, e)
		}
	}
	all, err := os.AuditLog(ctx, "", "", 0, 10)
	if err != nil || len(all) != 3 || all[0].Action != faceverify.AuditErase || all[2].Action != faceverify.AuditView || !all[0].At.Equal(now.Add(2*time.Second)) {
		t.Fatalf("audit log: %+v %v", all, err)
	}
	older, _ := os.AuditLog(ctx, "", "", all[0].ID, 10)
	byTarget, _ := os.AuditLog(ctx, "tok1", "", 0, 10)
	if byOp, _ := os.AuditLog(ctx, "", "nobody", 0, 10); len(byOp) != 0 {
		t.Fatalf("audit by operator: %+v", byOp)
	}
	if len(older) != 2 || len(byTarget) != 1 || byTarget[0].Action != faceverify.AuditReveal {
		t.Fatalf("audit paging %d, by target %+v", len(older), byTarget)
	}

	// the session list: 25 sessions over two tenants, dialects, states and results
	mustTenant(t, s, "la")
	mustTenant(t, s, "lb")
	var toks []string
	for i := 0; i < 25; i++ {
		ten := "la"
		if i%5 == 0 {
			ten = "lb"
		}
		ss := NewSession(ten, c.Now())
		if i%2 == 1 {
			ss.Dialect = faceverify.DialectCloudauth
			ss.Token = faceverify.NewCertifyID()
		}
		ss.Options.ExternalRef = fmt.Sprint("order-", i%3)
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			ss.State = faceverify.StateDone
			ss.Verdict = &faceverify.Verdict{Result: faceverify.ResultFaceAttack}
			if err := s.UpdateSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
		}
		toks = append(toks, ss.Token)
		if i%7 != 6 { // some share a created_at: the token breaks the tie
			c.Advance(time.Hour)
		}
	}
	list := func(f faceverify.SessionFilter) []faceverify.SessionRow {
		t.Helper()
		rows, err := os.ListSessions(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	// paging through everything: newest first, no row twice, none missing
	seen := map[string]bool{}
	var cur *faceverify.SessionRow
	for pages := 0; ; pages++ {
		f := faceverify.SessionFilter{Limit: 4}
		if cur != nil {
			f.BeforeCreated, f.BeforeToken = cur.CreatedAt, cur.Token
		}
		rows := list(f)
		if len(rows) == 0 {
			break
		}
		for i, r := range rows {
			if seen[r.Token] {
				t.Fatalf("row %s twice", r.Token)
			}
			seen[r.Token] = true
			if i > 0 && (r.CreatedAt.After(rows[i-1].CreatedAt) || (r.CreatedAt.Equal(rows[i-1].CreatedAt) && r.Token > rows[i-1].Token)) {
				t.Fatalf("not newest first: %+v after %+v", r, rows[i-1])
			}
		}
		cur = &rows[len(rows)-1]
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 25 {
		t.Fatalf("paged %d sessions, want 25", len(seen))
	}
	count := func(f faceverify.SessionFilter) int { f.Limit = 100; return len(list(f)) }
	for name, tc := range map[string]struct {
		f    faceverify.SessionFilter
		want int
	}{
		"tenant":   {faceverify.SessionFilter{TenantID: "lb"}, 5},
		"dialect":  {faceverify.SessionFilter{Dialect: faceverify.DialectCloudauth}, 12},
		"state":    {faceverify.SessionFilter{State: faceverify.StateDone}, 7},
		"code":     {faceverify.SessionFilter{ResultCode: 4100}, 7},
		"external": {faceverify.SessionFilter{ExternalIndex: os.ExternalIndex("order-1")}, 8},
		"combined": {faceverify.SessionFilter{TenantID: "la", ResultCode: 4100, Dialect: faceverify.DialectLite}, 5},
		"from":     {faceverify.SessionFilter{From: T0.Add(20 * time.Hour)}, 25 - 23},
		"range":    {faceverify.SessionFilter{From: T0, To: T0.Add(time.Hour)}, 1},
		"sql-ish":  {faceverify.SessionFilter{TenantID: "la' OR '1'='1"}, 0},
		"no such":  {faceverify.SessionFilter{ExternalIndex: os.ExternalIndex("order-9")}, 0},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%s: %d sessions, want %d", name, got, tc.want)
		}
	}
	rows := list(faceverify.SessionFilter{State: faceverify.StateDone, Limit: 1})
	if len(rows) != 1 || rows[0].ResultCode != 4100 || rows[0].ResultMessage != "FAIL_LIVING_FACE_ATTACK" || rows[0].Dialect != faceverify.DialectLite {
		t.Fatalf("row columns: %+v", rows)
	}

	// a session's jobs
	if err := s.EnqueueJobs(ctx, faceverify.Job{Kind: faceverify.JobNotify, Token: toks[0], Key: "notify:" + toks[0], MaxAttempts: 3},
		faceverify.Job{Kind: faceverify.JobNotify, Token: toks[1], Key: "notify:" + toks[1], MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	js, err := os.SessionJobs(ctx, toks[0])
	if err != nil || len(js) != 1 || js[0].Token != toks[0] {
		t.Fatalf("session jobs: %+v %v", js, err)
	}

	// usage per day: la has 20 sessions, one an hour from T0 (some share an hour)
	us, err := os.Usage(ctx, "la", T0, T0.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	total, attacks := 0, 0
	for _, u := range us {
		total += u.Count
		if u.ResultCode == 4100 {
			attacks += u.Count
		}
		if u.Day.Hour() != 0 || u.Day.Location() != time.UTC {
			t.Fatalf("usage day %v not a UTC day", u.Day)
		}
	}
	if total != 20 || attacks != 5 || len(us) < 2 {
		t.Fatalf("usage %+v: total %d attacks %d", us, total, attacks)
	}
}
