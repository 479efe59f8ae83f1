// Package sqlite opens faceverify's store on an embedded SQLite database (pure Go driver
// modernc.org/sqlite) in WAL mode: one writer connection (SQLite allows one writer at a
// time; serialising in the pool avoids busy retries) and a pool of readers. Migrations are
// embedded and applied at Open. The store itself (sealing, versions, quota, jobs,
// retention) is package sqlstore's; this package is its SQLite driver: ? placeholders, no
// row locks in the claim (the single writer serialises claimers), UNIQUE errors by message.
// It must not know about HTTP or vendors.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlstore"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// migrations are SQLite's own (0001); the later ones are sqlstore's, written once.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite store.
type Store struct {
	*sqlstore.Store
	w, r  *sql.DB
	clock faceverify.Clock
}

var _ faceverify.Store = (*Store)(nil)

// driver is SQLite's sqlstore.Driver.
type driver struct{}

func (driver) Name() string            { return "sqlite" }
func (driver) Rebind(q string) string  { return q }
func (driver) SkipLocked() string      { return "" }
func (driver) IsUnique(err error) bool { return err != nil && strings.Contains(err.Error(), "UNIQUE") }
func (driver) Types() sqlstore.Types {
	return sqlstore.Types{Int64: "INTEGER", Bytes: "BLOB", ID: "INTEGER PRIMARY KEY AUTOINCREMENT"}
}

// Open opens (creating if needed) the database at path and applies migrations; opts
// configure the SQL core (sqlstore.WithLogger).
func Open(path string, box *seal.Box, clock faceverify.Clock, opts ...sqlstore.Option) (*Store, error) {
	if clock == nil {
		clock = faceverify.SystemClock{}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s := &Store{w: w, r: r, clock: clock}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	if s.Store, err = sqlstore.New(context.Background(), w, r, driver{}, box, clock, opts...); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.Store != nil {
		s.Store.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

func (s *Store) migrate(ctx context.Context) error {
	return sqlstore.Migrate(ctx, s.w, driver{}, migrations, s.clock.Now())
}
