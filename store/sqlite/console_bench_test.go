package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
)

// BenchmarkListSessions1M fills one SQLite database with 1,000,000 sessions (20 tenants,
// both dialects, every state, realistic result codes, 90 days) and measures the console's
// list query (faceverify.OperatorStore.ListSessions) with the filters the console offers,
// including a page deep in the list reached by its keyset cursor. The rows are inserted in
// bulk (the list reads only clear columns; the sealed data is a placeholder). The query
// plan of each case is logged. Run: go test ./store/sqlite -run '^$' -bench ListSessions1M -benchtime 200x
func BenchmarkListSessions1M(b *testing.B) {
	const n = 1_000_000
	box, _ := seal.New(seal.NewKey(1))
	s, err := Open(filepath.Join(b.TempDir(), "fv.db"), box, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	fill(b, s, n, t0)
	b.Logf("filled %d sessions in %s", n, time.Since(start).Round(time.Millisecond))
	var deep faceverify.SessionRow // the 5,000th newest: a cursor deep in the list
	for cur, i := (faceverify.SessionFilter{Limit: 200}), 0; i < 25; i++ {
		rows, err := s.ListSessions(ctx, cur)
		if err != nil || len(rows) == 0 {
			b.Fatal(err)
		}
		deep = rows[len(rows)-1]
		cur.BeforeCreated, cur.BeforeToken = deep.CreatedAt, deep.Token
	}
	cases := []struct {
		name string
		f    faceverify.SessionFilter
	}{
		{"newest", faceverify.SessionFilter{}},
		{"tenant", faceverify.SessionFilter{TenantID: "t07"}},
		{"dialect+state", faceverify.SessionFilter{Dialect: faceverify.DialectCloudauth, State: faceverify.StateFailed}},
		{"code", faceverify.SessionFilter{ResultCode: 4100}},
		{"tenant+code", faceverify.SessionFilter{TenantID: "t03", ResultCode: 2000}},
		{"biz_no", faceverify.SessionFilter{ExternalIndex: s.ExternalIndex("order-777777")}},
		{"date_range", faceverify.SessionFilter{From: t0.Add(40 * 24 * time.Hour), To: t0.Add(41 * 24 * time.Hour)}},
		{"deep_page", faceverify.SessionFilter{BeforeCreated: deep.CreatedAt, BeforeToken: deep.Token}},
		{"tenant_deep_page", faceverify.SessionFilter{TenantID: "t07", BeforeCreated: deep.CreatedAt, BeforeToken: deep.Token}},
	}
	for _, c := range cases {
		c.f.Limit = 50
		b.Run(c.name, func(b *testing.B) {
			rows, err := s.ListSessions(ctx, c.f)
			if err != nil || len(rows) == 0 {
				b.Fatalf("%d rows, %v", len(rows), err)
			}
			b.Logf("%d rows; plan: %s", len(rows), plan(b, s, c.f))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.ListSessions(ctx, c.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var states = []faceverify.State{faceverify.StateDone, faceverify.StateDone, faceverify.StateDone, faceverify.StateDone,
	faceverify.StateFailed, faceverify.StateExpired, faceverify.StateCancelled, faceverify.StateLiveness, faceverify.StateCreated}

var codes = []faceverify.Result{faceverify.ResultSuccess, faceverify.ResultSuccess, faceverify.ResultSuccess, faceverify.ResultNotTheSame,
	faceverify.ResultFaceAttack, faceverify.ResultSRError, faceverify.ResultLipVoiceNotSync}

func fill(b *testing.B, s *Store, n int, t0 time.Time) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO sessions (token, tenant_id, state, version, created_at, expires_at, retain_until, data,
		dialect, result_code, result_message, external_index) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		b.Fatal(err)
	}
	span := int64(90 * 24 * time.Hour / time.Millisecond)
	for i := 0; i < n; i++ {
		created := t0.UnixMilli() + int64(i)*span/int64(n) + r.Int64N(1000)
		dialect, token := faceverify.DialectLite, fmt.Sprintf("%d,%032x", created/1000, r.Uint64())
		if i%2 == 1 {
			dialect, token = faceverify.DialectCloudauth, fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())
		}
		state := states[r.IntN(len(states))]
		code, msg := 0, ""
		if state == faceverify.StateDone || state == faceverify.StateFailed || state == faceverify.StateCancelled {
			res := codes[r.IntN(len(codes))]
			if state == faceverify.StateCancelled {
				res = faceverify.ResultUserCancel
			}
			code, msg = res.Code, res.Message
		}
		if _, err := st.ExecContext(ctx, token, fmt.Sprintf("t%02d", r.IntN(20)), string(state), 3, created, created+3600_000,
			created+30*86400_000, data, string(dialect), code, msg, s.ExternalIndex(fmt.Sprintf("order-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// plan is SQLite's query plan of the list query for f.
func plan(b *testing.B, s *Store, f faceverify.SessionFilter) string {
	q, args := s.ListQuery(f)
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		rows.Scan(&id, &parent, &notused, &detail)
		out = append(out, detail)
	}
	return strings.Join(out, "; ")
}
