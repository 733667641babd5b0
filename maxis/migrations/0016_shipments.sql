-- Where a paid order with physical products goes: the address the buyer gave on Stripe's payment
-- page (the session's collected_information.shipping_details), one row per checkout.
CREATE TABLE shipments (
    checkout_id TEXT PRIMARY KEY NOT NULL REFERENCES checkouts (id),
    buyer       TEXT NOT NULL,
    name        TEXT NOT NULL,
    line1       TEXT,
    line2       TEXT,
    postal_code TEXT,
    city        TEXT,
    state       TEXT,
    country     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'to_ship',   -- to_ship | shipped
    created_at  TEXT NOT NULL
);
CREATE INDEX shipments_status ON shipments (status);
