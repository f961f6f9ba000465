-- A job state for a job that could not run on its worker (the tagger without its models):
-- `unavailable`. Kept in step with ../postgres/0007_job_unavailable.sql. SQLite cannot alter
-- a CHECK constraint, so the table is rebuilt with its indexes (0002, 0003).
CREATE TABLE track_jobs_new (
    track_id    TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    job         TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    state       TEXT    NOT NULL
        CHECK (state IN ('pending', 'running', 'done', 'skipped', 'failed', 'dead',
                         'unavailable')),
    attempts    INTEGER NOT NULL,
    completions INTEGER NOT NULL,
    error       TEXT,
    worker      TEXT,
    started_at  INTEGER,
    finished_at INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (track_id, job)
) STRICT;
INSERT INTO track_jobs_new (track_id, job, version, state, attempts, completions, error, worker,
                            started_at, finished_at, updated_at)
    SELECT track_id, job, version, state, attempts, completions, error, worker, started_at,
           finished_at, updated_at
    FROM track_jobs;
DROP TABLE track_jobs;
ALTER TABLE track_jobs_new RENAME TO track_jobs;
CREATE INDEX track_jobs_state ON track_jobs (job, state);
CREATE INDEX track_jobs_finished ON track_jobs (job, finished_at);
