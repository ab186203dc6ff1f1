-- Keel framework baseline. schema_migrations itself is created by the
-- migration runner; this adds keel_meta, the framework's key/value facts
-- about this database (for now its random installation id, which tells
-- databases and their backups apart).
CREATE TABLE keel_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO keel_meta (key, value) VALUES ('installation_id', replace(gen_random_uuid()::text, '-', ''));
