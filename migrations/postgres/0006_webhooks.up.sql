-- Outgoing webhooks (docs/webhooks.md): the endpoints users register for item
-- events, and one delivery row per (endpoint, event) as its log.
-- secret_sealed is the signing secret sealed with DATA_ENCRYPTION_KEYS (the
-- row id is the associated data); events is a JSON array of event names.
-- Timestamps follow 0003_identity: fixed-width ISO 8601 UTC text.
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  events TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX webhooks_user_id ON webhooks (user_id, created_at);

-- Every attempt updates its delivery: the log GET /webhooks/{id}/deliveries shows.
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  response_status INTEGER,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_webhook_created ON webhook_deliveries (webhook_id, created_at);
