-- The annotation engine (PostgreSQL). Kept in step with ../sqlite/0010_annotation.sql.
-- Items and annotations have integer ids: a project holds millions of them, and an integer
-- key is a quarter of a UUID string in every index that carries it.

CREATE TABLE ann_projects (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    -- Routing, overlap, thresholds, gold and QA shares (JSON, read by backbeat-annotate).
    settings       TEXT    NOT NULL,
    schema_version BIGINT NOT NULL,
    created_by     TEXT    REFERENCES users (id) ON DELETE SET NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE ann_schemas (
    project_id TEXT    NOT NULL REFERENCES ann_projects (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    body       TEXT    NOT NULL,
    changes    TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, version)
);

-- People and models in one table: every annotation names one of these.
CREATE TABLE ann_annotators (
    id           TEXT    NOT NULL PRIMARY KEY,
    project_id   TEXT    NOT NULL REFERENCES ann_projects (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('human', 'builtin', 'external')),
    user_id      TEXT    REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL CHECK (role IN ('annotator', 'expert', 'qa', 'model')),
    name         TEXT    NOT NULL,
    config       TEXT    NOT NULL,
    paused_at    BIGINT,
    pause_reason TEXT,
    created_at   BIGINT NOT NULL,
    UNIQUE (project_id, user_id)
);

-- `state`: new (waiting for the models) → routing (a router holds it until lease_until) →
-- open (people annotate) | expert | review (QA) | resolved; gold items stay `gold`.
-- `taken` counts live leases and submitted answers of the current stage, `needed` the answers
-- the stage wants: an item is claimable while taken < needed, which the claim raises in the
-- statement that leases it.
CREATE TABLE ann_items (
    id             BIGSERIAL PRIMARY KEY,
    project_id     TEXT    NOT NULL REFERENCES ann_projects (id) ON DELETE CASCADE,
    track_id       TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    start_ms       BIGINT NOT NULL,
    -- 0: to the end of the track.
    end_ms         BIGINT NOT NULL CHECK (end_ms = 0 OR end_ms > start_ms),
    state          TEXT    NOT NULL
        CHECK (state IN ('new', 'routing', 'open', 'expert', 'review', 'resolved', 'gold')),
    needed         BIGINT NOT NULL,
    taken          BIGINT NOT NULL,
    round          BIGINT NOT NULL,
    extra          BIGINT NOT NULL,
    spot_check     BOOLEAN NOT NULL,
    flagged        BOOLEAN NOT NULL,
    -- The questions people are asked (JSON list); the others were accepted from the model.
    open_questions TEXT,
    gold           TEXT,
    agreement      DOUBLE PRECISION,
    resolution     TEXT CHECK (resolution IN ('model', 'consensus', 'expert', 'qa')),
    result         TEXT,
    lease_until    BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    resolved_at    BIGINT,
    UNIQUE (project_id, track_id, start_ms, end_ms)
);
CREATE INDEX ann_items_claimable ON ann_items (project_id, state, id) WHERE taken < needed;
CREATE INDEX ann_items_state ON ann_items (project_id, state, updated_at);
CREATE INDEX ann_items_track ON ann_items (track_id);

CREATE TABLE ann_assignments (
    item_id      BIGINT NOT NULL REFERENCES ann_items (id) ON DELETE CASCADE,
    annotator_id TEXT    NOT NULL REFERENCES ann_annotators (id) ON DELETE CASCADE,
    project_id   TEXT    NOT NULL,
    stage        TEXT    NOT NULL CHECK (stage IN ('open', 'expert', 'review', 'gold')),
    state        TEXT    NOT NULL
        CHECK (state IN ('leased', 'submitted', 'skipped', 'postponed', 'returned')),
    leased_at    BIGINT NOT NULL,
    lease_until  BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (item_id, annotator_id)
);
CREATE INDEX ann_assignments_mine ON ann_assignments (annotator_id, state);
CREATE INDEX ann_assignments_leases ON ann_assignments (project_id, lease_until)
    WHERE state = 'leased';

CREATE TABLE ann_annotations (
    id             BIGSERIAL PRIMARY KEY,
    item_id        BIGINT  NOT NULL REFERENCES ann_items (id) ON DELETE CASCADE,
    project_id     TEXT    NOT NULL,
    annotator_id   TEXT    NOT NULL REFERENCES ann_annotators (id) ON DELETE CASCADE,
    stage          TEXT    NOT NULL
        CHECK (stage IN ('model', 'open', 'expert', 'review', 'gold')),
    round          BIGINT NOT NULL,
    answers        TEXT    NOT NULL,
    confidence     TEXT,
    model_version  TEXT,
    derived_from   TEXT,
    lead_ms        BIGINT,
    schema_version BIGINT NOT NULL,
    verdict        TEXT CHECK (verdict IN ('accept', 'fix', 'reject')),
    comment        TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX ann_annotations_item ON ann_annotations (item_id, id);
CREATE INDEX ann_annotations_project ON ann_annotations (project_id, created_at);
CREATE INDEX ann_annotations_annotator ON ann_annotations (annotator_id, created_at);

-- Decisions worth explaining later: routing, escalations, pauses, threshold changes.
CREATE TABLE ann_events (
    id         BIGSERIAL PRIMARY KEY,
    project_id TEXT    NOT NULL REFERENCES ann_projects (id) ON DELETE CASCADE,
    item_id    BIGINT,
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ann_events_project ON ann_events (project_id, id);
