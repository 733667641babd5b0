-- A file attached to a channel post (a giveaway's canonical entry list, so members can recompute
-- the draw from what they see in Discord).
ALTER TABLE announcements ADD COLUMN file_name TEXT;
ALTER TABLE announcements ADD COLUMN file_body TEXT;
