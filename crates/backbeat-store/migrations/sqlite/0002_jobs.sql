-- Processing pipeline (SQLite). Kept in step with ../postgres/0002_jobs.sql.

-- The embedded job queue. A row is a message: waiting while `lease_until` is NULL or past,
-- in flight while a worker's lease runs. `dedupe` makes a second publish of the same
-- (run, track, job) a no-op while the first waits. Acknowledging deletes the row.
CREATE TABLE job_queue (
    id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    job          TEXT    NOT NULL,
    dedupe       TEXT    NOT NULL UNIQUE,
    payload      TEXT    NOT NULL,
    available_at INTEGER NOT NULL,
    lease_until  INTEGER,
    lease_token  TEXT,
    deliveries   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX job_queue_ready ON job_queue (job, available_at, id);

-- Per track and job, the latest state (what `GET /tracks/:id/jobs` and `jobs status` show).
-- `completions` counts runs that wrote outputs (a redelivery that finds them done is a skip).
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
    started_at  INTEGER,
    finished_at INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (track_id, job)
) STRICT;
CREATE INDEX track_jobs_state ON track_jobs (job, state);

-- Descriptors written by the `summary` job, for the API and search filters.
CREATE TABLE track_analysis (
    track_id      TEXT    NOT NULL PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
    bpm           REAL,
    musical_key   TEXT,
    loudness_lufs REAL,
    analysis      TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX track_analysis_bpm ON track_analysis (bpm);
