-- One row `/healthz` rewrites in a transaction: the check that the database can commit, not only
-- open (a read-only file or a full disk answers reads but fails this).
CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
);
