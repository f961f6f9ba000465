-- Accepted labels flow back (SQLite). Kept in step with ../postgres/0011_reviewed_and_outbox.sql.

-- A track's reviewed values: what an annotation project resolved for the whole track,
-- written in the transaction that resolves the item. They stand beside the pipeline's values
-- (`source: reviewed`) and win over them in the API and in selections. One row per
-- (track, field); a later resolution of the same field replaces it. `num` holds numeric
-- values (BPM) so that a range filter is an indexed lookup.
CREATE TABLE track_reviewed (
    track_id   TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    field      TEXT    NOT NULL CHECK (field IN ('bpm', 'key')),
    value      TEXT    NOT NULL,
    num        REAL,
    project_id TEXT    NOT NULL,
    item_id    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (track_id, field)
) STRICT;
CREATE INDEX track_reviewed_num ON track_reviewed (field, num);

-- Reviewed tags, per group: a resolution that speaks for a group replaces the track's
-- reviewed tags of that group (the pipeline's `track_tags` are left alone, so re-running the
-- tagger never erases what people decided).
CREATE TABLE track_reviewed_tags (
    track_id   TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    grp        TEXT    NOT NULL,
    tag        TEXT    NOT NULL,
    project_id TEXT    NOT NULL,
    item_id    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (track_id, grp, tag)
) STRICT;
CREATE INDEX track_reviewed_tags_by_tag ON track_reviewed_tags (grp, tag);

-- Webhook deliveries (the outbox): a row is written in the transaction that resolves an item,
-- so a committed resolution is never lost and a rolled-back one never announced; the
-- delivery loop sends due rows and retries with backoff.
CREATE TABLE ann_outbox (
    id           INTEGER PRIMARY KEY,
    project_id   TEXT    NOT NULL REFERENCES ann_projects (id) ON DELETE CASCADE,
    event        TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    attempts     INTEGER NOT NULL,
    next_at      INTEGER NOT NULL,
    delivered_at INTEGER,
    failed_at    INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX ann_outbox_due ON ann_outbox (next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX ann_outbox_project ON ann_outbox (project_id, id);

-- (PostgreSQL also sets autovacuum thresholds of ann_items here; SQLite has no such setting.)
