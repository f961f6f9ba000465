-- Accepted labels flow back (PostgreSQL). Kept in step with ../sqlite/0011_reviewed_and_outbox.sql.

-- A track's reviewed values: what an annotation project resolved for the whole track,
-- written in the transaction that resolves the item. They stand beside the pipeline's values
-- (`source: reviewed`) and win over them in the API and in selections. One row per
-- (track, field); a later resolution of the same field replaces it. `num` holds numeric
-- values (BPM) so that a range filter is an indexed lookup.
CREATE TABLE track_reviewed (
    track_id   TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    field      TEXT    NOT NULL CHECK (field IN ('bpm', 'key')),
    value      TEXT    NOT NULL,
    num        DOUBLE PRECISION,
    project_id TEXT    NOT NULL,
    item_id    BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (track_id, field)
);
CREATE INDEX track_reviewed_num ON track_reviewed (field, num);

-- Reviewed tags, per group: a resolution that speaks for a group replaces the track's
-- reviewed tags of that group (the pipeline's `track_tags` are left alone, so re-running the
-- tagger never erases what people decided).
CREATE TABLE track_reviewed_tags (
    track_id   TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    grp        TEXT    NOT NULL,
    tag        TEXT    NOT NULL,
    project_id TEXT    NOT NULL,
    item_id    BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (track_id, grp, tag)
);
CREATE INDEX track_reviewed_tags_by_tag ON track_reviewed_tags (grp, tag);

-- Webhook deliveries (the outbox): a row is written in the transaction that resolves an item,
-- so a committed resolution is never lost and a rolled-back one never announced; the
-- delivery loop sends due rows and retries with backoff.
CREATE TABLE ann_outbox (
    id           BIGSERIAL PRIMARY KEY,
    project_id   TEXT    NOT NULL REFERENCES ann_projects (id) ON DELETE CASCADE,
    event        TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    attempts     BIGINT  NOT NULL,
    next_at      BIGINT  NOT NULL,
    delivered_at BIGINT,
    failed_at    BIGINT,
    last_error   TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX ann_outbox_due ON ann_outbox (next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX ann_outbox_project ON ann_outbox (project_id, id);

-- A resolved item leaves a dead entry at the head of the partial index `ann_items_claimable`
-- until VACUUM, and every claim walks over them (measured: 578 index pages and 13 ms per claim
-- with 150,000 resolved items, 9 pages after VACUUM). The default trigger on a 1M-row table is
-- 200,000 dead rows; a busy project needs it at 1 %.
ALTER TABLE ann_items SET (autovacuum_vacuum_scale_factor = 0.01,
                           autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE ann_assignments SET (autovacuum_vacuum_scale_factor = 0.01);
