-- Items, the example resource (SPEC §5), and their attachments' metadata.
--
-- Every list query seeks one index: the owner's items by creation time or by
-- title, the id breaking ties, which is what keyset pagination compares
-- against. Tags are kept twice: as a JSON array on the item, read with it in
-- one row, and as item_tags rows, which the `tag` filter probes by key.
-- Timestamps are fixed-width UTC ISO 8601 text (keel/audit/timestamp.hpp),
-- the same in both dialects: they sort as text and round-trip exactly
-- through a cursor.
CREATE TABLE items (
  id TEXT PRIMARY KEY,                  -- UUIDv7, made by the service
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT,
  tags TEXT NOT NULL DEFAULT '[]',      -- JSON array of strings, in the client's order
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1    -- bumped by every change; the ETag is made from it
);
CREATE INDEX items_owner_created ON items (owner_id, created_at, id);
CREATE INDEX items_owner_title ON items (owner_id, title, id);

-- The primary key (item_id, tag) is the tag lookup the list filter uses.
CREATE TABLE item_tags (
  item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (item_id, tag)
);

-- Attachments: metadata only; the bytes live in files named storage_name,
-- which is random and never derived from the client's filename.
CREATE TABLE attachments (
  id TEXT PRIMARY KEY,
  item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  filename TEXT NOT NULL,               -- sanitised, for display only
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,                 -- lowercase hex
  storage_name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE INDEX attachments_item ON attachments (item_id, created_at, id);
CREATE INDEX attachments_owner ON attachments (owner_id);
