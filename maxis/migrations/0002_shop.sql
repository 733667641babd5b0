-- Promotions: one per `promo` order (id = order id).
CREATE TABLE promos (
    id               TEXT PRIMARY KEY NOT NULL,
    discount         TEXT NOT NULL,             -- JSON, subjects::params::Discount
    target           TEXT NOT NULL,             -- JSON, subjects::params::PromoTarget
    target_key       TEXT NOT NULL,             -- `all`, `plan:<id>`, `product:<id>`: clash detection
    audience         TEXT NOT NULL,             -- JSON, subjects::params::Audience
    code             TEXT,
    max_redemptions  INTEGER,
    redemptions      INTEGER NOT NULL DEFAULT 0,
    starts_at        TEXT NOT NULL,             -- RFC 3339 UTC
    ends_at          TEXT NOT NULL,
    status           TEXT NOT NULL,             -- scheduled | active | ended | replaced
    replaced         TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX promos_live ON promos (status, starts_at, ends_at);
-- Two live promotions never share a code.
CREATE UNIQUE INDEX promos_live_code ON promos (code) WHERE code IS NOT NULL AND status IN ('scheduled', 'active');

-- Giveaways: one per `giveaway` order (id = order id). Entries and draws come with their own issue.
CREATE TABLE giveaways (
    id              TEXT PRIMARY KEY NOT NULL,
    prize           TEXT NOT NULL,
    winners         INTEGER NOT NULL,
    duration_secs   INTEGER NOT NULL,
    trigger_members INTEGER,                    -- NULL: starts at once
    channel         TEXT,
    status          TEXT NOT NULL,              -- waiting | open | ended | cancelled
    starts_at       TEXT,
    ends_at         TEXT,
    created_at      TEXT NOT NULL
);

-- Announcements waiting for (or done with) their Discord delivery.
CREATE TABLE announcements (
    id          TEXT PRIMARY KEY NOT NULL,
    message     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    audience    TEXT NOT NULL,                  -- JSON, subjects::params::Audience
    status      TEXT NOT NULL,                  -- queued | sent | failed
    created_at  TEXT NOT NULL
);

-- The catalog (products and plans); commerce fills and extends it.
CREATE TABLE products (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,                  -- digital | role | physical | plan
    price       INTEGER NOT NULL,               -- minor units
    currency    TEXT NOT NULL,
    visible     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL
);

-- Checkouts started (a Stripe Checkout Session each): open until paid, expired or cancelled.
CREATE TABLE checkouts (
    id          TEXT PRIMARY KEY NOT NULL,
    buyer       TEXT NOT NULL,
    status      TEXT NOT NULL,                  -- open | paid | expired | cancelled
    created_at  TEXT NOT NULL
);

-- Sales, one line per product sold; analytics and reports read them.
CREATE TABLE sales (
    id          TEXT PRIMARY KEY NOT NULL,
    checkout_id TEXT,
    product_id  TEXT NOT NULL,
    buyer       TEXT NOT NULL,
    amount      INTEGER NOT NULL,               -- minor units, after discounts
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL,                  -- paid | refunded
    created_at  TEXT NOT NULL,
    refunded_at TEXT
);
CREATE INDEX sales_created ON sales (created_at);
