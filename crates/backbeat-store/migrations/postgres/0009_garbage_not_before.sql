-- Garbage that must stay readable a while before it is collected: the files of a streaming
-- ladder that a re-run replaced, which players given a URL before the switch still read until
-- that URL expires. 0 (every earlier entry): collect at once.
ALTER TABLE garbage ADD COLUMN not_before BIGINT NOT NULL DEFAULT 0;
