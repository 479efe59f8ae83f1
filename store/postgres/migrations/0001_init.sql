-- faceverify schema for PostgreSQL: the same tables as store/sqlite. Times are Unix
-- milliseconds from the process clock (the store's injected Clock), so leases and expiry
-- behave the same on both back ends and under a test clock.

-- Tenants: look-up columns in clear, everything else (secrets included) sealed in data.
CREATE TABLE tenants (
  id            TEXT PRIMARY KEY,
  app_code      TEXT NOT NULL UNIQUE,
  access_key_id TEXT NOT NULL UNIQUE,
  quota         BIGINT NOT NULL DEFAULT -1,
  used          BIGINT NOT NULL DEFAULT 0,
  created_at    BIGINT NOT NULL,
  data          BYTEA NOT NULL
);

-- Sessions: personal data (claimed identity, OCR fields, templates) only inside sealed data.
CREATE TABLE sessions (
  token        TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  state        TEXT NOT NULL,
  version      BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  retain_until BIGINT NOT NULL,
  data         BYTEA NOT NULL
);
CREATE INDEX sessions_retain ON sessions (retain_until);
CREATE INDEX sessions_waiting ON sessions (expires_at) WHERE state IN ('created', 'idcard', 'liveness');

-- Authoritative identity photos, indexed by a keyed hash of the ID number.
CREATE TABLE registry (
  number_index TEXT PRIMARY KEY,
  created_at   BIGINT NOT NULL,
  data         BYTEA NOT NULL
);

-- The job queue lives in the same database so a job is enqueued in the transaction of the
-- state change that needs it. Claimed with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE jobs (
  id           BIGSERIAL PRIMARY KEY,
  kind         TEXT NOT NULL,
  key          TEXT NOT NULL,
  token        TEXT NOT NULL DEFAULT '',
  payload      BYTEA,
  attempt      INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at       BIGINT NOT NULL,
  state        TEXT NOT NULL,
  worker       TEXT NOT NULL DEFAULT '',
  lease_until  BIGINT NOT NULL DEFAULT 0,
  last_error   TEXT NOT NULL DEFAULT '',
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_live_key ON jobs (kind, key) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_queued ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_token ON jobs (token);

CREATE TABLE job_attempts (
  job_id      BIGINT NOT NULL,
  attempt     INTEGER NOT NULL,
  at          BIGINT NOT NULL,
  error       TEXT NOT NULL DEFAULT '',
  detail      TEXT NOT NULL DEFAULT '',
  duration_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, attempt)
);

CREATE TABLE nonces (
  key        TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX nonces_exp ON nonces (expires_at);
