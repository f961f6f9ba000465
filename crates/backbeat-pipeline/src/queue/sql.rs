//! The embedded queue: messages are rows of `job_queue` in the catalog database (the SQLite file
//! by default), so the zero-set-up deployment needs no broker and a queued job survives a crash
//! with the catalog it belongs to.
//!
//! Delivery is a lease: fetching stamps rows with a random token and a `lease_until`; ack,
//! retry and keep-alive only act while the token still matches, so a worker that lost its lease
//! (it stalled past the ack wait and another worker took the message) cannot delete or release
//! someone else's delivery. A killed worker's rows simply become available when the lease runs
//! out. Workers in this process are woken at once by a publish ([`Notify`]); workers in other
//! processes (`backbeat worker` against the same file) poll, backing off to
//! `MAX_POLL` while idle.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backbeat_store::model::now_millis;
use backbeat_store::sql::{QueueInsert, QueueRow, SqlCatalog};
use tokio::sync::Notify;

use super::{Delivery, JobMessage, Queue, QueueConfig};
use crate::error::QueueError;

/// Longest pause between polls while nothing is available.
const MAX_POLL: Duration = Duration::from_millis(200);

/// The job queue in the catalog's SQL database.
#[derive(Clone)]
pub struct SqlQueue {
    db: SqlCatalog,
    config: QueueConfig,
    wake: Arc<Notify>,
}

impl SqlQueue {
    /// A queue in `db`'s `job_queue` table.
    pub fn new(db: SqlCatalog, config: QueueConfig) -> Self {
        SqlQueue {
            db,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.ack_wait.as_millis()).unwrap_or(i64::MAX / 4)
    }
}

#[async_trait]
impl Queue for SqlQueue {
    async fn publish(&self, messages: &[JobMessage]) -> Result<(), QueueError> {
        if messages.is_empty() {
            return Ok(());
        }
        let encoded: Vec<(String, String)> = messages
            .iter()
            .map(|m| {
                serde_json::to_string(m)
                    .map(|p| (m.dedupe_key(), p))
                    .map_err(|e| QueueError::Decode(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let rows: Vec<QueueInsert<'_>> = messages
            .iter()
            .zip(&encoded)
            .map(|(m, (dedupe, payload))| QueueInsert {
                job: &m.job,
                dedupe,
                payload,
            })
            .collect();
        self.db.queue_insert(&rows, now_millis()).await?;
        self.wake.notify_waiters();
        Ok(())
    }

    async fn fetch(
        &self,
        jobs: &[String],
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Box<dyn Delivery>>, QueueError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        loop {
            // Register for a wake-up before looking, so a publish in between is not missed.
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let token = backbeat_store::model::new_id().to_string();
            let now = now_millis();
            let rows = self
                .db
                .queue_lease(
                    jobs,
                    u32::try_from(max).unwrap_or(u32::MAX),
                    &token,
                    now,
                    now + self.lease_ms(),
                )
                .await?;
            if !rows.is_empty() {
                let mut out: Vec<Box<dyn Delivery>> = Vec::with_capacity(rows.len());
                for row in rows {
                    match serde_json::from_str::<JobMessage>(&row.payload) {
                        Ok(message) => out.push(Box::new(SqlDelivery {
                            queue: self.clone(),
                            row,
                            token: token.clone(),
                            message,
                        })),
                        Err(e) => {
                            // A row this code cannot read would be leased forever: drop it.
                            tracing::warn!(id = row.id, job = %row.job, error = %e,
                                "dropping an undecodable queue message");
                            self.db.queue_ack(row.id, &token).await?;
                        }
                    }
                }
                if !out.is_empty() {
                    return Ok(out);
                }
                continue;
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let nap = pause.min(deadline - now);
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(nap) => {}
            }
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    async fn depth(&self, jobs: &[String]) -> Result<Vec<(String, u64)>, QueueError> {
        Ok(self.db.queue_depth(jobs).await?)
    }

    fn kind(&self) -> &'static str {
        "sql"
    }
}

struct SqlDelivery {
    queue: SqlQueue,
    row: QueueRow,
    token: String,
    message: JobMessage,
}

#[async_trait]
impl Delivery for SqlDelivery {
    fn message(&self) -> &JobMessage {
        &self.message
    }

    fn delivery_count(&self) -> u32 {
        self.row.deliveries
    }

    async fn keep_alive(&self) -> Result<(), QueueError> {
        let until = now_millis() + self.queue.lease_ms();
        if !self
            .queue
            .db
            .queue_extend(self.row.id, &self.token, until)
            .await?
        {
            return Err(QueueError::Backend(
                "the lease on this message was lost".into(),
            ));
        }
        Ok(())
    }

    async fn ack(self: Box<Self>) -> Result<(), QueueError> {
        if !self.queue.db.queue_ack(self.row.id, &self.token).await? {
            tracing::warn!(id = self.row.id, job = %self.row.job,
                "ack after the lease was lost: another delivery owns the message");
        }
        Ok(())
    }

    async fn retry(self: Box<Self>, delay: Duration) -> Result<(), QueueError> {
        let at = now_millis() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4);
        self.queue
            .db
            .queue_release(self.row.id, &self.token, at)
            .await?;
        Ok(())
    }
}
