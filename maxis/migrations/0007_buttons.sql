-- Buttons under an announcement (JSON list of {custom_id, label}), e.g. a giveaway's Enter button.
ALTER TABLE announcements ADD COLUMN buttons TEXT NOT NULL DEFAULT '[]';
