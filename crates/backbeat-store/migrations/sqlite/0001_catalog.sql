-- Catalog schema v1 (SQLite). Kept in step with ../postgres/0001_catalog.sql: same tables,
-- columns, constraints and indexes; only the types differ (STRICT tables, INTEGER for
-- timestamps and 0/1 flags).
-- Ids are UUID strings; timestamps are Unix milliseconds; `name_key` is the lower-cased,
-- truncated name that listings sort by (written by the application).

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('listener', 'artist', 'admin')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id, expires_at);

CREATE TABLE api_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    key_hash   TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

CREATE TABLE artists (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX artists_created ON artists (created_at, id);
CREATE INDEX artists_updated ON artists (updated_at, id);
CREATE INDEX artists_name ON artists (name_key, id);

CREATE TABLE artist_owners (
    artist_id  TEXT    NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (artist_id, user_id)
) STRICT;
CREATE INDEX artist_owners_user ON artist_owners (user_id);

CREATE TABLE albums (
    id           TEXT    NOT NULL PRIMARY KEY,
    artist_id    TEXT    NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    title        TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('album', 'ep', 'single')),
    release_year INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX albums_artist ON albums (artist_id);
CREATE INDEX albums_created ON albums (created_at, id);
CREATE INDEX albums_updated ON albums (updated_at, id);
CREATE INDEX albums_name ON albums (name_key, id);

CREATE TABLE tracks (
    id          TEXT    NOT NULL PRIMARY KEY,
    album_id    TEXT    NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    blob_key    TEXT    NOT NULL UNIQUE,
    container   TEXT    NOT NULL,
    codec       TEXT    NOT NULL,
    duration_ms INTEGER NOT NULL,
    sample_rate INTEGER NOT NULL,
    channels    INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX tracks_album ON tracks (album_id);
CREATE INDEX tracks_created ON tracks (created_at, id);
CREATE INDEX tracks_updated ON tracks (updated_at, id);
CREATE INDEX tracks_name ON tracks (name_key, id);

CREATE TABLE playlists (
    id          TEXT    NOT NULL PRIMARY KEY,
    owner_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    description TEXT    NOT NULL,
    public      INTEGER NOT NULL CHECK (public IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX playlists_owner ON playlists (owner_id);
CREATE INDEX playlists_created ON playlists (created_at, id);
CREATE INDEX playlists_updated ON playlists (updated_at, id);
CREATE INDEX playlists_name ON playlists (name_key, id);

-- `position` orders the items; it may have gaps after a track is deleted (the visible list
-- stays dense), and a playlist update rewrites it as 0..n.
CREATE TABLE playlist_items (
    playlist_id TEXT    NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    track_id    TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    PRIMARY KEY (playlist_id, position)
) STRICT;
CREATE INDEX playlist_items_track ON playlist_items (track_id);

-- No cascade from users: an upload's blob must reach the garbage list, never vanish silently.
CREATE TABLE uploads (
    key        TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id),
    max_bytes  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    claimed_at INTEGER
) STRICT;
CREATE INDEX uploads_expiry ON uploads (expires_at);
CREATE INDEX uploads_user ON uploads (user_id);

CREATE TABLE garbage (
    key        TEXT    NOT NULL PRIMARY KEY,
    prefix     INTEGER NOT NULL CHECK (prefix IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX garbage_created ON garbage (created_at, key);
