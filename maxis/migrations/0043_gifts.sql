-- Gifts: a member pays (a one-off Checkout) for another member's product or months of a plan.
-- Created with the checkout; paid when Stripe says so; a plan's gift ends at `ends_at` (once:
-- `ended_at` is set in the transaction that revokes it), a refund or dispute ends it at once.
CREATE TABLE gifts (
    checkout_id TEXT PRIMARY KEY NOT NULL,
    giver       TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    months      INTEGER,                        -- a plan's months; NULL for a product
    created_at  TEXT NOT NULL,
    paid_at     TEXT,
    ends_at     TEXT,                           -- paid_at + months, for a plan
    ended_at    TEXT,
    end_reason  TEXT                            -- expired | refunded | disputed
);
CREATE INDEX gifts_due ON gifts (ends_at) WHERE ended_at IS NULL AND ends_at IS NOT NULL;
CREATE INDEX gifts_recipient ON gifts (recipient);
