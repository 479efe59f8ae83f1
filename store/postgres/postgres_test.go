package postgres_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/internal/pgtest"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/postgres"
	"github.com/faceverify/faceverify/store/sqlstore"
	"github.com/faceverify/faceverify/store/storetest"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

func TestContract(t *testing.T) {
	c := pgtest.Start(t)
	box, err := seal.New(seal.NewKey(1))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, clock faceverify.Clock) faceverify.Store {
		return openStore(t, c.NewDatabase(t), box, clock)
	})
}

// openStore opens the store on dsn; it is closed when the test ends.
func openStore(t *testing.T, dsn string, box *seal.Box, clock faceverify.Clock, opts ...sqlstore.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, box, clock, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawDB opens dsn through database/sql, around the store; it is closed when the test ends.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// execOn is db's Exec as the backfill contracts take it, to write rows the old way.
func execOn(db *sql.DB) func(q string) error {
	return func(q string) error { _, err := db.Exec(q); return err }
}

// Personal data never reaches the database files in clear; migrations are idempotent and
// migrate=false refuses a schema that is behind.
func TestPersonalDataSealedAndMigrations(t *testing.T) {
	c := pgtest.Start(t)
	ctx := context.Background()
	box, _ := seal.New(seal.NewKey(1))
	dsn := c.NewDatabase(t)

	if _, err := postgres.Open(ctx, dsn+"&migrate=false", box, nil); err == nil || !strings.Contains(err.Error(), "faceverify migrate") {
		t.Fatalf("migrate=false on an empty database: %v", err)
	}
	s, err := postgres.Open(ctx, dsn, box, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, &faceverify.Tenant{ID: "a", AppCode: "c", AccessKeyID: "k", Quota: -1}); err != nil {
		t.Fatal(err)
	}
	ss := storetest.NewSession("a", storetest.T0)
	ss.Options.ClaimedName = "王小明"
	ss.Options.ClaimedNumber = "320102198001011234"
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRegistryEntry(ctx, &faceverify.RegistryEntry{Number: "320102198001011234", Name: "王小明"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Reopen: migrations idempotent, data readable; also without migrating.
	s2, err := postgres.Open(ctx, dsn+"&migrate=false", box, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Session(ctx, ss.Token)
	if err != nil || got.Options.ClaimedName != "王小明" {
		t.Fatalf("reopen: %v", err)
	}
	s2.Close()
	c.Stop() // flush everything to the data directory, then grep the files

	var found []string
	filepath.Walk(c.Dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, secret := range []string{"王小明", "320102198001011234"} {
			if bytes.Contains(b, []byte(secret)) {
				found = append(found, secret+" in "+p)
			}
		}
		return nil
	})
	if len(found) > 0 {
		t.Fatalf("stored in clear: %v", found)
	}
}

// Rows written by the release before the refactor are read back with every field.
func TestLegacyRows(t *testing.T) {
	c := pgtest.Start(t)
	storetest.RunLegacy(t, func(t *testing.T, box *seal.Box) (faceverify.Store, *sql.DB) {
		dsn := c.NewDatabase(t)
		return openStore(t, dsn, box, nil), rawDB(t, dsn)
	})
}

func TestBackfillListColumns(t *testing.T) {
	c := pgtest.Start(t)
	box, _ := seal.New(seal.NewKey(1))
	dsn := c.NewDatabase(t)
	storetest.RunBackfill(t, openStore(t, dsn, box, nil), execOn(rawDB(t, dsn)))
}

func TestBackfillUnreadableIsLogged(t *testing.T) {
	c := pgtest.Start(t)
	dsn := c.NewDatabase(t)
	open := func(box *seal.Box, log *slog.Logger) storetest.Backfiller {
		return openStore(t, dsn, box, nil, sqlstore.WithLogger(log))
	}
	storetest.RunBackfillUnreadable(t, open, execOn(rawDB(t, dsn)))
}

// The partial indexes of migration 0001 name states as literals (DDL takes no parameters);
// they must be the domain's lists, which the queries render from the constants, or the
// indexes stop applying: sessions_waiting is faceverify.WaitingStates, jobs_queued and
// jobs_leased the queued and running job states.
func TestPartialIndexesNameTheDomainStates(t *testing.T) {
	c := pgtest.Start(t)
	ctx := context.Background()
	box, _ := seal.New(seal.NewKey(1))
	dsn := c.NewDatabase(t)
	s, err := postgres.Open(ctx, dsn, box, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, dsn)
	var waiting []string
	for _, st := range faceverify.WaitingStates {
		waiting = append(waiting, string(st))
	}
	literal := regexp.MustCompile(`'([^']*)'`)
	for index, want := range map[string][]string{
		"sessions_waiting": waiting,
		"jobs_queued":      {faceverify.JobQueued},
		"jobs_leased":      {faceverify.JobRunning},
	} {
		var pred string
		if err := db.QueryRowContext(ctx, `SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`, index).Scan(&pred); err != nil {
			t.Fatalf("%s: %v", index, err)
		}
		var got []string
		for _, m := range literal.FindAllStringSubmatch(pred, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		want = slices.Clone(want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s WHERE %s: states %v, the domain's %v", index, pred, got, want)
		}
	}
}
