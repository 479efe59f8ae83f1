package storetest

import (
	"context"
	"testing"

	"github.com/faceverify/faceverify"
)

// Backfiller is a store that fills the list columns of sessions written before its
// console migration.
type Backfiller interface {
	faceverify.Store
	faceverify.OperatorStore
	BackfillListColumns(ctx context.Context, batch int) (int, error)
}

// RunBackfill: sessions whose list columns are empty (as a release before migration 0002
// left them; exec runs raw SQL on the store's database) are found by the console's filters
// once BackfillListColumns has run, and a second run finds nothing to do.
func RunBackfill(t *testing.T, s Backfiller, exec func(q string) error) {
	ctx := context.Background()
	mustTenant(t, s, "bf")
	for i := 0; i < 5; i++ {
		ss := NewSession("bf", T0)
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
	}
	if err := exec(`UPDATE sessions SET dialect='', result_code=0, result_message='', external_index=''`); err != nil {
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
