-- The history of a session's state changes (issue 17): one row per committed transition,
-- appended in the transaction that stores the session (sqlstore.UpdateSession). No
-- personal data: states, the cause's vocabulary, result codes and rule texts only.
-- Erased with the session (DeleteSession).
CREATE TABLE session_events (
  id             {{id}},
  token          TEXT NOT NULL,
  at             {{int64}} NOT NULL,
  from_state     TEXT NOT NULL, -- '' = the session was created
  to_state       TEXT NOT NULL,
  event          TEXT NOT NULL,
  actor          TEXT NOT NULL,
  result_code    INTEGER NOT NULL DEFAULT 0,
  result_message TEXT NOT NULL DEFAULT '',
  detail         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_events_token ON session_events (token, id);
