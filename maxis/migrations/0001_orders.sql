-- Every order a shop has answered, keyed by the order id: the idempotency record.
-- A redelivered order finds its reply here and changes nothing.
CREATE TABLE handled_orders (
    order_id   TEXT PRIMARY KEY NOT NULL,
    action     TEXT,
    issued_by  TEXT,
    ok         INTEGER NOT NULL,
    reply      TEXT NOT NULL,
    handled_at TEXT NOT NULL
);

-- Events written in the same transaction as the effect that caused them (transactional outbox),
-- published to MAXIS_EVENTS with their id as Nats-Msg-Id, then marked published.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    payload      BLOB NOT NULL,
    published_at TEXT
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- Shop settings and state (open/closed, config keys).
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
