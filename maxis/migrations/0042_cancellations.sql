-- Cancellations a member asked for (`/subscription cancel`), with the reason they picked: voluntary
-- churn, as opposed to a renewal lost in dunning.
CREATE TABLE cancellations (
    subscription_id TEXT NOT NULL,
    member          TEXT NOT NULL,
    reason          TEXT NOT NULL,              -- Stripe's cancellation_details[feedback]
    requested_at    TEXT NOT NULL,
    resumed_at      TEXT
);
CREATE INDEX cancellations_subscription ON cancellations (subscription_id);
