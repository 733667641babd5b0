-- Shellia's own state: named strategies, scheduled campaigns (and the slots they ran), and the
-- audit of every order Shellia sent (who asked, who confirmed).

CREATE TABLE strategies (
    name           TEXT PRIMARY KEY,
    promo_hours    INTEGER NOT NULL,
    audience       TEXT NOT NULL,           -- JSON of subjects::params::Audience
    max_discount   INTEGER NOT NULL,
    giveaway_hours INTEGER NOT NULL,
    active         INTEGER NOT NULL DEFAULT 0,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE campaigns (
    name        TEXT PRIMARY KEY,
    schedule    TEXT NOT NULL,              -- `fri 18:00`, `daily 09:00` (UTC)
    command     TEXT NOT NULL,              -- the command line it runs, e.g. `@all promo 10% all 48h`
    paused      INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- One row per slot a campaign claimed: the primary key makes a slot run once, also across restarts.
CREATE TABLE campaign_runs (
    campaign  TEXT NOT NULL,
    slot      TEXT NOT NULL,
    order_id  TEXT NOT NULL,
    sent      INTEGER NOT NULL DEFAULT 0,
    outcome   TEXT,
    ran_at    TEXT NOT NULL,
    PRIMARY KEY (campaign, slot)
);

CREATE TABLE audit (
    order_id     TEXT PRIMARY KEY,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    issued_by    TEXT NOT NULL,
    confirmed_by TEXT,
    outcome      TEXT NOT NULL,
    sent_at      TEXT NOT NULL
);
