-- Tenants: look-up columns in clear, everything else (secrets included) sealed in data.
CREATE TABLE tenants (
  id            TEXT PRIMARY KEY,
  app_code      TEXT NOT NULL UNIQUE,
  access_key_id TEXT NOT NULL UNIQUE,
  quota         INTEGER NOT NULL DEFAULT -1,
  used          INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  data          BLOB NOT NULL
);

-- Sessions: personal data (claimed identity, OCR fields, templates) only inside sealed data.
CREATE TABLE sessions (
  token        TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  state        TEXT NOT NULL,
  version      INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  retain_until INTEGER NOT NULL,
  data         BLOB NOT NULL
);
CREATE INDEX sessions_retain ON sessions (retain_until);
CREATE INDEX sessions_waiting ON sessions (state, expires_at);

-- Authoritative identity photos, indexed by a keyed hash of the ID number.
CREATE TABLE registry (
  number_index TEXT PRIMARY KEY,
  created_at   INTEGER NOT NULL,
  data         BLOB NOT NULL
);

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL,
  key          TEXT NOT NULL,
  token        TEXT NOT NULL DEFAULT '',
  payload      BLOB,
  attempt      INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at       INTEGER NOT NULL,
  state        TEXT NOT NULL,
  worker       TEXT NOT NULL DEFAULT '',
  lease_until  INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_live_key ON jobs (kind, key) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_token ON jobs (token);

CREATE TABLE job_attempts (
  job_id      INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  error       TEXT NOT NULL DEFAULT '',
  detail      TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, attempt)
);

CREATE TABLE nonces (
  key        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX nonces_exp ON nonces (expires_at);
