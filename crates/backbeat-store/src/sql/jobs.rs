//! [`JobStore`] for [`SqlCatalog`]: job states, descriptors, backfill selections; and the rows
//! of the embedded job queue (inherent methods, used by the pipeline's SQL queue).

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{StoreError, StoreResult};
use crate::jobs::{JobRecord, JobState, JobStore, JobUpdate, Selection, TrackAnalysis, TrackTag};
use crate::model::{now_millis, Id, Millis};

use super::errors::{db, reference};
use super::rows::{count, enumerated, id, int, opt_int, opt_text, text};
use super::{Backend, SqlCatalog};

/// Rows per multi-row statement: far below both backends' bind-parameter limits.
const CHUNK: usize = 200;

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
            JobState::Done | JobState::Skipped | JobState::Failed | JobState::Dead
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
               AND state IN ('done', 'skipped', 'failed', 'dead')
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
        let mut tx = self.begin().await?;
        let json = serde_json::to_string(&a.analysis)
            .map_err(|e| StoreError::Database(format!("analysis JSON: {e}")))?;
        sqlx::query(
            "INSERT INTO track_analysis (track_id, bpm, musical_key, loudness_lufs, analysis,
                                         updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (track_id) DO UPDATE SET bpm = excluded.bpm,
                 musical_key = excluded.musical_key, loudness_lufs = excluded.loudness_lufs,
                 analysis = excluded.analysis, updated_at = excluded.updated_at",
        )
        .bind(a.track_id.to_string())
        .bind(a.bpm)
        .bind(a.key.as_deref())
        .bind(a.loudness_lufs)
        .bind(json)
        .bind(a.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(reference("track"))?;
        sqlx::query("DELETE FROM track_tags WHERE track_id = $1")
            .bind(a.track_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for t in &a.tags {
            sqlx::query(
                "INSERT INTO track_tags (track_id, grp, tag, confidence) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (track_id, grp, tag) DO UPDATE SET confidence = excluded.confidence",
            )
            .bind(a.track_id.to_string())
            .bind(t.group.as_str())
            .bind(t.tag.as_str())
            .bind(t.confidence)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        // Ready, unless another job of the track failed for good (it keeps `failed`).
        sqlx::query(
            "UPDATE tracks SET status = 'ready', updated_at = $2 WHERE id = $1 AND NOT EXISTS
                 (SELECT 1 FROM track_jobs WHERE track_id = $1 AND state IN ('failed', 'dead'))",
        )
        .bind(a.track_id.to_string())
        .bind(now_millis())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn track_analysis(&self, track: Id) -> StoreResult<Option<TrackAnalysis>> {
        let Some(r) = sqlx::query(
            "SELECT track_id, bpm, musical_key, loudness_lufs, analysis, updated_at
             FROM track_analysis WHERE track_id = $1",
        )
        .bind(track.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        else {
            return Ok(None);
        };
        let json = text(&r, "analysis")?;
        let tags = sqlx::query(
            "SELECT grp, tag, confidence FROM track_tags WHERE track_id = $1
             ORDER BY grp, confidence DESC, tag",
        )
        .bind(track.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok(TrackTag {
                group: text(r, "grp")?,
                tag: text(r, "tag")?,
                confidence: r.try_get::<f64, _>("confidence").map_err(db)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(TrackAnalysis {
            track_id: id(&r, "track_id")?,
            bpm: r.try_get::<Option<f64>, _>("bpm").map_err(db)?,
            key: opt_text(&r, "musical_key")?,
            loudness_lufs: r.try_get::<Option<f64>, _>("loudness_lufs").map_err(db)?,
            analysis: serde_json::from_str(&json)
                .map_err(|e| StoreError::Database(format!("analysis JSON: {e}")))?,
            tags,
            updated_at: int(&r, "updated_at")?,
        }))
    }

    async fn mark_track_failed(&self, track: Id) -> StoreResult<()> {
        sqlx::query("UPDATE tracks SET status = 'failed', updated_at = $2 WHERE id = $1")
            .bind(track.to_string())
            .bind(now_millis())
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
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

/// A leased queue row.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: i64,
    pub job: String,
    pub payload: String,
    /// Deliveries so far, this one included.
    pub deliveries: u32,
}

/// A message to insert.
#[derive(Debug, Clone)]
pub struct QueueInsert<'a> {
    pub job: &'a str,
    pub dedupe: &'a str,
    pub payload: &'a str,
}

impl SqlCatalog {
    /// Inserts queue messages; a message whose `dedupe` key is already queued is dropped.
    pub async fn queue_insert(&self, msgs: &[QueueInsert<'_>], now: Millis) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for chunk in msgs.chunks(CHUNK) {
            let mut sql = String::from(
                "INSERT INTO job_queue (job, dedupe, payload, available_at, deliveries,
                                        created_at) VALUES ",
            );
            let n = chunk.len() * 3;
            for i in 0..chunk.len() {
                let b = i * 3;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, 0, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    n + 1,
                    n + 1
                ));
            }
            sql.push_str(" ON CONFLICT (dedupe) DO NOTHING");
            let mut q = sqlx::query(&sql);
            for m in chunk {
                q = q.bind(m.job).bind(m.dedupe).bind(m.payload);
            }
            q.bind(now).execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// Leases up to `max` available messages of `jobs` until `lease_until`, marking them with
    /// `token`; oldest first. One statement, so two workers never lease the same row (SQLite
    /// has one writer; PostgreSQL skips rows another transaction has locked).
    pub async fn queue_lease(
        &self,
        jobs: &[String],
        max: u32,
        token: &str,
        now: Millis,
        lease_until: Millis,
    ) -> StoreResult<Vec<QueueRow>> {
        if jobs.is_empty() || max == 0 {
            return Ok(Vec::new());
        }
        let candidates = match self.backend {
            // Per job, the index `(job, available_at, id)` yields its oldest available messages
            // in order, so each arm reads about `max` rows; `job IN (...) ORDER BY id` instead
            // sorted every available message of the jobs on each lease (2.7 ms with 10,000
            // queued, 79 ms with 100,000).
            Backend::Sqlite => {
                let arms: Vec<String> = (0..jobs.len())
                    .map(|i| {
                        format!(
                            "SELECT * FROM (SELECT id FROM job_queue
                              WHERE job = ${} AND available_at <= $3
                                AND (lease_until IS NULL OR lease_until < $3)
                              ORDER BY available_at, id LIMIT $4)",
                            i + 5
                        )
                    })
                    .collect();
                format!(
                    "SELECT id FROM ({}) ORDER BY id LIMIT $4",
                    arms.join(" UNION ALL ")
                )
            }
            Backend::Postgres => {
                let list: Vec<String> = (0..jobs.len()).map(|i| format!("${}", i + 5)).collect();
                format!(
                    "SELECT id FROM job_queue
                     WHERE job IN ({}) AND available_at <= $3
                       AND (lease_until IS NULL OR lease_until < $3)
                     ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED",
                    list.join(", ")
                )
            }
        };
        let sql = format!(
            "UPDATE job_queue SET lease_until = $1, lease_token = $2,
                    deliveries = deliveries + 1
             WHERE id IN ({candidates})
             RETURNING id, job, payload, deliveries"
        );
        let mut q = sqlx::query(&sql)
            .bind(lease_until)
            .bind(token)
            .bind(now)
            .bind(i64::from(max));
        for j in jobs {
            q = q.bind(j.as_str());
        }
        let mut rows: Vec<QueueRow> = q
            .fetch_all(&self.write)
            .await
            .map_err(db)?
            .iter()
            .map(|r| {
                Ok(QueueRow {
                    id: int(r, "id")?,
                    job: text(r, "job")?,
                    payload: text(r, "payload")?,
                    deliveries: int(r, "deliveries")? as u32,
                })
            })
            .collect::<StoreResult<_>>()?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Removes a leased message; `false` if the lease was lost (another worker has it now).
    pub async fn queue_ack(&self, id: i64, token: &str) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM job_queue WHERE id = $1 AND lease_token = $2")
            .bind(id)
            .bind(token)
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    /// Releases a leased message, available again at `available_at`.
    pub async fn queue_release(
        &self,
        id: i64,
        token: &str,
        available_at: Millis,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE job_queue SET lease_until = NULL, lease_token = NULL, available_at = $3
             WHERE id = $1 AND lease_token = $2",
        )
        .bind(id)
        .bind(token)
        .bind(available_at)
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    /// Extends a lease; `false` if it was lost.
    pub async fn queue_extend(
        &self,
        id: i64,
        token: &str,
        lease_until: Millis,
    ) -> StoreResult<bool> {
        let r =
            sqlx::query("UPDATE job_queue SET lease_until = $3 WHERE id = $1 AND lease_token = $2")
                .bind(id)
                .bind(token)
                .bind(lease_until)
                .execute(&self.write)
                .await
                .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    /// Messages queued (waiting or leased) per job, for `jobs`.
    pub async fn queue_depth(&self, jobs: &[String]) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query("SELECT job, COUNT(*) AS n FROM job_queue GROUP BY job")
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        let mut counts = std::collections::HashMap::new();
        for r in &rows {
            counts.insert(text(r, "job")?, count(int(r, "n")?));
        }
        Ok(jobs
            .iter()
            .map(|j| (j.clone(), counts.get(j).copied().unwrap_or(0)))
            .collect())
    }
}
