-- Revocation that does not wait for token expiry.
--
-- `users.token_epoch` is written into every access token and compared with the user's
-- current value on each request: raising it (a role change, a detected refresh-token theft)
-- invalidates every access token issued before. Existing users start at 0, which is also what
-- a token issued before this migration (without the claim) counts as.
ALTER TABLE users ADD COLUMN token_epoch BIGINT NOT NULL DEFAULT 0;

-- A refresh token's family: one row per sign-in, rotated in place, so a token that was
-- rotated away and is presented again (a replay) names a live family that no longer holds it,
-- and the whole family is revoked. Existing sessions get a random family each (a uuid).
ALTER TABLE sessions ADD COLUMN family_id TEXT COLLATE "C";
UPDATE sessions SET family_id = md5(token_hash || random()::text)::uuid::text;
ALTER TABLE sessions ALTER COLUMN family_id SET NOT NULL;
CREATE UNIQUE INDEX sessions_family ON sessions (family_id);
