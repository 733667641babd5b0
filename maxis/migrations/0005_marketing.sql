-- Marketing choice of a member: NULL never chose, 1 opted in to promotion pings, 0 opted out of
-- marketing messages (DMs to audiences skip them).
ALTER TABLE members ADD COLUMN marketing INTEGER;
-- Announcement delivery counts.
ALTER TABLE announcements ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE announcements ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE announcements ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
