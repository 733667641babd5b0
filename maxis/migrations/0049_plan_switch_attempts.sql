-- A plan switch's attempt at Stripe: each Stripe request of attempt N carries the idempotency key
-- `switch:<id>` (N = 0) or `switch:<id>:<N>`. Stripe replays the first result of a key for 24 h,
-- a 5xx failure too, so after such a failure (or after releasing a schedule the shop lost track
-- of) the switch is retried under the next attempt's key, once the live subscription was re-read.
ALTER TABLE plan_switches ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
