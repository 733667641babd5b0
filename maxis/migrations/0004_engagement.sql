-- Verifiable draws: the seed stays secret until the end; its hash is published at start.
ALTER TABLE giveaways ADD COLUMN seed TEXT;
ALTER TABLE giveaways ADD COLUMN commitment TEXT;
ALTER TABLE giveaways ADD COLUMN requirements TEXT NOT NULL DEFAULT '{}';   -- JSON, subjects::params::Requirements
ALTER TABLE giveaways ADD COLUMN bonus TEXT NOT NULL DEFAULT '[]';          -- JSON, [subjects::params::BonusEntries]
ALTER TABLE giveaways ADD COLUMN entrants INTEGER NOT NULL DEFAULT 0;       -- kept with each new entry

-- One entry per member and giveaway, enforced by the primary key.
CREATE TABLE giveaway_entries (
    giveaway_id TEXT NOT NULL,
    member      TEXT NOT NULL,
    weight      INTEGER NOT NULL CHECK (weight >= 1),
    entered_at  TEXT NOT NULL,
    PRIMARY KEY (giveaway_id, member)
);

-- Each draw and reroll, in order: what anyone needs to recompute the winners.
CREATE TABLE giveaway_rounds (
    giveaway_id TEXT NOT NULL,
    n           INTEGER NOT NULL,                 -- 0 for the draw, n for reroll:n
    round       TEXT NOT NULL,
    winners     INTEGER NOT NULL,
    exclude     TEXT NOT NULL,                    -- JSON array
    picked      TEXT NOT NULL,                    -- JSON array
    replaced    TEXT,                             -- the winner replaced by this reroll, if one
    at          TEXT NOT NULL,
    PRIMARY KEY (giveaway_id, n)
);

-- Members the shop has seen: roles, join date, last activity, promotion pings opt-in.
CREATE TABLE members (
    id             TEXT PRIMARY KEY NOT NULL,
    roles          TEXT NOT NULL DEFAULT '[]',
    joined_at      TEXT,
    last_active_at TEXT,
    promo_ping     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX members_active ON members (last_active_at);
