-- Processing pipeline (PostgreSQL). Kept in step with ../sqlite/0002_jobs.sql.

CREATE TABLE job_queue (
    id           BIGSERIAL PRIMARY KEY,
    job          TEXT    NOT NULL,
    dedupe       TEXT    NOT NULL UNIQUE,
    payload      TEXT    NOT NULL,
    available_at BIGINT  NOT NULL,
    lease_until  BIGINT,
    lease_token  TEXT,
    deliveries   INTEGER NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX job_queue_ready ON job_queue (job, available_at, id);

CREATE TABLE track_jobs (
    track_id    TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    job         TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    state       TEXT    NOT NULL
        CHECK (state IN ('pending', 'running', 'done', 'skipped', 'failed', 'dead')),
    attempts    INTEGER NOT NULL,
    completions INTEGER NOT NULL,
    error       TEXT,
    worker      TEXT,
    started_at  BIGINT,
    finished_at BIGINT,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (track_id, job)
);
CREATE INDEX track_jobs_state ON track_jobs (job, state);

CREATE TABLE track_analysis (
    track_id      TEXT    NOT NULL PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
    bpm           DOUBLE PRECISION,
    musical_key   TEXT,
    loudness_lufs DOUBLE PRECISION,
    analysis      TEXT    NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX track_analysis_bpm ON track_analysis (bpm);
