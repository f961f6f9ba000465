-- A job state for a job that could not run on its worker (the tagger without its models):
-- `unavailable`. Kept in step with ../sqlite/0007_job_unavailable.sql.
ALTER TABLE track_jobs DROP CONSTRAINT IF EXISTS track_jobs_state_check;
ALTER TABLE track_jobs ADD CONSTRAINT track_jobs_state_check
    CHECK (state IN ('pending', 'running', 'done', 'skipped', 'failed', 'dead', 'unavailable'));
