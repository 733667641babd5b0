-- How much of each sale was refunded, in minor units (partial refunds included): net revenue is
-- amount - refunded_amount. Only grows (Stripe sends the charge's cumulative amount_refunded).
ALTER TABLE sales ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
UPDATE sales SET refunded_amount = amount WHERE status = 'refunded';
