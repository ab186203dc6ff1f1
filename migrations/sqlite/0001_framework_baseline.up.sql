-- Keel framework baseline. schema_migrations itself is created by the
-- migration runner; this adds keel_meta, the framework's key/value facts
-- about this database (for now its random installation id, which tells
-- databases and their backups apart).
CREATE TABLE keel_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

INSERT INTO keel_meta (key, value, updated_at)
VALUES ('installation_id', lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
