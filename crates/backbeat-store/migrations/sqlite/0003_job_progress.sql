-- A backfill's progress counts one job's records finished since it started
-- (JobStore::finished_since), however many tracks the catalog holds.
CREATE INDEX track_jobs_finished ON track_jobs (job, finished_at);
