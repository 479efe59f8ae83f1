package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlite"
	"github.com/faceverify/faceverify/store/storetest"
)

func newStore(t *testing.T, clock faceverify.Clock) faceverify.Store {
	box, err := seal.New(seal.NewKey(1))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "fv.db"), box, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) { storetest.Run(t, newStore) }

// Personal data never reaches the database file in clear.
func TestPersonalDataSealed(t *testing.T) {
	dir := t.TempDir()
	box, _ := seal.New(seal.NewKey(1))
	path := filepath.Join(dir, "fv.db")
	s, err := sqlite.Open(path, box, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateTenant(ctx, &faceverify.Tenant{ID: "a", AppCode: "c", AccessKeyID: "k", Quota: -1})
	ss := storetest.NewSession("a", storetest.T0)
	ss.Options.ClaimedName = "王小明"
	ss.Options.ClaimedNumber = "320102198001011234"
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	s.PutRegistryEntry(ctx, &faceverify.RegistryEntry{Number: "320102198001011234", Name: "王小明"})
	s.Close()
	var all []byte
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		all = append(all, b...)
	}
	for _, secret := range []string{"王小明", "320102198001011234"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Fatalf("%q stored in clear", secret)
		}
	}
	// Reopen with the same key: data readable; migrations idempotent.
	s2, err := sqlite.Open(path, box, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Session(ctx, ss.Token)
	if err != nil || got.Options.ClaimedName != "王小明" {
		t.Fatalf("reopen: %v", err)
	}
}

// Rows written by the release before the refactor are read back with every field.
func TestLegacyRows(t *testing.T) {
	storetest.RunLegacy(t, func(t *testing.T, box *seal.Box) (faceverify.Store, *sql.DB) {
		path := filepath.Join(t.TempDir(), "fv.db")
		s, err := sqlite.Open(path, box, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return s, db
	})
}
