//! [`JobStore`] for [`SqlCatalog`]: per-track job states and the selections a backfill walks;
//! a track's descriptors are stored by [`super::analysis`].

use async_trait::async_trait;
use sqlx::any::AnyRow;

use crate::error::StoreResult;
use crate::jobs::{JobRecord, JobState, JobStore, JobUpdate, Selection, TrackAnalysis};
use crate::model::{now_millis, Id, Millis};

use super::errors::{db, reference};
use super::rows::{count, enumerated, id, int, opt_int, opt_text, text};
use super::{analysis, SqlCatalog, CHUNK};

fn job_row(r: &AnyRow) -> StoreResult<JobRecord> {
    Ok(JobRecord {
        track_id: id(r, "track_id")?,
        job: text(r, "job")?,
        version: int(r, "version")? as u32,
        state: enumerated(r, "state", JobState::parse)?,
        attempts: int(r, "attempts")? as u32,
        completions: int(r, "completions")? as u32,
        error: opt_text(r, "error")?,
        worker: opt_text(r, "worker")?,
        started_at: opt_int(r, "started_at")?,
        finished_at: opt_int(r, "finished_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

#[async_trait]
impl JobStore for SqlCatalog {
    async fn record_job(&self, u: JobUpdate<'_>) -> StoreResult<()> {
        let now = now_millis();
        let running = u.state == JobState::Running;
        let finished = matches!(
            u.state,
            JobState::Done
                | JobState::Skipped
                | JobState::Failed
                | JobState::Dead
                | JobState::Unavailable
        );
        let done = i64::from(u.state == JobState::Done);
        // One upsert: the first record of a (track, job) inserts, later ones update in place.
        sqlx::query(
            "INSERT INTO track_jobs (track_id, job, version, state, attempts, completions, error,
                                     worker, started_at, finished_at, updated_at)
             VALUES ($1, $2, $3, $4, COALESCE($5, 0), $6, $7, $8,
                     CASE WHEN $9 = 1 THEN $11 ELSE NULL END,
                     CASE WHEN $10 = 1 THEN $11 ELSE NULL END, $11)
             ON CONFLICT (track_id, job) DO UPDATE SET
                 version = excluded.version,
                 state = excluded.state,
                 attempts = COALESCE($5, track_jobs.attempts),
                 completions = track_jobs.completions + $6,
                 error = excluded.error,
                 worker = COALESCE(excluded.worker, track_jobs.worker),
                 started_at = CASE WHEN $9 = 1 THEN $11 ELSE track_jobs.started_at END,
                 finished_at = CASE WHEN $10 = 1 THEN $11 ELSE track_jobs.finished_at END,
                 updated_at = $11",
        )
        .bind(u.track_id.to_string())
        .bind(u.job)
        .bind(i64::from(u.version))
        .bind(u.state.as_str())
        .bind(u.attempt.map(i64::from))
        .bind(done)
        .bind(u.error)
        .bind(u.worker)
        .bind(i64::from(running))
        .bind(i64::from(finished))
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(reference("track"))?;
        Ok(())
    }

    async fn record_pending(&self, items: &[(Id, &str, u32)]) -> StoreResult<()> {
        let now = now_millis();
        for chunk in items.chunks(CHUNK) {
            let mut sql = String::from(
                "INSERT INTO track_jobs (track_id, job, version, state, attempts, completions,
                                         updated_at) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 3;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, 'pending', 0, 0, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    chunk.len() * 3 + 1
                ));
            }
            // A running job keeps its state: its worker records the outcome.
            sql.push_str(
                " ON CONFLICT (track_id, job) DO UPDATE SET state = 'pending', error = NULL,
                  version = excluded.version, updated_at = excluded.updated_at
                  WHERE track_jobs.state <> 'running'",
            );
            let mut q = sqlx::query(&sql);
            for (track, job, version) in chunk {
                q = q
                    .bind(track.to_string())
                    .bind(*job)
                    .bind(i64::from(*version));
            }
            q.bind(now)
                .execute(&self.write)
                .await
                .map_err(reference("track"))?;
        }
        Ok(())
    }

    async fn track_jobs(&self, track: Id) -> StoreResult<Vec<JobRecord>> {
        sqlx::query(
            "SELECT track_id, job, version, state, attempts, completions, error, worker,
                    started_at, finished_at, updated_at
             FROM track_jobs WHERE track_id = $1 ORDER BY job",
        )
        .bind(track.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?
        .iter()
        .map(job_row)
        .collect()
    }

    async fn job_counts(&self) -> StoreResult<Vec<(String, JobState, u64)>> {
        sqlx::query(
            "SELECT job, state, COUNT(*) AS n FROM track_jobs GROUP BY job, state
             ORDER BY job, state",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok((
                text(r, "job")?,
                enumerated(r, "state", JobState::parse)?,
                count(int(r, "n")?),
            ))
        })
        .collect()
    }

    async fn finished_since(&self, job: &str, since: Millis) -> StoreResult<Vec<(JobState, u64)>> {
        sqlx::query(
            "SELECT state, COUNT(*) AS n FROM track_jobs
             WHERE job = $1 AND finished_at >= $2
               AND state IN ('done', 'skipped', 'failed', 'dead', 'unavailable')
             GROUP BY state ORDER BY state",
        )
        .bind(job)
        .bind(since)
        .fetch_all(&self.read)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok((
                enumerated(r, "state", JobState::parse)?,
                count(int(r, "n")?),
            ))
        })
        .collect()
    }

    async fn select_tracks(
        &self,
        selection: &Selection,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<Id>> {
        let (from, filter) = selection_sql(selection);
        let sql =
            format!("SELECT t.id FROM {from} WHERE {filter} AND t.id > $3 ORDER BY t.id LIMIT $4");
        let (a, b) = selection_binds(selection);
        sqlx::query(&sql)
            .bind(a)
            .bind(b)
            .bind(after.map(|i| i.to_string()).unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db)?
            .iter()
            .map(|r| id(r, "id"))
            .collect()
    }

    async fn count_tracks(&self, selection: &Selection) -> StoreResult<u64> {
        let (from, filter) = selection_sql(selection);
        let sql = format!("SELECT COUNT(*) AS n FROM {from} WHERE {filter}");
        let (a, b) = selection_binds(selection);
        let r = sqlx::query(&sql)
            .bind(a)
            .bind(b)
            .fetch_one(&self.read)
            .await
            .map_err(db)?;
        Ok(count(int(&r, "n")?))
    }

    async fn set_track_analysis(&self, a: &TrackAnalysis) -> StoreResult<()> {
        analysis::set_track_analysis(self, a).await
    }

    async fn track_analysis(&self, track: Id) -> StoreResult<Option<TrackAnalysis>> {
        analysis::track_analysis(self, track).await
    }

    async fn mark_track_failed(&self, track: Id) -> StoreResult<()> {
        analysis::mark_track_failed(self, track).await
    }
    async fn collect_later(&self, keys: &[String], not_before: Millis) -> StoreResult<()> {
        super::uploads::garbage_later(self, keys, not_before).await
    }
}

/// `FROM` and `WHERE` of a selection; its parameters are `$1` and `$2` (see
/// [`selection_binds`]), unused ones compared away so every selection binds the same shape.
fn selection_sql(s: &Selection) -> (&'static str, &'static str) {
    match s {
        Selection::All => ("tracks t", "$1 = $1 AND $2 = $2"),
        Selection::Artist(_) => (
            "tracks t JOIN albums a ON a.id = t.album_id",
            "a.artist_id = $1 AND $2 = $2",
        ),
        Selection::Missing { .. } => (
            "tracks t LEFT JOIN track_jobs j ON j.track_id = t.id AND j.job = $1",
            "(j.state IS NULL OR j.state NOT IN ('done', 'skipped')) AND $2 = $2",
        ),
        Selection::Stale { .. } => (
            "tracks t LEFT JOIN track_jobs j ON j.track_id = t.id AND j.job = $1",
            "(j.state IS NULL OR j.state NOT IN ('done', 'skipped') OR j.version <> $2)",
        ),
    }
}

fn selection_binds(s: &Selection) -> (String, i64) {
    match s {
        Selection::All => (String::new(), 0),
        Selection::Artist(a) => (a.to_string(), 0),
        Selection::Missing { job } => (job.clone(), 0),
        Selection::Stale { job, version } => (job.clone(), i64::from(*version)),
    }
}
