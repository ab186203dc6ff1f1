-- The durable job queue (keel::jobs, docs/jobs.md). Times are Unix
-- milliseconds (INTEGER) in both dialects: simple to compare, index and move
-- in tests. last_error holds an error message only (redacted), never a secret.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  run_at INTEGER NOT NULL,
  locked_by TEXT,
  locked_until INTEGER,
  last_error TEXT,
  idempotency_key TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);

-- Claiming due jobs (state = 'queued' AND run_at <= now ORDER BY run_at),
-- depth by state and the operator listing.
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
-- Re-claiming jobs whose worker's lock expired (state = 'running' AND locked_until < now).
CREATE INDEX jobs_state_locked_until ON jobs (state, locked_until);
-- Purging finished jobs (state = 'dead' AND finished_at < cutoff).
CREATE INDEX jobs_state_finished_at ON jobs (state, finished_at);
-- A repeated idempotency key returns the first job instead of inserting another.
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
