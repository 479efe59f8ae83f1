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
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock is the advisory lock key held while migrations run ("fvmigrat").
const migrateLock = 0x66766d6967726174

// Store is the PostgreSQL store.
type Store struct {
	db    *pgxpool.Pool
	box   *seal.Box
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
func Open(ctx context.Context, dsn string, box *seal.Box, clock faceverify.Clock) (*Store, error) {
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
	return OpenWith(ctx, dsn, box, clock, Options{Migrate: migrate})
}

// OpenWith opens the pool and applies (or checks) migrations.
func OpenWith(ctx context.Context, dsn string, box *seal.Box, clock faceverify.Clock, opt Options) (*Store, error) {
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
	s := &Store{db: db, box: box, clock: clock}
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
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.db.Close()
	return nil
}

// Ping checks the database is reachable (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	return names, err
}

func version(name string) string {
	return strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
}

// Migrate applies pending migrations, each in its own transaction, under an advisory lock
// so that processes starting together apply each migration once.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.db.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	names, err := migrationNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		v := version(name)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, v, ms(s.clock.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", v, err)
		}
	}
	return nil
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
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if !slices.Contains(applied, version(n)) {
			out = append(out, version(n))
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

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func notFound(what string) error {
	return faceverify.Errorf(faceverify.ENOTFOUND, "%s not found", what)
}

func isUnique(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

func (s *Store) seal(v any, aad string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.box.Seal(b, []byte(aad)), nil
}

func (s *Store) open(data []byte, aad string, v any) error {
	b, err := s.box.Open(data, []byte(aad))
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", aad, err)
	}
	return json.Unmarshal(b, v)
}

// ---- tenants ---------------------------------------------------------------------------

func (s *Store) CreateTenant(ctx context.Context, t *faceverify.Tenant) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.clock.Now()
	}
	data, err := s.seal(t, "tenant:"+t.ID)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO tenants (id, app_code, access_key_id, quota, used, created_at, data) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		t.ID, t.AppCode, t.AccessKeyID, t.Quota, t.Used, ms(t.CreatedAt), data)
	if isUnique(err) {
		return faceverify.Errorf(faceverify.ECONFLICT, "tenant already exists")
	}
	return err
}

func (s *Store) UpdateTenant(ctx context.Context, t *faceverify.Tenant) error {
	data, err := s.seal(t, "tenant:"+t.ID)
	if err != nil {
		return err
	}
	tag, err := s.db.Exec(ctx, `UPDATE tenants SET app_code=$1, access_key_id=$2, quota=$3, data=$4 WHERE id=$5`,
		t.AppCode, t.AccessKeyID, t.Quota, data, t.ID)
	if isUnique(err) {
		return faceverify.Errorf(faceverify.ECONFLICT, "app code or access key already used")
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("tenant")
	}
	return nil
}

func (s *Store) scanTenant(row pgx.Row) (*faceverify.Tenant, error) {
	var (
		id   string
		used int64
		data []byte
	)
	if err := row.Scan(&id, &used, &data); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, notFound("tenant")
		}
		return nil, err
	}
	var t faceverify.Tenant
	if err := s.open(data, "tenant:"+id, &t); err != nil {
		return nil, err
	}
	t.Used = used
	return &t, nil
}

func (s *Store) tenantWhere(ctx context.Context, col, arg string) (*faceverify.Tenant, error) {
	return s.scanTenant(s.db.QueryRow(ctx, `SELECT id, used, data FROM tenants WHERE `+col+` = $1`, arg))
}

func (s *Store) Tenant(ctx context.Context, id string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "id", id)
}

func (s *Store) TenantByAppCode(ctx context.Context, code string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "app_code", code)
}

func (s *Store) TenantByAccessKey(ctx context.Context, keyID string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "access_key_id", keyID)
}

func (s *Store) Tenants(ctx context.Context) ([]*faceverify.Tenant, error) {
	rows, err := s.db.Query(ctx, `SELECT id, used, data FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*faceverify.Tenant
	for rows.Next() {
		t, err := s.scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Store) ChargeTenant(ctx context.Context, id string) error {
	tag, err := s.db.Exec(ctx, `UPDATE tenants SET used = used + 1 WHERE id = $1 AND (quota < 0 OR used < quota)`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.Tenant(ctx, id); err != nil {
			return err
		}
		return faceverify.Errorf(faceverify.EQUOTA, "verification quota used up")
	}
	return nil
}

// ---- sessions --------------------------------------------------------------------------

func (s *Store) CreateSession(ctx context.Context, ss *faceverify.Session) error {
	ss.Version = 1
	data, err := s.seal(ss, "session:"+ss.Token)
	if err != nil {
		return err
	}
	// The charge and the insert commit together: a refused session (quota, duplicate
	// token) counts nothing.
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tenants SET used = used + 1 WHERE id = $1 AND (quota < 0 OR used < quota)`, ss.TenantID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1`, ss.TenantID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
				return notFound("tenant")
			}
			return faceverify.Errorf(faceverify.EQUOTA, "verification quota used up")
		}
		_, err = tx.Exec(ctx, `INSERT INTO sessions (token, tenant_id, state, version, created_at, expires_at, retain_until, data) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			ss.Token, ss.TenantID, string(ss.State), ss.Version, ms(ss.CreatedAt), ms(ss.ExpiresAt), ms(ss.RetainUntil), data)
		if isUnique(err) {
			return faceverify.Errorf(faceverify.ECONFLICT, "session token already exists")
		}
		return err
	})
}

func (s *Store) Session(ctx context.Context, token string) (*faceverify.Session, error) {
	var (
		version int64
		data    []byte
	)
	err := s.db.QueryRow(ctx, `SELECT version, data FROM sessions WHERE token = $1`, token).Scan(&version, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, err
	}
	var ss faceverify.Session
	if err := s.open(data, "session:"+token, &ss); err != nil {
		return nil, err
	}
	ss.Version = version
	return &ss, nil
}

// UpdateSession is a compare-and-set on version: under READ COMMITTED a concurrent writer
// blocks on the row lock, then re-checks "version = $old" against the committed row and
// matches nothing, so exactly one of several writers holding the same version wins.
func (s *Store) UpdateSession(ctx context.Context, ss *faceverify.Session, jobs ...faceverify.Job) error {
	next := *ss
	next.Version = ss.Version + 1
	data, err := s.seal(&next, "session:"+ss.Token)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sessions SET state=$1, version=$2, expires_at=$3, retain_until=$4, data=$5 WHERE token=$6 AND version=$7`,
			string(ss.State), next.Version, ms(ss.ExpiresAt), ms(ss.RetainUntil), data, ss.Token, ss.Version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var v int64
			if err := tx.QueryRow(ctx, `SELECT version FROM sessions WHERE token=$1`, ss.Token).Scan(&v); errors.Is(err, pgx.ErrNoRows) {
				return notFound("session")
			}
			return faceverify.Errorf(faceverify.ECONFLICT, "session changed concurrently")
		}
		return s.insertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return err
	}
	ss.Version = next.Version
	return nil
}

func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE token = $1)`, token); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM jobs WHERE token = $1`, token); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("session")
		}
		return nil
	})
}

func (s *Store) tokens(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (s *Store) SessionsRetainedBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	return s.tokens(ctx, `SELECT token FROM sessions WHERE retain_until < $1 ORDER BY retain_until LIMIT $2`, ms(t), limit)
}

func (s *Store) SessionsExpiringBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	return s.tokens(ctx, `SELECT token FROM sessions WHERE state IN ('created','idcard','liveness') AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, ms(t), limit)
}

// ---- registry --------------------------------------------------------------------------

func (s *Store) PutRegistryEntry(ctx context.Context, e *faceverify.RegistryEntry) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.clock.Now()
	}
	idx := s.box.Index(e.Number)
	data, err := s.seal(e, "registry:"+idx)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO registry (number_index, created_at, data) VALUES ($1,$2,$3)
		ON CONFLICT (number_index) DO UPDATE SET data = excluded.data, created_at = excluded.created_at`, idx, ms(e.CreatedAt), data)
	return err
}

func (s *Store) RegistryEntry(ctx context.Context, number string) (*faceverify.RegistryEntry, error) {
	idx := s.box.Index(number)
	var data []byte
	err := s.db.QueryRow(ctx, `SELECT data FROM registry WHERE number_index = $1`, idx).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("registry entry")
	}
	if err != nil {
		return nil, err
	}
	var e faceverify.RegistryEntry
	if err := s.open(data, "registry:"+idx, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ---- jobs ------------------------------------------------------------------------------

func (s *Store) insertJobs(ctx context.Context, tx pgx.Tx, jobs []faceverify.Job) error {
	now := s.clock.Now()
	for _, j := range jobs {
		if j.RunAt.IsZero() {
			j.RunAt = now
		}
		if j.MaxAttempts <= 0 {
			j.MaxAttempts = 10
		}
		if j.Key == "" {
			j.Key = j.Token
		}
		// ON CONFLICT DO NOTHING covers the partial unique index jobs_live_key: at most
		// one live job per (kind, key).
		_, err := tx.Exec(ctx, `INSERT INTO jobs (kind, key, token, payload, attempt, max_attempts, run_at, state, created_at, updated_at)
			VALUES ($1,$2,$3,$4,0,$5,$6,'queued',$7,$7) ON CONFLICT DO NOTHING`,
			j.Kind, j.Key, j.Token, j.Payload, j.MaxAttempts, ms(j.RunAt), ms(now))
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) EnqueueJobs(ctx context.Context, jobs ...faceverify.Job) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error { return s.insertJobs(ctx, tx, jobs) })
}

const jobCols = `id, kind, key, token, payload, attempt, max_attempts, run_at, state, last_error, created_at, updated_at`

func scanJob(sc pgx.Row) (faceverify.Job, error) {
	var (
		j                       faceverify.Job
		runAt, created, updated int64
	)
	err := sc.Scan(&j.ID, &j.Kind, &j.Key, &j.Token, &j.Payload, &j.Attempt, &j.MaxAttempts, &runAt, &j.State, &j.LastError, &created, &updated)
	j.RunAt, j.CreatedAt, j.UpdatedAt = time.UnixMilli(runAt), time.UnixMilli(created), time.UnixMilli(updated)
	return j, err
}

func collectJobs(rows pgx.Rows) ([]faceverify.Job, error) {
	defer rows.Close()
	var out []faceverify.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// ClaimJobs leases up to n due jobs in one statement: the inner SELECT locks the candidate
// rows with FOR UPDATE SKIP LOCKED (rows another claimer is locking are skipped, not
// waited for), the UPDATE marks them running with the lease. A running job whose lease
// ran out (its worker died or hangs) is due again.
func (s *Store) ClaimJobs(ctx context.Context, kinds []string, worker string, n int, lease time.Duration) ([]faceverify.Job, error) {
	if len(kinds) == 0 || n <= 0 {
		return nil, nil
	}
	now := s.clock.Now()
	rows, err := s.db.Query(ctx, `WITH due AS (
			SELECT id FROM jobs
			WHERE kind = ANY($1) AND ((state = 'queued' AND run_at <= $2) OR (state = 'running' AND lease_until <= $2))
			ORDER BY run_at, id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE jobs SET state = 'running', worker = $4, lease_until = $5, updated_at = $2
		FROM due WHERE jobs.id = due.id
		RETURNING jobs.id, jobs.kind, jobs.key, jobs.token, jobs.payload, jobs.attempt, jobs.max_attempts,
			jobs.run_at, jobs.state, jobs.last_error, jobs.created_at, jobs.updated_at`,
		kinds, ms(now), n, worker, ms(now.Add(lease)))
	if err != nil {
		return nil, err
	}
	jobs, err := collectJobs(rows)
	if err != nil {
		return nil, err
	}
	sort.Slice(jobs, func(a, b int) bool {
		if !jobs[a].RunAt.Equal(jobs[b].RunAt) {
			return jobs[a].RunAt.Before(jobs[b].RunAt)
		}
		return jobs[a].ID < jobs[b].ID
	})
	return jobs, nil
}

func (s *Store) FinishJob(ctx context.Context, j faceverify.Job, a faceverify.JobAttempt, jobErr error, retryAt time.Time) error {
	now := s.clock.Now()
	attempt := j.Attempt + 1
	msg := ""
	if jobErr != nil {
		msg = jobErr.Error()
	}
	state, runAt := faceverify.JobDone, j.RunAt
	switch {
	case jobErr == nil:
	case !retryAt.IsZero():
		state, runAt = faceverify.JobQueued, retryAt
	default:
		state = faceverify.JobFailed
	}
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO job_attempts (job_id, attempt, at, error, detail, duration_ms) VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT (job_id, attempt) DO UPDATE SET at = excluded.at, error = excluded.error, detail = excluded.detail, duration_ms = excluded.duration_ms`,
			j.ID, attempt, ms(a.At), msg, a.Detail, a.Duration.Milliseconds()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE jobs SET state=$1, attempt=$2, run_at=$3, last_error=$4, worker='', lease_until=0, updated_at=$5 WHERE id=$6`,
			state, attempt, ms(runAt), msg, ms(now), j.ID)
		return err
	})
}

func (s *Store) Jobs(ctx context.Context, kind, state string, limit int) ([]faceverify.Job, error) {
	rows, err := s.db.Query(ctx, `SELECT `+jobCols+` FROM jobs WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR state = $2) ORDER BY id DESC LIMIT $3`,
		kind, state, limit)
	if err != nil {
		return nil, err
	}
	return collectJobs(rows)
}

func (s *Store) JobAttempts(ctx context.Context, id int64) ([]faceverify.JobAttempt, error) {
	rows, err := s.db.Query(ctx, `SELECT job_id, attempt, at, error, detail, duration_ms FROM job_attempts WHERE job_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []faceverify.JobAttempt
	for rows.Next() {
		var (
			a       faceverify.JobAttempt
			at, dur int64
		)
		if err := rows.Scan(&a.JobID, &a.Attempt, &at, &a.Error, &a.Detail, &dur); err != nil {
			return nil, err
		}
		a.At, a.Duration = time.UnixMilli(at), time.Duration(dur)*time.Millisecond
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Store) RetryJob(ctx context.Context, id int64) error {
	now := ms(s.clock.Now())
	tag, err := s.db.Exec(ctx, `UPDATE jobs SET state='queued', run_at=$1, updated_at=$1 WHERE id=$2 AND state IN ('failed','queued')`, now, id)
	if isUnique(err) {
		return faceverify.Errorf(faceverify.ECONFLICT, "another live job has the same key")
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("retryable job")
	}
	return nil
}

// ---- nonces ----------------------------------------------------------------------------

func (s *Store) UseNonce(ctx context.Context, key string, exp time.Time) (bool, error) {
	now := ms(s.clock.Now())
	// One statement: an expired row is replaced, a live one blocks. Concurrent first uses
	// of one key serialise on the primary key; exactly one of them inserts.
	tag, err := s.db.Exec(ctx, `INSERT INTO nonces (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at <= $3`, key, ms(exp), now)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// PurgeNonces removes expired nonces.
func (s *Store) PurgeNonces(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `DELETE FROM nonces WHERE expires_at <= $1`, ms(s.clock.Now()))
	return err
}
