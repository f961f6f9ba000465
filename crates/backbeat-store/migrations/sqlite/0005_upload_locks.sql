-- A short lease on an upload slot, taken both by a PUT about to make its bytes visible and by
-- a track about to check and claim them, so the bytes a track was checked on are exactly the
-- bytes it points at (UploadStore::lock_upload). Both NULL: not locked. Existing slots start
-- unlocked.
ALTER TABLE uploads ADD COLUMN lock_token TEXT;
ALTER TABLE uploads ADD COLUMN locked_until INTEGER;
