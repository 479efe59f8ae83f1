package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/faceverify/faceverify"
)

// The review console's data (faceverify.OperatorStore): operators, sign-ins, the audit log
// and the session list over the clear look-up columns of migration 0002.

var _ faceverify.OperatorStore = (*Store)(nil)

// listColumns are the clear look-up columns of the session list, in the order the insert
// and update statements name them: dialect, result_code, result_message, external_index.
// biz_no / OuterOrderNo is stored only as a keyed hash.
func (s *Store) listColumns(ss *faceverify.Session) []any {
	code, msg := 0, ""
	if ss.Verdict != nil {
		code, msg = ss.Verdict.Result.Code, ss.Verdict.Result.Message
	}
	ext := ""
	if ss.Options.ExternalRef != "" {
		ext = s.ExternalIndex(ss.Options.ExternalRef)
	}
	return []any{string(ss.Dialect), code, msg, ext}
}

// ExternalIndex is the keyed hash under which biz_no / OuterOrderNo values are found.
func (s *Store) ExternalIndex(ref string) string { return s.box.Index("external:" + ref) }

// ---- operators -------------------------------------------------------------------------

func (s *Store) CreateOperator(ctx context.Context, o *faceverify.Operator) error {
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.clock.Now()
	}
	dis := 0
	if o.Disabled {
		dis = 1
	}
	_, err := s.exec(ctx, s.w, `INSERT INTO operators (id, name, password_hash, disabled, tenant_id, created_at) VALUES (?,?,?,?,?,?)`,
		o.ID, o.Name, o.PasswordHash, dis, o.TenantID, Ms(o.CreatedAt))
	if s.drv.IsUnique(err) {
		return faceverify.Errorf(faceverify.ECONFLICT, "operator name already taken")
	}
	return err
}

func (s *Store) operatorWhere(ctx context.Context, col, arg string) (*faceverify.Operator, error) {
	var (
		o       faceverify.Operator
		dis     int
		created int64
	)
	err := s.r.QueryRowContext(ctx, s.drv.Rebind(`SELECT id, name, password_hash, disabled, tenant_id, created_at FROM operators WHERE `+col+` = ?`), arg).
		Scan(&o.ID, &o.Name, &o.PasswordHash, &dis, &o.TenantID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("operator")
	}
	if err != nil {
		return nil, err
	}
	o.Disabled, o.CreatedAt = dis != 0, time.UnixMilli(created)
	return &o, nil
}

func (s *Store) OperatorByName(ctx context.Context, name string) (*faceverify.Operator, error) {
	return s.operatorWhere(ctx, "name", name)
}

func (s *Store) Operator(ctx context.Context, id string) (*faceverify.Operator, error) {
	return s.operatorWhere(ctx, "id", id)
}

// ---- sign-ins --------------------------------------------------------------------------

func (s *Store) CreateLogin(ctx context.Context, l *faceverify.OperatorLogin) error {
	_, err := s.exec(ctx, s.w, `INSERT INTO operator_logins (id_hash, operator_id, csrf, created_at, last_seen, expires_at) VALUES (?,?,?,?,?,?)`,
		l.IDHash, l.OperatorID, l.CSRF, Ms(l.CreatedAt), Ms(l.LastSeen), Ms(l.ExpiresAt))
	return err
}

func (s *Store) Login(ctx context.Context, idHash string) (*faceverify.OperatorLogin, error) {
	var (
		l                      faceverify.OperatorLogin
		created, seen, expires int64
	)
	err := s.r.QueryRowContext(ctx, s.drv.Rebind(`SELECT id_hash, operator_id, csrf, created_at, last_seen, expires_at FROM operator_logins WHERE id_hash = ?`), idHash).
		Scan(&l.IDHash, &l.OperatorID, &l.CSRF, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("sign-in")
	}
	if err != nil {
		return nil, err
	}
	l.CreatedAt, l.LastSeen, l.ExpiresAt = time.UnixMilli(created), time.UnixMilli(seen), time.UnixMilli(expires)
	return &l, nil
}

func (s *Store) TouchLogin(ctx context.Context, idHash string, at time.Time) error {
	res, err := s.exec(ctx, s.w, `UPDATE operator_logins SET last_seen = ? WHERE id_hash = ?`, Ms(at), idHash)
	return s.changed(res, err, "sign-in", "")
}

func (s *Store) DeleteLogin(ctx context.Context, idHash string) error {
	_, err := s.exec(ctx, s.w, `DELETE FROM operator_logins WHERE id_hash = ?`, idHash)
	return err
}

func (s *Store) PurgeLogins(ctx context.Context, before time.Time) error {
	_, err := s.exec(ctx, s.w, `DELETE FROM operator_logins WHERE expires_at <= ?`, Ms(before))
	return err
}

// ---- audit -----------------------------------------------------------------------------

func (s *Store) AppendAudit(ctx context.Context, e *faceverify.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.clock.Now()
	}
	return s.w.QueryRowContext(ctx, s.drv.Rebind(`INSERT INTO audit_log (at, operator, action, target, detail) VALUES (?,?,?,?,?) RETURNING id`),
		Ms(e.At), e.Operator, e.Action, e.Target, e.Detail).Scan(&e.ID)
}

func (s *Store) AuditLog(ctx context.Context, target, operator string, beforeID int64, limit int) ([]faceverify.AuditEntry, error) {
	q := `SELECT id, at, operator, action, target, detail FROM audit_log WHERE 1=1`
	var args []any
	if target != "" {
		q += ` AND target = ?`
		args = append(args, target)
	}
	if operator != "" {
		q += ` AND operator = ?`
		args = append(args, operator)
	}
	if beforeID > 0 {
		q += ` AND id < ?`
		args = append(args, beforeID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.drv.Rebind(q), args...)
	return collect(rows, err, func(row scanner) (faceverify.AuditEntry, error) {
		var (
			e  faceverify.AuditEntry
			at int64
		)
		err := row.Scan(&e.ID, &at, &e.Operator, &e.Action, &e.Target, &e.Detail)
		e.At = time.UnixMilli(at)
		return e, err
	})
}

// ---- session list ----------------------------------------------------------------------

// ListSessions is one indexed query: equality filters on clear columns, a created_at range
// and the keyset (created_at, token) < cursor, newest first. Every value is a bound
// parameter.
func (s *Store) ListSessions(ctx context.Context, f faceverify.SessionFilter) ([]faceverify.SessionRow, error) {
	q, args := s.ListQuery(f)
	rows, err := s.r.QueryContext(ctx, q, args...)
	return collect(rows, err, func(row scanner) (faceverify.SessionRow, error) {
		var (
			r              faceverify.SessionRow
			dialect, state string
			created        int64
		)
		err := row.Scan(&r.Token, &r.TenantID, &dialect, &state, &r.ResultCode, &r.ResultMessage, &created)
		r.Dialect, r.State, r.CreatedAt = faceverify.Dialect(dialect), faceverify.State(state), time.UnixMilli(created)
		return r, err
	})
}

// ListQuery is the statement (rebound for the database) and the arguments ListSessions
// runs for f (exported for query-plan checks).
func (s *Store) ListQuery(f faceverify.SessionFilter) (string, []any) {
	var (
		where []string
		args  []any
	)
	eq := func(col string, v any) {
		where = append(where, col+" = ?")
		args = append(args, v)
	}
	if f.TenantID != "" {
		eq("tenant_id", f.TenantID)
	}
	if f.Dialect != "" {
		eq("dialect", string(f.Dialect))
	}
	if f.State != "" {
		eq("state", string(f.State))
	}
	if f.ResultCode != 0 {
		eq("result_code", f.ResultCode)
	}
	if f.ExternalIndex != "" {
		eq("external_index", f.ExternalIndex)
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, Ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, Ms(f.To))
	}
	if f.BeforeToken != "" {
		where = append(where, "(created_at, token) < (?, ?)")
		args = append(args, Ms(f.BeforeCreated), f.BeforeToken)
	}
	q := `SELECT token, tenant_id, dialect, state, result_code, result_message, created_at FROM sessions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q += ` ORDER BY created_at DESC, token DESC LIMIT ?`
	args = append(args, limit)
	return s.drv.Rebind(q), args
}

func (s *Store) SessionJobs(ctx context.Context, token string) ([]faceverify.Job, error) {
	rows, err := s.r.QueryContext(ctx, s.drv.Rebind(`SELECT `+jobCols+` FROM jobs WHERE token = ? ORDER BY id`), token)
	return collect(rows, err, scanJob)
}

const dayMs = 24 * 60 * 60 * 1000

func (s *Store) Usage(ctx context.Context, tenantID string, from, to time.Time) ([]faceverify.UsageDay, error) {
	rows, err := s.r.QueryContext(ctx, s.drv.Rebind(`SELECT created_at / ? AS day, result_code, count(*) FROM sessions
		WHERE tenant_id = ? AND created_at >= ? AND created_at < ? GROUP BY day, result_code ORDER BY day, result_code`),
		int64(dayMs), tenantID, Ms(from), Ms(to))
	return collect(rows, err, func(row scanner) (faceverify.UsageDay, error) {
		var (
			day int64
			u   faceverify.UsageDay
		)
		err := row.Scan(&day, &u.ResultCode, &u.Count)
		u.Day = time.UnixMilli(day * dayMs).UTC()
		return u, err
	})
}

// BackfillListColumns fills the list columns of sessions written before migration 0002
// (dialect ”), batch rows at a time, from their sealed data; it returns how many it
// filled. A row changed meanwhile is skipped (its update wrote the columns). A row whose
// data cannot be opened gets its dialect from the token's shape (Lite tokens have a
// comma), so the backfill always ends; each such row is reported on the store's logger
// (WithLogger).
func (s *Store) BackfillListColumns(ctx context.Context, batch int) (int, error) {
	total := 0
	for {
		rows, err := s.r.QueryContext(ctx, s.drv.Rebind(`SELECT token, version, data FROM sessions WHERE dialect = '' LIMIT ?`), batch)
		if err != nil {
			return total, err
		}
		type old struct {
			token   string
			version int64
			data    []byte
		}
		olds, err := collect(rows, err, func(row scanner) (o old, err error) {
			return o, row.Scan(&o.token, &o.version, &o.data)
		})
		if err != nil {
			return total, err
		}
		for _, o := range olds {
			var rec sessionRecord
			var cols []any
			if err := s.unseal(o.data, "session:"+o.token, &rec); err == nil {
				ss := rec.domain()
				if ss.Dialect == "" {
					ss.Dialect = dialectOf(o.token)
				}
				cols = s.listColumns(ss)
			} else {
				d := dialectOf(o.token)
				s.log.Warn("sqlstore: backfill: session data cannot be opened; list columns from the token's shape only",
					"database", s.drv.Name(), "dialect", string(d), "version", o.version, "err", err)
				cols = []any{string(d), 0, "", ""}
			}
			if _, err := s.exec(ctx, s.w, `UPDATE sessions SET dialect=?, result_code=?, result_message=?, external_index=? WHERE token=? AND version=? AND dialect=''`,
				append(cols, o.token, o.version)...); err != nil {
				return total, err
			}
			total++
		}
		if len(olds) < batch {
			return total, nil
		}
	}
}

func dialectOf(token string) faceverify.Dialect {
	if strings.Contains(token, ",") {
		return faceverify.DialectLite
	}
	return faceverify.DialectCloudauth
}
