// Package sqlite implements faceverify.Store on an embedded SQLite database (pure Go driver
// modernc.org/sqlite) in WAL mode: one writer connection (SQLite allows one writer at a
// time; serialising in the pool avoids busy retries) and a pool of readers. Migrations are
// embedded and applied at Open. Personal data is sealed (package seal) before it reaches a
// row; only look-up columns are stored in clear. It must not know about HTTP or vendors.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
	"github.com/faceverify/faceverify/seal"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite store.
type Store struct {
	w, r  *sql.DB
	box   *seal.Box
	clock faceverify.Clock
	// hot statements, prepared once (the token endpoint runs them on every call)
	chargeStmt, insertSessionStmt, updateSessionStmt *sql.Stmt // writer
	tenantByCodeStmt, sessionStmt                    *sql.Stmt // readers
}

func (s *Store) prepare(ctx context.Context) error {
	var err error
	prep := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, q)
		return st
	}
	s.chargeStmt = prep(s.w, `UPDATE tenants SET used = used + 1 WHERE id = ? AND (quota < 0 OR used < quota)`)
	s.insertSessionStmt = prep(s.w, `INSERT INTO sessions (token, tenant_id, state, version, created_at, expires_at, retain_until, data) VALUES (?,?,?,?,?,?,?,?)`)
	s.updateSessionStmt = prep(s.w, `UPDATE sessions SET state=?, version=?, expires_at=?, retain_until=?, data=? WHERE token=? AND version=?`)
	s.tenantByCodeStmt = prep(s.r, `SELECT id, used, data FROM tenants WHERE app_code = ?`)
	s.sessionStmt = prep(s.r, `SELECT version, data FROM sessions WHERE token = ?`)
	return err
}

var _ faceverify.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies migrations.
func Open(path string, box *seal.Box, clock faceverify.Clock) (*Store, error) {
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
	s := &Store{w: w, r: r, box: box, clock: clock}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	if err := s.prepare(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.chargeStmt, s.insertSessionStmt, s.updateSessionStmt, s.tenantByCodeStmt, s.sessionStmt} {
		if st != nil {
			st.Close()
		}
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		var n int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", version, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, ms(s.clock.Now())); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
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
		return fmt.Errorf("sqlite: %s: %w", aad, err)
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
	_, err = s.w.ExecContext(ctx, `INSERT INTO tenants (id, app_code, access_key_id, quota, used, created_at, data) VALUES (?,?,?,?,?,?,?)`,
		t.ID, t.AppCode, t.AccessKeyID, t.Quota, t.Used, ms(t.CreatedAt), data)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return faceverify.Errorf(faceverify.ECONFLICT, "tenant already exists")
	}
	return err
}

func (s *Store) UpdateTenant(ctx context.Context, t *faceverify.Tenant) error {
	data, err := s.seal(t, "tenant:"+t.ID)
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE tenants SET app_code=?, access_key_id=?, quota=?, data=? WHERE id=?`,
		t.AppCode, t.AccessKeyID, t.Quota, data, t.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("tenant")
	}
	return nil
}

func (s *Store) tenantWhere(ctx context.Context, where string, arg any) (*faceverify.Tenant, error) {
	var (
		id   string
		used int64
		data []byte
		row  *sql.Row
	)
	if where == "app_code = ?" {
		row = s.tenantByCodeStmt.QueryRowContext(ctx, arg)
	} else {
		row = s.r.QueryRowContext(ctx, `SELECT id, used, data FROM tenants WHERE `+where, arg)
	}
	err := row.Scan(&id, &used, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("tenant")
	}
	if err != nil {
		return nil, err
	}
	var t faceverify.Tenant
	if err := s.open(data, "tenant:"+id, &t); err != nil {
		return nil, err
	}
	t.Used = used
	return &t, nil
}

func (s *Store) Tenant(ctx context.Context, id string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "id = ?", id)
}

func (s *Store) TenantByAppCode(ctx context.Context, code string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "app_code = ?", code)
}

func (s *Store) TenantByAccessKey(ctx context.Context, keyID string) (*faceverify.Tenant, error) {
	return s.tenantWhere(ctx, "access_key_id = ?", keyID)
}

func (s *Store) Tenants(ctx context.Context) ([]*faceverify.Tenant, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]*faceverify.Tenant, 0, len(ids))
	for _, id := range ids {
		t, err := s.Tenant(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Store) ChargeTenant(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE tenants SET used = used + 1 WHERE id = ? AND (quota < 0 OR used < quota)`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, s.chargeStmt).ExecContext(ctx, ss.TenantID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, ss.TenantID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return notFound("tenant")
		}
		return faceverify.Errorf(faceverify.EQUOTA, "verification quota used up")
	}
	_, err = tx.StmtContext(ctx, s.insertSessionStmt).ExecContext(ctx,
		ss.Token, ss.TenantID, string(ss.State), ss.Version, ms(ss.CreatedAt), ms(ss.ExpiresAt), ms(ss.RetainUntil), data)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return faceverify.Errorf(faceverify.ECONFLICT, "session token already exists")
		}
		return err
	}
	return tx.Commit()
}

func (s *Store) Session(ctx context.Context, token string) (*faceverify.Session, error) {
	var (
		version int64
		data    []byte
	)
	err := s.sessionStmt.QueryRowContext(ctx, token).Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
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

func (s *Store) UpdateSession(ctx context.Context, ss *faceverify.Session, jobs ...faceverify.Job) error {
	next := *ss
	next.Version = ss.Version + 1
	data, err := s.seal(&next, "session:"+ss.Token)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, s.updateSessionStmt).ExecContext(ctx,
		string(ss.State), next.Version, ms(ss.ExpiresAt), ms(ss.RetainUntil), data, ss.Token, ss.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var v int64
		if err := tx.QueryRowContext(ctx, `SELECT version FROM sessions WHERE token=?`, ss.Token).Scan(&v); errors.Is(err, sql.ErrNoRows) {
			return notFound("session")
		}
		return faceverify.Errorf(faceverify.ECONFLICT, "session changed concurrently")
	}
	if err := s.insertJobs(ctx, tx, jobs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	ss.Version = next.Version
	return nil
}

func (s *Store) DeleteSession(ctx context.Context, token string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE token = ?)`, token); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE token = ?`, token); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token = ?`, token)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("session")
	}
	return tx.Commit()
}

func (s *Store) tokens(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Store) SessionsRetainedBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	return s.tokens(ctx, `SELECT token FROM sessions WHERE retain_until < ? ORDER BY retain_until LIMIT ?`, ms(t), limit)
}

func (s *Store) SessionsExpiringBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	return s.tokens(ctx, `SELECT token FROM sessions WHERE state IN ('created','idcard','liveness') AND expires_at <= ? ORDER BY expires_at LIMIT ?`, ms(t), limit)
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
	_, err = s.w.ExecContext(ctx, `INSERT INTO registry (number_index, created_at, data) VALUES (?,?,?)
		ON CONFLICT (number_index) DO UPDATE SET data = excluded.data, created_at = excluded.created_at`, idx, ms(e.CreatedAt), data)
	return err
}

func (s *Store) RegistryEntry(ctx context.Context, number string) (*faceverify.RegistryEntry, error) {
	idx := s.box.Index(number)
	var data []byte
	err := s.r.QueryRowContext(ctx, `SELECT data FROM registry WHERE number_index = ?`, idx).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
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

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

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
		_, err := ex.ExecContext(ctx, `INSERT INTO jobs (kind, key, token, payload, attempt, max_attempts, run_at, state, created_at, updated_at)
			VALUES (?,?,?,?,0,?,?,'queued',?,?) ON CONFLICT DO NOTHING`,
			j.Kind, j.Key, j.Token, j.Payload, j.MaxAttempts, ms(j.RunAt), ms(now), ms(now))
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) EnqueueJobs(ctx context.Context, jobs ...faceverify.Job) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.insertJobs(ctx, tx, jobs); err != nil {
		return err
	}
	return tx.Commit()
}

const jobCols = `id, kind, key, token, payload, attempt, max_attempts, run_at, state, last_error, created_at, updated_at`

func scanJob(sc interface{ Scan(...any) error }) (faceverify.Job, error) {
	var (
		j                       faceverify.Job
		runAt, created, updated int64
	)
	err := sc.Scan(&j.ID, &j.Kind, &j.Key, &j.Token, &j.Payload, &j.Attempt, &j.MaxAttempts, &runAt, &j.State, &j.LastError, &created, &updated)
	j.RunAt, j.CreatedAt, j.UpdatedAt = time.UnixMilli(runAt), time.UnixMilli(created), time.UnixMilli(updated)
	return j, err
}

func (s *Store) ClaimJobs(ctx context.Context, kinds []string, worker string, n int, lease time.Duration) ([]faceverify.Job, error) {
	if len(kinds) == 0 || n <= 0 {
		return nil, nil
	}
	now := s.clock.Now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ph := strings.TrimSuffix(strings.Repeat("?,", len(kinds)), ",")
	args := []any{}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, ms(now), ms(now), n)
	rows, err := tx.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE kind IN (`+ph+`)
		AND ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_until <= ?))
		ORDER BY run_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	var jobs []faceverify.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	for i := range jobs {
		jobs[i].State = faceverify.JobRunning
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state='running', worker=?, lease_until=?, updated_at=? WHERE id=?`,
			worker, ms(now.Add(lease)), ms(now), jobs[i].ID); err != nil {
			return nil, err
		}
	}
	return jobs, tx.Commit()
}

func (s *Store) FinishJob(ctx context.Context, j faceverify.Job, a faceverify.JobAttempt, jobErr error, retryAt time.Time) error {
	now := s.clock.Now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	attempt := j.Attempt + 1
	msg := ""
	if jobErr != nil {
		msg = jobErr.Error()
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO job_attempts (job_id, attempt, at, error, detail, duration_ms) VALUES (?,?,?,?,?,?)`,
		j.ID, attempt, ms(a.At), msg, a.Detail, a.Duration.Milliseconds()); err != nil {
		return err
	}
	state, runAt := faceverify.JobDone, j.RunAt
	switch {
	case jobErr == nil:
	case !retryAt.IsZero():
		state, runAt = faceverify.JobQueued, retryAt
	default:
		state = faceverify.JobFailed
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state=?, attempt=?, run_at=?, last_error=?, worker='', lease_until=0, updated_at=? WHERE id=?`,
		state, attempt, ms(runAt), msg, ms(now), j.ID); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) Jobs(ctx context.Context, kind, state string, limit int) ([]faceverify.Job, error) {
	q := `SELECT ` + jobCols + ` FROM jobs WHERE (? = '' OR kind = ?) AND (? = '' OR state = ?) ORDER BY id DESC LIMIT ?`
	rows, err := s.r.QueryContext(ctx, q, kind, kind, state, state, limit)
	if err != nil {
		return nil, err
	}
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

func (s *Store) JobAttempts(ctx context.Context, id int64) ([]faceverify.JobAttempt, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT job_id, attempt, at, error, detail, duration_ms FROM job_attempts WHERE job_id = ? ORDER BY attempt`, id)
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
	res, err := s.w.ExecContext(ctx, `UPDATE jobs SET state='queued', run_at=?, updated_at=? WHERE id=? AND state IN ('failed','queued')`,
		ms(s.clock.Now()), ms(s.clock.Now()), id)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return faceverify.Errorf(faceverify.ECONFLICT, "another live job has the same key")
		}
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("retryable job")
	}
	return nil
}

// ---- nonces ----------------------------------------------------------------------------

func (s *Store) UseNonce(ctx context.Context, key string, exp time.Time) (bool, error) {
	now := s.clock.Now()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM nonces WHERE key = ? AND expires_at <= ?`, key, ms(now)); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO nonces (key, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, key, ms(exp))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return n == 1, nil
}

// PurgeNonces removes expired nonces.
func (s *Store) PurgeNonces(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM nonces WHERE expires_at <= ?`, ms(s.clock.Now()))
	return err
}
