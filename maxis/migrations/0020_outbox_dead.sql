-- Outbox rows the broker can never accept (too large, refused by the stream) are set aside here
-- instead of blocking every later row: `dead_at` and why, and an `outbox.dead` event tells admins.
ALTER TABLE outbox ADD COLUMN dead_at TEXT;
ALTER TABLE outbox ADD COLUMN dead_reason TEXT;
DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL AND dead_at IS NULL;
