-- What each account uses of its quotas (QuotaStore): tracks and bytes it holds, and seconds of
-- audio it submitted for processing on `day` (UTC days since the epoch; an older day counts
-- as zero). Charged with one conditional UPDATE per upload, so concurrent uploads cannot
-- overshoot a quota; a deleted track gives its share back in the deleting transaction.
CREATE TABLE account_usage (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tracks       INTEGER NOT NULL DEFAULT 0,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    day          INTEGER NOT NULL DEFAULT 0,
    processed_ms INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Who a track's audio is charged to (the account that uploaded it). Existing tracks: the
-- owner of the upload slot they claimed.
ALTER TABLE tracks ADD COLUMN uploader_id TEXT;
UPDATE tracks SET uploader_id = (SELECT user_id FROM uploads WHERE uploads.key = tracks.blob_key);
INSERT INTO account_usage (user_id, tracks, stored_bytes)
    SELECT uploader_id, count(*), sum(bytes) FROM tracks
    WHERE uploader_id IS NOT NULL GROUP BY uploader_id;
