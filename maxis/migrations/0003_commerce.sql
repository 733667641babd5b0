-- The catalog, as loaded from the catalog file.
ALTER TABLE products ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN role_id TEXT;               -- Discord role granted on purchase
ALTER TABLE products ADD COLUMN stock INTEGER;              -- units left to sell; NULL: unlimited
ALTER TABLE products ADD COLUMN per_user_limit INTEGER;     -- most units one member may buy; NULL: no limit
ALTER TABLE products ADD COLUMN interval TEXT;              -- plans: month | year

-- Carts: one per member.
CREATE TABLE cart_items (
    buyer      TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (buyer, product_id)
);

-- A checkout holds its stock from creation until it is paid, expires or fails.
ALTER TABLE checkouts ADD COLUMN mode TEXT NOT NULL DEFAULT 'payment';   -- payment | subscription
ALTER TABLE checkouts ADD COLUMN session_id TEXT;
ALTER TABLE checkouts ADD COLUMN url TEXT;
ALTER TABLE checkouts ADD COLUMN payment_intent TEXT;
ALTER TABLE checkouts ADD COLUMN subscription_id TEXT;
ALTER TABLE checkouts ADD COLUMN promo_id TEXT;
ALTER TABLE checkouts ADD COLUMN amount_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkouts ADD COLUMN currency TEXT NOT NULL DEFAULT 'eur';
ALTER TABLE checkouts ADD COLUMN expires_at TEXT;
ALTER TABLE checkouts ADD COLUMN reserved INTEGER NOT NULL DEFAULT 1;   -- stock and code still held
CREATE UNIQUE INDEX checkouts_session ON checkouts (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX checkouts_payment_intent ON checkouts (payment_intent);

CREATE TABLE checkout_lines (
    checkout_id TEXT NOT NULL REFERENCES checkouts (id),
    product_id  TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    unit_amount INTEGER NOT NULL,                 -- after discount
    list_amount INTEGER NOT NULL,                 -- before discount
    currency    TEXT NOT NULL,
    PRIMARY KEY (checkout_id, product_id)
);

-- A promotion's code used by a member: once per member, counted against max_redemptions.
CREATE TABLE promo_redemptions (
    promo_id    TEXT NOT NULL,
    buyer       TEXT NOT NULL,
    checkout_id TEXT NOT NULL,
    PRIMARY KEY (promo_id, buyer)
);

-- Every Stripe event handled, by id: a redelivered event changes nothing.
CREATE TABLE webhook_events (
    event_id    TEXT PRIMARY KEY NOT NULL,
    type        TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- Refunds and disputes by payment intent, also when they arrive before the payment's completion.
CREATE TABLE payment_reversals (
    payment_intent TEXT PRIMARY KEY NOT NULL,
    refunded       INTEGER NOT NULL DEFAULT 0,    -- minor units refunded so far
    full           INTEGER NOT NULL DEFAULT 0,
    disputed       INTEGER NOT NULL DEFAULT 0,
    updated_at     TEXT NOT NULL
);

-- Subscriptions as Stripe last described them (the newest event wins).
CREATE TABLE subscriptions (
    id          TEXT PRIMARY KEY NOT NULL,
    status      TEXT NOT NULL,
    event_at    INTEGER NOT NULL,                 -- `created` of the event that set the status
    updated_at  TEXT NOT NULL
);

-- Roles owed to members: the fulfilment worker makes Discord match this table.
CREATE TABLE entitlements (
    id          TEXT PRIMARY KEY NOT NULL,        -- <checkout id>:<product id>
    checkout_id TEXT NOT NULL,
    buyer       TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    role_id     TEXT NOT NULL,
    wanted      INTEGER NOT NULL,                 -- 1: the member should hold the role
    held        INTEGER NOT NULL DEFAULT 0,       -- 1: Discord confirmed it
    blocked     TEXT,                             -- why Discord refused (role above the bot's…)
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX entitlements_due ON entitlements (next_try_at) WHERE wanted != held AND blocked IS NULL;

-- Receipts to send to buyers by DM.
CREATE TABLE receipts (
    checkout_id TEXT PRIMARY KEY NOT NULL,
    buyer       TEXT NOT NULL,
    text        TEXT NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0
);
