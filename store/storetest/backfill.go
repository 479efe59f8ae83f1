package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
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

// RunBackfillUnreadable: sessions whose sealed data the store cannot open (open reopens
// the same database under another key ring, logging on log) still get their list columns,
// the dialect from the token's shape, so the backfill ends; and each such row is reported
// on the store's logger, without its token.
func RunBackfillUnreadable(t *testing.T, open func(box *seal.Box, log *slog.Logger) Backfiller, exec func(q string) error) {
	ctx := context.Background()
	box1, _ := seal.New(seal.NewKey(1))
	s := open(box1, nil)
	mustTenant(t, s, "bf")
	lite := NewSession("bf", T0)
	cloud := NewSession("bf", T0)
	cloud.Dialect, cloud.Token = faceverify.DialectCloudauth, faceverify.NewCertifyID()
	for _, ss := range []*faceverify.Session{lite, cloud} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := exec(`UPDATE sessions SET dialect='', result_code=0, result_message='', external_index=''`); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	box2, _ := seal.New(seal.NewKey(2))
	s = open(box2, slog.New(slog.NewJSONHandler(&buf, nil)))
	n, err := s.BackfillListColumns(ctx, 10)
	if err != nil || n != 2 {
		t.Fatalf("backfilled %d, %v", n, err)
	}
	if n, err := s.BackfillListColumns(ctx, 10); n != 0 || err != nil {
		t.Fatalf("second backfill: %d %v", n, err)
	}
	dialects := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Level, Msg, Dialect, Err string
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.Level != "WARN" || !strings.Contains(rec.Msg, "cannot be opened") || rec.Err == "" {
			t.Errorf("log record %+v", rec)
		}
		dialects[rec.Dialect]++
	}
	if want := map[string]int{string(faceverify.DialectLite): 1, string(faceverify.DialectCloudauth): 1}; !maps.Equal(dialects, want) {
		t.Errorf("reported rows by dialect %v, want %v (log %s)", dialects, want, buf.String())
	}
	for _, tok := range []string{lite.Token, cloud.Token} {
		if strings.Contains(buf.String(), tok) {
			t.Errorf("the log names token %s", tok)
		}
	}
}
