-- Preorders of a product: taken up to `cap`, released at `release_at`.
CREATE TABLE preorders (
    product_id      TEXT PRIMARY KEY NOT NULL,
    release_at      TEXT NOT NULL,
    cap             INTEGER NOT NULL,
    taken           INTEGER NOT NULL DEFAULT 0,
    deposit_percent INTEGER NOT NULL,
    status          TEXT NOT NULL,                -- open | closed | released
    created_at      TEXT NOT NULL
);

-- What a checkout pays for: a cart, a preorder's deposit, or a preorder's balance.
ALTER TABLE checkouts ADD COLUMN kind TEXT NOT NULL DEFAULT 'cart';

-- One member's preorder.
CREATE TABLE preorder_orders (
    checkout_id         TEXT PRIMARY KEY NOT NULL,   -- the deposit checkout
    buyer               TEXT NOT NULL,
    product_id          TEXT NOT NULL,
    deposit             INTEGER NOT NULL,
    balance             INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL,               -- pending | paid | balance_due | complete | cancelled
    balance_checkout_id TEXT,
    created_at          TEXT NOT NULL
);
CREATE UNIQUE INDEX preorder_orders_one_per_member ON preorder_orders (buyer, product_id) WHERE status != 'cancelled';
