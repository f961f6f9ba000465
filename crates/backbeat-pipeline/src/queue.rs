//! The job queue behind one trait, with two implementations: the embedded queue in the catalog's
//! SQL database (`sql`, the zero-set-up default) and NATS JetStream (`jetstream`, scale-out).
//!
//! Semantics every implementation keeps (checked by one conformance suite):
//! - **at-least-once**: a delivery not acknowledged within the ack wait (worker killed, hung,
//!   partitioned) is delivered again; [`Delivery::keep_alive`] extends the wait for long jobs;
//! - **per-job subjects**: a worker fetches only the jobs it runs;
//! - **de-duplication**: publishing a message whose [`JobMessage::dedupe_key`] is already waiting
//!   is a no-op (two parents finishing at once both publish their common child);
//! - **delayed retry**: [`Delivery::retry`] makes the message available again after a delay;
//! - **delivery count**: each delivery knows how many times the message has been delivered, so
//!   the worker can dead-letter it after the last try (also when a worker died every time).

pub mod jetstream;
pub mod sql;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::QueueError;
use crate::plan::Run;
use backbeat_store::model::Id;

/// One job to run for one track, within a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMessage {
    /// The track.
    pub track: Id,
    /// The job's name.
    pub job: String,
    /// The run this message belongs to (its scope and forced jobs).
    pub run: Run,
}

impl JobMessage {
    /// Messages with the same key are one message while waiting in the queue.
    pub fn dedupe_key(&self) -> String {
        format!("{}:{}:{}", self.run.id, self.track, self.job)
    }
}

/// A message handed to a worker, to be settled exactly once by one of the consuming methods.
#[async_trait]
pub trait Delivery: Send + Sync {
    /// The message.
    fn message(&self) -> &JobMessage;
    /// How many times this message has been delivered, this delivery included (1 = first).
    fn delivery_count(&self) -> u32;
    /// Tells the queue the job is still running: restarts the ack wait.
    async fn keep_alive(&self) -> Result<(), QueueError>;
    /// Done with the message (success, skip, or a final failure already recorded): remove it.
    async fn ack(self: Box<Self>) -> Result<(), QueueError>;
    /// Deliver the message again after `delay`.
    async fn retry(self: Box<Self>, delay: Duration) -> Result<(), QueueError>;
}

/// A job queue.
#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Publishes messages (durably: on return they survive a crash of this process).
    async fn publish(&self, messages: &[JobMessage]) -> Result<(), QueueError>;
    /// Up to `max` deliveries of messages for any of `jobs`, waiting up to `wait` for the first
    /// one; an empty result means nothing was available in that time.
    async fn fetch(
        &self,
        jobs: &[String],
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Box<dyn Delivery>>, QueueError>;
    /// Messages waiting or in flight, per job (for metrics and progress).
    async fn depth(&self, jobs: &[String]) -> Result<Vec<(String, u64)>, QueueError>;
    /// A short name for logs and metrics (`sql`, `jetstream`).
    fn kind(&self) -> &'static str;
}

/// Queue settings shared by the implementations. (The delivery limit is not one of them: the
/// worker dead-letters, see `EngineConfig::max_deliver`, so queues redeliver without limit.)
#[derive(Debug, Clone, Copy)]
pub struct QueueConfig {
    /// How long a delivery may go without ack or keep-alive before it is delivered again.
    pub ack_wait: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            ack_wait: Duration::from_secs(30),
        }
    }
}
