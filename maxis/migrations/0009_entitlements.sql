-- The entitlement ledger: why a member should hold a managed role. A member holds a role while at
-- least one of its sources is active; revoking one source never takes away what another still grants.
CREATE TABLE entitlement_sources (
    id              TEXT PRIMARY KEY NOT NULL,  -- <kind>:<checkout or member>:<product or role>
    member          TEXT NOT NULL,              -- Discord user id
    role_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,              -- purchase | subscription | preorder | manual
    product_id      TEXT,
    checkout_id     TEXT,
    subscription_id TEXT,
    amount          INTEGER NOT NULL DEFAULT 0, -- minor units paid for it
    currency        TEXT NOT NULL DEFAULT 'eur',
    active          INTEGER NOT NULL,           -- 1: grants the role now
    state           TEXT NOT NULL,              -- paid | active | past_due | refunded | disputed | canceled | granted | revoked
    note            TEXT NOT NULL DEFAULT '',   -- the last change, in words
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX entitlement_sources_member ON entitlement_sources (member, role_id);
CREATE INDEX entitlement_sources_checkout ON entitlement_sources (checkout_id);
CREATE INDEX entitlement_sources_subscription ON entitlement_sources (subscription_id);

-- Every change of a source, for the audit and `why`.
CREATE TABLE entitlement_audit (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,
    member    TEXT NOT NULL,
    role_id   TEXT NOT NULL,
    active    INTEGER NOT NULL,
    state     TEXT NOT NULL,
    note      TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX entitlement_audit_member ON entitlement_audit (member);

-- What the reconciler last saw and did, per member and managed role.
CREATE TABLE member_roles (
    member          TEXT NOT NULL,
    role_id         TEXT NOT NULL,
    held            INTEGER,                    -- what Discord last said; NULL: not looked yet
    last_action     TEXT,                       -- grant | revoke
    last_attempt_at TEXT,
    last_error      TEXT,
    blocked         TEXT,                       -- a refusal an admin must fix (50013…)
    told_buyer      INTEGER NOT NULL DEFAULT 0, -- the member was told the role is delayed
    PRIMARY KEY (member, role_id)
);

-- Members whose roles must be compared with the ledger, now or after a backoff.
CREATE TABLE reconcile_queue (
    member   TEXT PRIMARY KEY NOT NULL,
    due_at   TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    reason   TEXT NOT NULL
);
CREATE INDEX reconcile_queue_due ON reconcile_queue (due_at);

-- Whether a member is in the guild (a member who left is reconciled again when they rejoin).
CREATE TABLE member_presence (
    member     TEXT PRIMARY KEY NOT NULL,
    present    INTEGER NOT NULL,
    checked_at TEXT NOT NULL
);

-- One Stripe Customer per member, created once and reused.
CREATE TABLE stripe_customers (
    member      TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- Payment intents of subscription invoices, so that a refund or dispute of an invoice's charge
-- finds its subscription (API 2025+: neither the charge nor the invoice names the other).
CREATE TABLE invoice_payments (
    payment_intent  TEXT PRIMARY KEY NOT NULL,
    invoice_id      TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    created_at      TEXT NOT NULL
);

-- Receipts: a checkout refunded before it was sent gets none; a permanent refusal (closed DMs)
-- is recorded, not retried.
ALTER TABLE receipts ADD COLUMN failed TEXT;
-- A sending attempt holds its receipt until then (two passes never send one twice); after a
-- passing failure, the next try is not before then.
ALTER TABLE receipts ADD COLUMN claimed_until TEXT;

-- The purchases of the old per-purchase table become sources.
INSERT INTO entitlement_sources (id, member, role_id, kind, product_id, checkout_id, subscription_id, amount, currency,
                                 active, state, note, created_at, updated_at)
SELECT (CASE WHEN c.mode = 'subscription' THEN 'subscription:' ELSE 'purchase:' END) || e.checkout_id || ':' || e.product_id,
       e.buyer, e.role_id, CASE WHEN c.mode = 'subscription' THEN 'subscription' ELSE 'purchase' END,
       e.product_id, e.checkout_id, c.subscription_id, COALESCE(c.amount_total, 0), COALESCE(c.currency, 'eur'),
       e.wanted, CASE WHEN e.wanted = 1 THEN 'paid' ELSE 'revoked' END, 'carried over', e.updated_at, e.updated_at
FROM entitlements e LEFT JOIN checkouts c ON c.id = e.checkout_id;
INSERT OR IGNORE INTO member_roles (member, role_id, held, blocked)
SELECT buyer, role_id, MAX(held), MAX(blocked) FROM entitlements GROUP BY buyer, role_id;
INSERT OR IGNORE INTO reconcile_queue (member, due_at, reason)
SELECT DISTINCT buyer, updated_at, 'migration' FROM entitlements;
DROP TABLE entitlements;
