-- Plan switches (`/subscription switch`, the `subscription` order): an upgrade takes effect at
-- once with Stripe's proration; a downgrade at the end of the period, through a Stripe
-- subscription schedule.

-- The Stripe Price of each plan at each list price: a switch moves the subscription's item to it
-- (checkouts price plans inline, so these are made on the first switch to a plan).
CREATE TABLE stripe_prices (
    product_id  TEXT NOT NULL,
    unit_amount INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    interval    TEXT NOT NULL,               -- month | year
    price_id    TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (product_id, unit_amount, currency, interval)
);

-- The plan a subscription is on now, when it is no longer the one its checkout bought.
CREATE TABLE subscription_plans (
    subscription_id TEXT PRIMARY KEY NOT NULL,
    product_id      TEXT NOT NULL,
    price_id        TEXT,
    seen_at         INTEGER NOT NULL         -- Unix time of the change (an older Stripe event never undoes it)
);

-- Each switch asked, by the member or by an admin's order, and what became of it.
CREATE TABLE plan_switches (
    id              TEXT PRIMARY KEY NOT NULL, -- the order id, or member:<member>:<nonce>
    subscription_id TEXT NOT NULL,
    member          TEXT NOT NULL,
    from_product    TEXT NOT NULL,
    to_product      TEXT NOT NULL,
    direction       TEXT NOT NULL,             -- upgrade | downgrade
    requested_by    TEXT NOT NULL,             -- member | order
    status          TEXT NOT NULL,             -- requested | applied | scheduled | canceled | failed
    price_id        TEXT,                      -- the new plan's Stripe price
    schedule_id     TEXT,                      -- a downgrade's subscription schedule
    effective_at    TEXT,                      -- when the roles swap(ped)
    invoice_id      TEXT,                      -- an upgrade's proration invoice
    prorated        INTEGER,                   -- its total, minor units
    error           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX plan_switches_subscription ON plan_switches (subscription_id, status);
CREATE INDEX plan_switches_status ON plan_switches (status);
