package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/storetest"
)

// Sessions written before migration 0002 (list columns empty) are found by the console's
// filters once BackfillListColumns has run.
func TestBackfillListColumns(t *testing.T) {
	box, _ := seal.New(seal.NewKey(1))
	s, err := Open(filepath.Join(t.TempDir(), "fv.db"), box, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	s.CreateTenant(ctx, &faceverify.Tenant{ID: "a", AppCode: "c", AccessKeyID: "k", Quota: -1})
	var toks []string
	for i := 0; i < 5; i++ {
		ss := storetest.NewSession("a", storetest.T0)
		ss.Options.ExternalRef = "order-old"
		if i%2 == 1 {
			ss.Dialect, ss.Token = faceverify.DialectCloudauth, faceverify.NewCertifyID()
		}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		ss.State, ss.Verdict = faceverify.StateDone, &faceverify.Verdict{Result: faceverify.ResultSuccess}
		if err := s.UpdateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, ss.Token)
	}
	// as a release before 0002 left them
	if _, err := s.w.Exec(`UPDATE sessions SET dialect='', result_code=0, result_message='', external_index=''`); err != nil {
		t.Fatal(err)
	}
	count := func(f faceverify.SessionFilter) int {
		f.Limit = 100
		rows, err := s.ListSessions(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	if n := count(faceverify.SessionFilter{ResultCode: 1000}); n != 0 {
		t.Fatalf("%d before the backfill", n)
	}
	n, err := s.BackfillListColumns(ctx, 2)
	if err != nil || n != 5 {
		t.Fatalf("backfilled %d, %v", n, err)
	}
	if a, b, c := count(faceverify.SessionFilter{ResultCode: 1000}), count(faceverify.SessionFilter{Dialect: faceverify.DialectCloudauth}),
		count(faceverify.SessionFilter{ExternalIndex: s.ExternalIndex("order-old")}); a != 5 || b != 2 || c != 5 {
		t.Fatalf("after the backfill: code %d, cloudauth %d, biz_no %d", a, b, c)
	}
	if n, err := s.BackfillListColumns(ctx, 2); n != 0 || err != nil {
		t.Fatalf("second backfill: %d %v", n, err)
	}
}
