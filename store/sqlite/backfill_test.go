package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/faceverify/faceverify/seal"
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
