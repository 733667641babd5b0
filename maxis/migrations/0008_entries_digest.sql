-- The digest of the entry list a giveaway was drawn from (published in its proof), kept so that
-- `verify` detects an entry list changed after the draw even when the winners come out the same.
ALTER TABLE giveaways ADD COLUMN entries_digest TEXT;
