// Package sqlstore is the one implementation of faceverify.Store in SQL: sealing of
// personal data, optimistic session versions, quota charging in the session's transaction,
// the job queue with leases, nonces and retention queries. It runs over database/sql and
// a thin per-database Driver (placeholders, the row-locking clause of the claim query,
// unique-violation detection), in the spirit of riverqueue's riverdriver: store/sqlite
// and store/postgres only open their database, apply their migrations and name their
// Driver. The domain's state lists reach SQL from the domain constants, never retyped.
// The sealed JSON is this package's own format (records.go), never the domain types'.
// It must not know about HTTP or vendors.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
)

// Driver is what differs between databases.
type Driver interface {
	// Name prefixes errors ("sqlite", "postgres").
	Name() string
	// Rebind turns the core's ? placeholders into the database's.
	Rebind(query string) string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique(err error) bool
	// SkipLocked is appended to the claim query's SELECT of due jobs: the clause that
	// locks the rows and skips rows other claimers hold ("" where writers are serialised).
	SkipLocked() string
	// Types names the database's column types that the shared migrations leave open.
	Types() Types
}

// Types are the column types that differ between databases, as data: the shared
// migrations (this package's migrations/*.sql) write them {{int64}}, {{bytes}} and {{id}}.
type Types struct {
	Int64 string // a 64-bit integer column ("BIGINT"; SQLite "INTEGER")
	Bytes string // a byte string column ("BYTEA"; SQLite "BLOB")
	ID    string // an auto-numbered primary key ("BIGSERIAL PRIMARY KEY"; SQLite "INTEGER PRIMARY KEY AUTOINCREMENT")
}

// Store implements faceverify.Store over a writer and a reader handle (the same handle
// where the database has no separate readers).
type Store struct {
	w, r  *sql.DB
	drv   Driver
	box   *seal.Box
	clock faceverify.Clock
	log   *slog.Logger
	// hot statements, prepared once (the token endpoint runs them on every call)
	chargeStmt, insertSessionStmt, updateSessionStmt *sql.Stmt // writer
	tenantByCodeStmt, sessionStmt                    *sql.Stmt // readers
}

var _ faceverify.Store = (*Store)(nil)

// Option configures a Store at New.
type Option func(*Store)

// WithLogger is where the store reports what it works around instead of failing (a
// session whose sealed data cannot be opened during the list-column backfill). Without
// it the store logs to slog.Default(). Nothing personal is logged: no token, no data.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.log = l
		}
	}
}

// New returns the store over w (writes) and r (reads) and prepares its hot statements.
// Close closes the statements, not the handles.
func New(ctx context.Context, w, r *sql.DB, drv Driver, box *seal.Box, clock faceverify.Clock, opts ...Option) (*Store, error) {
	if clock == nil {
		clock = faceverify.SystemClock{}
	}
	s := &Store{w: w, r: r, drv: drv, box: box, clock: clock, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	var err error
	prep := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, drv.Rebind(q))
		return st
	}
	s.chargeStmt = prep(w, chargeQuery)
	s.insertSessionStmt = prep(w, `INSERT INTO sessions (token, tenant_id, state, version, created_at, expires_at, retain_until, data,
		dialect, result_code, result_message, external_index) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
	s.updateSessionStmt = prep(w, `UPDATE sessions SET state=?, version=?, expires_at=?, retain_until=?, data=?,
		dialect=?, result_code=?, result_message=?, external_index=? WHERE token=? AND version=?`)
	s.tenantByCodeStmt = prep(r, `SELECT id, used, data FROM tenants WHERE app_code = ?`)
	s.sessionStmt = prep(r, `SELECT version, data FROM sessions WHERE token = ?`)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: prepare: %w", drv.Name(), err)
	}
	return s, nil
}

// Close closes the prepared statements.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.chargeStmt, s.insertSessionStmt, s.updateSessionStmt, s.tenantByCodeStmt, s.sessionStmt} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

const chargeQuery = `UPDATE tenants SET used = used + 1 WHERE id = ? AND (quota < 0 OR used < quota)`

// quoted renders domain constants as an SQL list of string literals (constants only,
// never input).
func quoted[T ~string](vs ...T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.ReplaceAll(string(v), "'", "''") + "'"
	}
	return strings.Join(q, ",")
}

// Ms is the stored form of a time: Unix milliseconds, 0 for the zero time.
func Ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func notFound(what string) error {
	return faceverify.Errorf(faceverify.ENOTFOUND, "%s not found", what)
}

func (s *Store) exec(ctx context.Context, ex execer, q string, args ...any) (sql.Result, error) {
	return ex.ExecContext(ctx, s.drv.Rebind(q), args...)
}

// seal and open take the package's record structs (records.go), never domain types: the
// persisted format is the store's.
func (s *Store) seal(v any, aad string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.box.Seal(b, []byte(aad)), nil
}

func (s *Store) open(data []byte, aad string, v any) error {
	if err := s.unseal(data, aad, v); err != nil {
		return fmt.Errorf("%s: %s: %w", s.drv.Name(), aad, err)
	}
	return nil
}

// unseal is open with an error that does not name the row (aad holds tokens: fit for logs).
func (s *Store) unseal(data []byte, aad string, v any) error {
	b, err := s.box.Open(data, []byte(aad))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// changed checks the outcome of a statement that must change a row: a unique violation is
// ECONFLICT with conflict (when the statement can violate one), no row changed ENOTFOUND
// of what.
func (s *Store) changed(res sql.Result, err error, what, conflict string) error {
	if conflict != "" && s.drv.IsUnique(err) {
		return faceverify.Errorf(faceverify.ECONFLICT, "%s", conflict)
	}
	if err != nil {
		return err
	}
	n, err := affected(res)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// guarded checks the outcome of an UPDATE guarded by a condition besides the row's key
// (the quota, the version): no row changed is ENOTFOUND of what when the row is gone (the
// query exists, of key, finds none), else the error refused makes (the condition did not
// hold).
func (s *Store) guarded(ctx context.Context, q rowQuerier, res sql.Result, err error, exists string, key any, what string, refused func() error) error {
	if err != nil {
		return err
	}
	if n, err := affected(res); err != nil || n > 0 {
		return err
	}
	var one int
	if err := q.QueryRowContext(ctx, s.drv.Rebind(exists), key).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	} else if err != nil {
		return err
	}
	return refused()
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type scanner interface{ Scan(...any) error }

// collect is the loop of every list query: each row of rows (the result of a query that
// failed with err, if err is not nil) becomes a T by scan; rows is closed at the end.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// openRow scans cols and then the sealed data column of row, and opens the data into rec
// with the associated data aad names (called after the scan: it may use cols). No row is
// ENOTFOUND of what.
func (s *Store) openRow(row scanner, what string, aad func() string, rec any, cols ...any) error {
	var data []byte
	err := row.Scan(append(cols, &data)...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	if err != nil {
		return err
	}
	return s.open(data, aad(), rec)
}

// tx runs f in a write transaction, committed when f returns nil.
func (s *Store) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// affected is the number of rows a statement changed (both drivers report it; an error
// is returned, never read as 0 rows).
func affected(res sql.Result) (int64, error) {
	return res.RowsAffected()
}

// ---- tenants ---------------------------------------------------------------------------

func (s *Store) CreateTenant(ctx context.Context, t *faceverify.Tenant) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.clock.Now()
	}
	data, err := s.seal(toTenantRecord(t), "tenant:"+t.ID)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, s.w, `INSERT INTO tenants (id, app_code, access_key_id, quota, used, created_at, data) VALUES (?,?,?,?,?,?,?)`,
		t.ID, t.AppCode, t.AccessKeyID, t.Quota, t.Used, Ms(t.CreatedAt), data)
	if s.drv.IsUnique(err) {
		return faceverify.Errorf(faceverify.ECONFLICT, "tenant already exists")
	}
	return err
}

func (s *Store) UpdateTenant(ctx context.Context, t *faceverify.Tenant) error {
	data, err := s.seal(toTenantRecord(t), "tenant:"+t.ID)
	if err != nil {
		return err
	}
	res, err := s.exec(ctx, s.w, `UPDATE tenants SET app_code=?, access_key_id=?, quota=?, data=? WHERE id=?`,
		t.AppCode, t.AccessKeyID, t.Quota, data, t.ID)
	return s.changed(res, err, "tenant", "app code or access key already used")
}

func (s *Store) scanTenant(row scanner) (*faceverify.Tenant, error) {
	var (
		id   string
		used int64
		rec  tenantRecord
	)
	if err := s.openRow(row, "tenant", func() string { return "tenant:" + id }, &rec, &id, &used); err != nil {
		return nil, err
	}
	t := rec.domain()
	t.Used = used
	return t, nil
}

func (s *Store) tenantWhere(ctx context.Context, col string, arg any) (*faceverify.Tenant, error) {
	return s.scanTenant(s.r.QueryRowContext(ctx, s.drv.Rebind(`SELECT id, used, data FROM tenants WHERE `+col+` = ?`), arg))
}

func (s *Store) Tenant(ctx context.Context, id string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "id", id)
}

func (s *Store) TenantByAppCode(ctx context.Context, code string) (*faceverify.Tenant, error) {
	return s.scanTenant(s.tenantByCodeStmt.QueryRowContext(ctx, code))
}

func (s *Store) TenantByAccessKey(ctx context.Context, keyID string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "access_key_id", keyID)
}

func (s *Store) Tenants(ctx context.Context) ([]*faceverify.Tenant, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, used, data FROM tenants ORDER BY created_at, id`)
	return collect(rows, err, s.scanTenant)
}

func (s *Store) ChargeTenant(ctx context.Context, id string) error {
	res, err := s.exec(ctx, s.w, chargeQuery, id)
	return s.guarded(ctx, s.w, res, err, tenantExists, id, "tenant", quotaUsedUp)
}

const tenantExists = `SELECT 1 FROM tenants WHERE id = ?`

func quotaUsedUp() error { return faceverify.Errorf(faceverify.EQUOTA, "verification quota used up") }

// ---- sessions --------------------------------------------------------------------------

// CreateSession charges the tenant and inserts the session in one transaction: a refused
// session (quota, duplicate token) counts nothing.
func (s *Store) CreateSession(ctx context.Context, ss *faceverify.Session) error {
	ss.Version = 1
	data, err := s.seal(toSessionRecord(ss), "session:"+ss.Token)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.chargeStmt).ExecContext(ctx, ss.TenantID)
		if err := s.guarded(ctx, tx, res, err, tenantExists, ss.TenantID, "tenant", quotaUsedUp); err != nil {
			return err
		}
		_, err = tx.StmtContext(ctx, s.insertSessionStmt).ExecContext(ctx,
			append([]any{ss.Token, ss.TenantID, string(ss.State), ss.Version, Ms(ss.CreatedAt), Ms(ss.ExpiresAt), Ms(ss.RetainUntil), data},
				s.listColumns(ss)...)...)
		if s.drv.IsUnique(err) {
			return faceverify.Errorf(faceverify.ECONFLICT, "session token already exists")
		}
		if err != nil {
			return err
		}
		return s.appendChanges(ctx, tx, ss)
	})
	if err != nil {
		return err
	}
	ss.ChangesStored()
	return nil
}

func (s *Store) Session(ctx context.Context, token string) (*faceverify.Session, error) {
	var (
		version int64
		rec     sessionRecord
	)
	row := s.sessionStmt.QueryRowContext(ctx, token)
	if err := s.openRow(row, "session", func() string { return "session:" + token }, &rec, &version); err != nil {
		return nil, err
	}
	ss := rec.domain()
	ss.Version = version
	return ss, nil
}

// UpdateSession stores ss if its version still matches and enqueues jobs in the same
// transaction.
func (s *Store) UpdateSession(ctx context.Context, ss *faceverify.Session, jobs ...faceverify.Job) error {
	next := *ss
	next.Version = ss.Version + 1
	data, err := s.seal(toSessionRecord(&next), "session:"+ss.Token)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.updateSessionStmt).ExecContext(ctx,
			append([]any{string(ss.State), next.Version, Ms(ss.ExpiresAt), Ms(ss.RetainUntil), data},
				append(s.listColumns(ss), ss.Token, ss.Version)...)...)
		if err := s.guarded(ctx, tx, res, err, `SELECT 1 FROM sessions WHERE token = ?`, ss.Token, "session",
			func() error { return faceverify.Errorf(faceverify.ECONFLICT, "session changed concurrently") }); err != nil {
			return err
		}
		if err := s.appendChanges(ctx, tx, ss); err != nil {
			return err
		}
		return s.insertJobs(ctx, tx, jobs)
	})
	if err != nil {
		return err
	}
	ss.Version = next.Version
	ss.ChangesStored()
	return nil
}

// appendChanges writes the session's pending state changes (faceverify.StateChange) to
// its history, in the transaction that stores the session.
func (s *Store) appendChanges(ctx context.Context, ex execer, ss *faceverify.Session) error {
	for _, c := range ss.PendingChanges() {
		if _, err := s.exec(ctx, ex, `INSERT INTO session_events (token, at, from_state, to_state, event, actor, result_code, result_message, detail)
			VALUES (?,?,?,?,?,?,?,?,?)`, ss.Token, Ms(c.At), string(c.From), string(c.To), c.Event, c.Actor, c.Result.Code, c.Result.Message, c.Detail); err != nil {
			return err
		}
	}
	return nil
}

// StateChanges lists a session's stored state changes, oldest first (none for sessions
// stored before migration 0003).
func (s *Store) StateChanges(ctx context.Context, token string) ([]faceverify.StateChange, error) {
	rows, err := s.r.QueryContext(ctx, s.drv.Rebind(`SELECT at, from_state, to_state, event, actor, result_code, result_message, detail
		FROM session_events WHERE token = ? ORDER BY id`), token)
	return collect(rows, err, func(row scanner) (faceverify.StateChange, error) {
		var (
			c        faceverify.StateChange
			at       int64
			from, to string
		)
		err := row.Scan(&at, &from, &to, &c.Event, &c.Actor, &c.Result.Code, &c.Result.Message, &c.Detail)
		c.At, c.From, c.To = time.UnixMilli(at), faceverify.State(from), faceverify.State(to)
		return c, err
	})
}

func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE token = ?)`, token); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM jobs WHERE token = ?`, token); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM session_events WHERE token = ?`, token); err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `DELETE FROM sessions WHERE token = ?`, token)
		return s.changed(res, err, "session", "")
	})
}

func (s *Store) tokens(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.drv.Rebind(q), args...)
	return collect(rows, err, func(row scanner) (t string, err error) { return t, row.Scan(&t) })
}

func (s *Store) SessionsRetainedBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	return s.tokens(ctx, `SELECT token FROM sessions WHERE retain_until < ? ORDER BY retain_until LIMIT ?`, Ms(t), limit)
}

// waiting is the domain's list of states that expire (written as literals so that a
// partial index on them applies).
var waiting = quoted(faceverify.WaitingStates...)

func (s *Store) SessionsExpiringBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	return s.tokens(ctx, `SELECT token FROM sessions WHERE state IN (`+waiting+`) AND expires_at <= ? ORDER BY expires_at LIMIT ?`, Ms(t), limit)
}

// ---- registry --------------------------------------------------------------------------

func (s *Store) PutRegistryEntry(ctx context.Context, e *faceverify.RegistryEntry) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.clock.Now()
	}
	idx := s.box.Index(e.Number)
	data, err := s.seal(toRegistryRecord(e), "registry:"+idx)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, s.w, `INSERT INTO registry (number_index, created_at, data) VALUES (?,?,?)
		ON CONFLICT (number_index) DO UPDATE SET data = excluded.data, created_at = excluded.created_at`, idx, Ms(e.CreatedAt), data)
	return err
}

func (s *Store) RegistryEntry(ctx context.Context, number string) (*faceverify.RegistryEntry, error) {
	idx := s.box.Index(number)
	var rec registryRecord
	row := s.r.QueryRowContext(ctx, s.drv.Rebind(`SELECT data FROM registry WHERE number_index = ?`), idx)
	if err := s.openRow(row, "registry entry", func() string { return "registry:" + idx }, &rec); err != nil {
		return nil, err
	}
	return rec.domain(), nil
}

// DeleteRegistryEntry removes the embedded registry entry of number (erasure); ENOTFOUND
// when there is none. The photo blob is the caller's (verify) to delete.
func (s *Store) DeleteRegistryEntry(ctx context.Context, number string) error {
	res, err := s.exec(ctx, s.w, `DELETE FROM registry WHERE number_index = ?`, s.box.Index(number))
	return s.changed(res, err, "registry entry", "")
}

// ---- jobs ------------------------------------------------------------------------------

// retryable are the job states an operator may send back to the queue.
var retryable = quoted(faceverify.JobFailed, faceverify.JobQueued)

func (s *Store) insertJobs(ctx context.Context, ex execer, jobs []faceverify.Job) error {
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
		_, err := s.exec(ctx, ex, `INSERT INTO jobs (kind, key, token, payload, attempt, max_attempts, run_at, state, created_at, updated_at)
			VALUES (?,?,?,?,0,?,?,?,?,?) ON CONFLICT DO NOTHING`,
			j.Kind, j.Key, j.Token, j.Payload, j.MaxAttempts, Ms(j.RunAt), faceverify.JobQueued, Ms(now), Ms(now))
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) EnqueueJobs(ctx context.Context, jobs ...faceverify.Job) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.insertJobs(ctx, tx, jobs) })
}

const jobCols = `id, kind, key, token, payload, attempt, max_attempts, run_at, state, last_error, created_at, updated_at`

// scanJob scans the jobCols of a row.
func scanJob(row scanner) (faceverify.Job, error) {
	var (
		j                       faceverify.Job
		runAt, created, updated int64
	)
	err := row.Scan(&j.ID, &j.Kind, &j.Key, &j.Token, &j.Payload, &j.Attempt, &j.MaxAttempts, &runAt, &j.State, &j.LastError, &created, &updated)
	j.RunAt, j.CreatedAt, j.UpdatedAt = time.UnixMilli(runAt), time.UnixMilli(created), time.UnixMilli(updated)
	return j, err
}

// ClaimJobs leases up to n due jobs in one statement: the due jobs are selected (locked
// and skipping rows other claimers hold, where the database can: Driver.SkipLocked) and
// marked running with the lease. A running job whose lease ran out (its worker died or
// hangs) is due again, and the attempt it lost counts: a job that kills its worker every
// time (a crafted upload crashing the in-process decoder) uses up its attempts like one
// that fails, and the runner gives it up (jobs.Runner) instead of crashing forever.
func (s *Store) ClaimJobs(ctx context.Context, kinds []string, worker string, n int, lease time.Duration) ([]faceverify.Job, error) {
	if len(kinds) == 0 || n <= 0 {
		return nil, nil
	}
	now := Ms(s.clock.Now())
	args := make([]any, 0, len(kinds)+8)
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, faceverify.JobQueued, now, faceverify.JobRunning, now, n, faceverify.JobRunning, worker, now+lease.Milliseconds(), now, faceverify.JobRunning)
	q := `WITH due AS (
			SELECT id FROM jobs WHERE kind IN (` + strings.TrimSuffix(strings.Repeat("?,", len(kinds)), ",") + `)
			AND ((state = ? AND run_at <= ?) OR (state = ? AND lease_until <= ?))
			ORDER BY run_at, id LIMIT ? ` + s.drv.SkipLocked() + `)
		UPDATE jobs SET state = ?, worker = ?, lease_until = ?, updated_at = ?,
			attempt = attempt + CASE WHEN state = ? THEN 1 ELSE 0 END
		WHERE id IN (SELECT id FROM due)
		RETURNING ` + jobCols
	var jobs []faceverify.Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.drv.Rebind(q), args...)
		jobs, err = collect(rows, err, scanJob)
		return err
	})
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
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `INSERT INTO job_attempts (job_id, attempt, at, error, detail, duration_ms) VALUES (?,?,?,?,?,?)
			ON CONFLICT (job_id, attempt) DO UPDATE SET at = excluded.at, error = excluded.error, detail = excluded.detail, duration_ms = excluded.duration_ms`,
			j.ID, attempt, Ms(a.At), msg, a.Detail, a.Duration.Milliseconds()); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `UPDATE jobs SET state=?, attempt=?, run_at=?, last_error=?, worker='', lease_until=0, updated_at=? WHERE id=?`,
			state, attempt, Ms(runAt), msg, Ms(now), j.ID)
		return err
	})
}

func (s *Store) Jobs(ctx context.Context, kind, state string, limit int) ([]faceverify.Job, error) {
	rows, err := s.r.QueryContext(ctx, s.drv.Rebind(`SELECT `+jobCols+` FROM jobs WHERE (? = '' OR kind = ?) AND (? = '' OR state = ?) ORDER BY id DESC LIMIT ?`),
		kind, kind, state, state, limit)
	return collect(rows, err, scanJob)
}

func (s *Store) JobAttempts(ctx context.Context, id int64) ([]faceverify.JobAttempt, error) {
	rows, err := s.r.QueryContext(ctx, s.drv.Rebind(`SELECT job_id, attempt, at, error, detail, duration_ms FROM job_attempts WHERE job_id = ? ORDER BY attempt`), id)
	return collect(rows, err, func(row scanner) (faceverify.JobAttempt, error) {
		var (
			a       faceverify.JobAttempt
			at, dur int64
		)
		err := row.Scan(&a.JobID, &a.Attempt, &at, &a.Error, &a.Detail, &dur)
		a.At, a.Duration = time.UnixMilli(at), time.Duration(dur)*time.Millisecond
		return a, err
	})
}

func (s *Store) RetryJob(ctx context.Context, id int64) error {
	now := Ms(s.clock.Now())
	res, err := s.exec(ctx, s.w, `UPDATE jobs SET state=?, run_at=?, updated_at=? WHERE id=? AND state IN (`+retryable+`)`,
		faceverify.JobQueued, now, now, id)
	return s.changed(res, err, "retryable job", "another live job has the same key")
}

// ---- nonces ----------------------------------------------------------------------------

// UseNonce records key until exp. One statement: an expired row is replaced, a live one
// blocks; concurrent first uses of one key serialise on the primary key and exactly one
// of them inserts.
func (s *Store) UseNonce(ctx context.Context, key string, exp time.Time) (bool, error) {
	res, err := s.exec(ctx, s.w, `INSERT INTO nonces (key, expires_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at <= ?`, key, Ms(exp), Ms(s.clock.Now()))
	if err != nil {
		return false, err
	}
	n, err := affected(res)
	return n == 1, err
}

// PurgeNonces removes expired nonces.
func (s *Store) PurgeNonces(ctx context.Context) error {
	_, err := s.exec(ctx, s.w, `DELETE FROM nonces WHERE expires_at <= ?`, Ms(s.clock.Now()))
	return err
}

// ---- migrations ------------------------------------------------------------------------

// Conn is what Migrate needs: a *sql.DB, or a *sql.Conn holding a database lock.
type Conn interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// shared holds the migrations written once for every database (from 0002 on); a driver's
// own migrations/*.sql hold only what was written per database before (0001, whose
// indexes differ: PostgreSQL's are partial).
//
//go:embed migrations/*.sql
var shared embed.FS

// Migrations lists the versions of the migrations of a driver: its own migrations/*.sql
// files (own) and the shared ones, in order. A version in both is an error.
func Migrations(own fs.FS) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, fsys := range []fs.FS{own, shared} {
		names, err := fs.Glob(fsys, "migrations/*.sql")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			v := strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql")
			if seen[v] {
				return nil, fmt.Errorf("migration %s is both the driver's and shared", v)
			}
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Migration is the SQL of migration v for drv: the driver's own file, or the shared one
// with drv's column types put in.
func Migration(drv Driver, own fs.FS, v string) (string, error) {
	name := "migrations/" + v + ".sql"
	if body, err := fs.ReadFile(own, name); err == nil {
		return string(body), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	body, err := fs.ReadFile(shared, name)
	if err != nil {
		return "", err
	}
	t := drv.Types()
	q := strings.NewReplacer("{{int64}}", t.Int64, "{{bytes}}", t.Bytes, "{{id}}", t.ID).Replace(string(body))
	if strings.Contains(q, "{{") || t.Int64 == "" || t.Bytes == "" || t.ID == "" {
		return "", fmt.Errorf("%s: migration %s: a column type left open (driver types %+v)", drv.Name(), v, t)
	}
	return q, nil
}

// Migrate applies the migrations of own and the shared ones not yet recorded in
// schema_migrations, each in its own transaction with its record. Callers that may start
// together hold a lock.
func Migrate(ctx context.Context, c Conn, drv Driver, own fs.FS, now time.Time) error {
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	versions, err := Migrations(own)
	if err != nil {
		return err
	}
	for _, v := range versions {
		var n int
		if err := c.QueryRowContext(ctx, drv.Rebind(`SELECT count(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := Migration(drv, own, v)
		if err != nil {
			return err
		}
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, body); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: migration %s: %w", drv.Name(), v, err)
		}
		if _, err := tx.ExecContext(ctx, drv.Rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, Ms(now)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
