-- Trials: a plan may offer N free days (`trial_days` in the catalog), once per member and never to
-- a member who already paid for it.
ALTER TABLE products ADD COLUMN trial_days INTEGER;

-- A trial offered at checkout; started when the checkout completes, converted at its first paid
-- invoice.
CREATE TABLE trials (
    checkout_id  TEXT PRIMARY KEY NOT NULL,
    member       TEXT NOT NULL,
    product_id   TEXT NOT NULL,
    days         INTEGER NOT NULL,
    offered_at   TEXT NOT NULL,
    started_at   TEXT,
    ends_at      TEXT,
    warned_at    TEXT,
    converted_at TEXT
);
CREATE INDEX trials_member ON trials (member, product_id);
