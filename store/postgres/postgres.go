// Package postgres implements faceverify.Store on PostgreSQL (pgx v5, connection pool) for
// deployments with several API nodes and workers sharing one database. It has the same
// schema and the same semantics as store/sqlite and passes the same contract suite
// (store/storetest): personal data sealed (package seal) before it reaches a row, a blind
// index for the registry, optimistic session versions, and the job queue in the same
// database — jobs are inserted in the transaction of the session change that needs them and
// claimed with SELECT … FOR UPDATE SKIP LOCKED plus a lease, so concurrent workers never
// claim the same job and a job whose worker died is claimed again when its lease runs out.
//
// Migrations are embedded and applied under an advisory lock (several processes may start
// at once): by `faceverify migrate`, and at Open unless the DSN says migrate=false, in which
// case Open refuses to run against a schema that is behind. It must not know about HTTP or
// vendors.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
	"github.com/faceverify/faceverify/store/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrations are PostgreSQL's own (0001); the later ones are sqlstore's, written once.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock is the advisory lock key held while migrations run ("fvmigrat").
const migrateLock = 0x66766d6967726174

// Store is the PostgreSQL store: package sqlstore's store over this package's driver
// ($n placeholders, FOR UPDATE SKIP LOCKED in the claim, SQLSTATE 23505 as unique
// violation), on a pgx pool (database/sql through pgx's stdlib adapter).
type Store struct {
	*sqlstore.Store
	db    *pgxpool.Pool
	sqldb *sql.DB
	clock faceverify.Clock
}

var _ faceverify.Store = (*Store)(nil)

// Options of Open beyond the DSN.
type Options struct {
	// Migrate applies pending migrations at Open (default true via OpenDSN; the DSN
	// parameter migrate=false turns it off).
	Migrate bool
}

// Open connects to the database named by dsn (postgres://user:pass@host:port/db?…; every
// libpq/pgx parameter works, e.g. sslmode, pool_max_conns). One faceverify parameter is
// removed before the DSN reaches the driver: migrate=false (do not apply migrations at
// start; fail if the schema is behind — for shared databases migrated by an operator).
// opts configure the SQL core (sqlstore.WithLogger).
func Open(ctx context.Context, dsn string, box *seal.Box, clock faceverify.Clock, opts ...sqlstore.Option) (*Store, error) {
	migrate := true
	if u, err := url.Parse(dsn); err == nil && u.RawQuery != "" {
		q := u.Query()
		if v := q.Get("migrate"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("postgres: migrate=%q: %v", v, err)
			}
			migrate = b
			q.Del("migrate")
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
	}
	return OpenWith(ctx, dsn, box, clock, Options{Migrate: migrate}, opts...)
}

// OpenWith opens the pool and applies (or checks) migrations.
func OpenWith(ctx context.Context, dsn string, box *seal.Box, clock faceverify.Clock, opt Options, opts ...sqlstore.Option) (*Store, error) {
	if clock == nil {
		clock = faceverify.SystemClock{}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "faceverify"
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{db: db, clock: clock}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect %s: %w", cfg.ConnConfig.Host, err)
	}
	if opt.Migrate {
		err = s.Migrate(ctx)
	} else {
		err = s.checkSchema(ctx)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	s.sqldb = stdlib.OpenDBFromPool(db)
	if s.Store, err = sqlstore.New(ctx, s.sqldb, s.sqldb, driver{}, box, clock, opts...); err != nil {
		s.sqldb.Close()
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.Store.Close()
	s.sqldb.Close()
	s.db.Close()
	return nil
}

// Ping checks the database is reachable (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Migrate applies pending migrations, each in its own transaction, under an advisory lock
// so that processes starting together apply each migration once.
func (s *Store) Migrate(ctx context.Context) error {
	db := stdlib.OpenDBFromPool(s.db)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	return sqlstore.Migrate(ctx, conn, driver{}, migrations, s.clock.Now())
}

// Pending lists migrations not yet applied.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	var applied []string
	rows, err := s.db.Query(ctx, `SELECT version FROM schema_migrations`)
	if err == nil {
		applied, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42P01" { // undefined_table: nothing applied yet
		err = nil
	}
	if err != nil {
		return nil, err
	}
	versions, err := sqlstore.Migrations(migrations)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range versions {
		if !slices.Contains(applied, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (s *Store) checkSchema(ctx context.Context) error {
	p, err := s.Pending(ctx)
	if err != nil {
		return fmt.Errorf("postgres: schema check: %w", err)
	}
	if len(p) > 0 {
		return fmt.Errorf("postgres: schema is behind (pending %s): run `faceverify migrate`", strings.Join(p, ", "))
	}
	return nil
}

// driver is PostgreSQL's sqlstore.Driver.
type driver struct{}

func (driver) Name() string       { return "postgres" }
func (driver) SkipLocked() string { return "FOR UPDATE SKIP LOCKED" }
func (driver) Types() sqlstore.Types {
	return sqlstore.Types{Int64: "BIGINT", Bytes: "BYTEA", ID: "BIGSERIAL PRIMARY KEY"}
}

func (driver) IsUnique(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

// Rebind numbers the core's ? placeholders $1, $2, … (the core's SQL has no ? in literals).
func (driver) Rebind(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
