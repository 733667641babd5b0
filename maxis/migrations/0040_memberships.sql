-- A failed renewal and the grace that follows: one row per failed invoice of a subscription. Open
-- while `outcome` is NULL; closed `recovered` (Stripe collected the payment) or `lost` (the grace
-- ended, or the subscription became unpaid or canceled).
CREATE TABLE dunning (
    subscription_id TEXT NOT NULL,
    invoice_id      TEXT NOT NULL,
    member          TEXT NOT NULL,              -- Discord user id
    product_id      TEXT NOT NULL,
    pay_url         TEXT,                       -- Stripe's hosted invoice page
    started_at      TEXT NOT NULL,
    grace_until     TEXT NOT NULL,
    reminded_at     TEXT,
    closed_at       TEXT,
    outcome         TEXT,                       -- NULL (open) | recovered | lost
    PRIMARY KEY (subscription_id, invoice_id)
);
CREATE INDEX dunning_open ON dunning (outcome, grace_until);

-- Direct messages about a membership, sent by the worker (each once; closed DMs are not retried).
CREATE TABLE membership_messages (
    id            TEXT PRIMARY KEY NOT NULL,    -- what it is about, e.g. dunning:<sub>:<invoice>:reminder
    member        TEXT NOT NULL,
    text          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    claimed_until TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    sent_at       TEXT,
    failed        TEXT
);
CREATE INDEX membership_messages_unsent ON membership_messages (sent_at, failed);
