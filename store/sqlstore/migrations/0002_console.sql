-- The review console (issue 17): look-up columns of the session list (no personal data:
-- biz_no / OuterOrderNo only as a keyed hash), operators, their sign-ins, the audit log.
ALTER TABLE sessions ADD COLUMN dialect TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN result_code INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN result_message TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN external_index TEXT NOT NULL DEFAULT '';
-- rows written before keep dialect '' until sqlstore.BackfillListColumns (run by the
-- service at start) has opened their sealed data and filled these columns

-- keyset paging newest first, alone or after one equality filter
CREATE INDEX sessions_created ON sessions (created_at, token);
CREATE INDEX sessions_tenant_created ON sessions (tenant_id, created_at, token);
CREATE INDEX sessions_state_created ON sessions (state, created_at, token);
CREATE INDEX sessions_dialect_created ON sessions (dialect, created_at, token);
CREATE INDEX sessions_code_created ON sessions (result_code, created_at, token);
CREATE INDEX sessions_external ON sessions (external_index, created_at, token);

CREATE TABLE operators (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  password_hash {{bytes}} NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  tenant_id     TEXT NOT NULL DEFAULT '', -- '' = every tenant; else a tenant operator
  created_at    {{int64}} NOT NULL
);

-- signed-in console sessions: the cookie value only as a SHA-256 hash
CREATE TABLE operator_logins (
  id_hash     TEXT PRIMARY KEY,
  operator_id TEXT NOT NULL,
  csrf        TEXT NOT NULL,
  created_at  {{int64}} NOT NULL,
  last_seen   {{int64}} NOT NULL,
  expires_at  {{int64}} NOT NULL
);
CREATE INDEX operator_logins_exp ON operator_logins (expires_at);

CREATE TABLE audit_log (
  id       {{id}},
  at       {{int64}} NOT NULL,
  operator TEXT NOT NULL,
  action   TEXT NOT NULL,
  target   TEXT NOT NULL DEFAULT '',
  detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_target ON audit_log (target, id);
