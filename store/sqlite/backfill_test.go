package sqlite

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlstore"
	"github.com/faceverify/faceverify/store/storetest"
)

func TestBackfillListColumns(t *testing.T) {
	box, _ := seal.New(seal.NewKey(1))
	s, err := Open(filepath.Join(t.TempDir(), "fv.db"), box, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.RunBackfill(t, s, func(q string) error { _, err := s.w.Exec(q); return err })
}

func TestBackfillUnreadableIsLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fv.db")
	var s *Store
	open := func(box *seal.Box, log *slog.Logger) storetest.Backfiller {
		if s != nil {
			s.Close()
		}
		var err error
		if s, err = Open(path, box, nil, sqlstore.WithLogger(log)); err != nil {
			t.Fatal(err)
		}
		return s
	}
	defer func() { s.Close() }()
	storetest.RunBackfillUnreadable(t, open, func(q string) error { _, err := s.w.Exec(q); return err })
}
