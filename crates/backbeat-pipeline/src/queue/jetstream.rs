//! The job queue on NATS JetStream, for deployments that scale workers out over machines.
//!
//! Design, and why:
//! - **One work-queue stream** (`retention: WorkQueue`, file storage): a message is removed once
//!   acknowledged, so the stream holds exactly the waiting and in-flight jobs and never grows
//!   with history. Subjects are `backbeat.{stream}.{job}`: the prefix comes from the stream name
//!   so several streams (one per deployment, one per test) share a server without overlapping.
//! - **One durable pull consumer per job**, filtered on that job's subject and created on first
//!   use: a worker pulls only the jobs it runs, and a work-queue stream requires consumers with
//!   non-overlapping filters, which one consumer per job gives. Workers running the same job
//!   share its consumer, so the server hands each message to one of them at a time.
//! - **Workers set the ack wait**: creating a consumer that exists replaces its configuration,
//!   so a worker's first pull of a job applies the worker's ack wait, while counting
//!   ([`Queue::depth`], used by `jobs status` and backfill progress) reads an existing consumer
//!   as it is and creates one only when missing.
//! - **De-duplication by the server**: the publish header `Nats-Msg-Id` is the message's dedupe
//!   key, and the stream drops a second message with that id within its duplicate window
//!   ([`DUPLICATE_WINDOW`]). Unlike the SQL queue this also drops a re-publish shortly *after*
//!   the first was acknowledged; within one run a job is published again only when two parents
//!   finish together, which is the case de-duplication is for.
//! - **The worker dead-letters, not the server**: consumers redeliver without limit, so every
//!   delivery reaches a worker, which reads [`Delivery::delivery_count`] and records the message
//!   as failed after `max_deliver` tries. A server-side limit would drop the message silently.
//! - **Retry delays per call**: [`Delivery::retry`] is a NAK with a delay, so the worker's backoff
//!   policy stays in one place (no server-side backoff list).
//! - **Acks are confirmed** (double ack): when [`Delivery::ack`] returns, the server has recorded
//!   it, so a job is not run again because an ack was lost in a socket buffer.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream::consumer::pull::Config as PullConfig;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::{
    Config as StreamConfig, ConsumerErrorKind, RetentionPolicy, StorageType,
};
use async_nats::jetstream::{self, AckKind, ErrorCode};
use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::error::QueueError;
use crate::graph::valid_name;
use crate::queue::{Delivery, JobMessage, Queue, QueueConfig};

/// How long the stream remembers a message id to drop duplicates.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// With several jobs, the longest a pull waits on each before looking at all of them again: a
/// message arriving for one job is returned at most this late (with one job, the pull waits for
/// the whole remaining time and returns on arrival).
const POLL_SLICE: Duration = Duration::from_millis(200);

/// Upper bound for a pull that the server should answer at once (messages already waiting).
const IMMEDIATE_PULL_TIMEOUT: Duration = Duration::from_secs(10);

/// The JetStream queue: one stream, one durable pull consumer per job.
pub struct JetStreamQueue {
    js: jetstream::Context,
    stream: String,
    prefix: String,
    config: QueueConfig,
    /// Consumers already created (or found), per job.
    consumers: Mutex<HashMap<String, PullConsumer>>,
    /// Where the next fetch starts among its jobs, so no job starves another.
    next: AtomicUsize,
}

fn backend(what: &str, e: impl std::fmt::Display) -> QueueError {
    QueueError::Backend(format!("{what}: {e}"))
}

impl JetStreamQueue {
    /// Connects to the server at `url` and creates the work-queue stream `stream` (or reuses it
    /// when it exists).
    pub async fn connect(url: &str, stream: &str, config: QueueConfig) -> Result<Self, QueueError> {
        if stream.is_empty()
            || !stream
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(QueueError::Backend(format!(
                "invalid stream name `{stream}` (letters, digits, `_` and `-` only)"
            )));
        }
        let client = async_nats::ConnectOptions::new()
            .name("backbeat-pipeline")
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| backend(&format!("connect to {url}"), e))?;
        let js = jetstream::new(client);
        let prefix = format!("backbeat.{stream}");
        js.get_or_create_stream(StreamConfig {
            name: stream.to_string(),
            subjects: vec![format!("{prefix}.*")],
            retention: RetentionPolicy::WorkQueue,
            storage: StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(|e| backend(&format!("create stream {stream}"), e))?;
        Ok(JetStreamQueue {
            js,
            stream: stream.to_string(),
            prefix,
            config,
            consumers: Mutex::new(HashMap::new()),
            next: AtomicUsize::new(0),
        })
    }

    /// The subject messages of `job` are published on.
    pub fn subject(&self, job: &str) -> String {
        format!("{}.{job}", self.prefix)
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Deletes the stream with every message in it (tests clean up with this).
    pub async fn delete_stream(&self) -> Result<(), QueueError> {
        self.js
            .delete_stream(&self.stream)
            .await
            .map_err(|e| backend(&format!("delete stream {}", self.stream), e))?;
        if let Ok(mut consumers) = self.consumers.lock() {
            consumers.clear();
        }
        Ok(())
    }

    fn check_job(job: &str) -> Result<(), QueueError> {
        // Job names become subject tokens and consumer names: no `.`, `*` or `>` may slip in.
        if valid_name(job) {
            Ok(())
        } else {
            Err(QueueError::Backend(format!("invalid job name `{job}`")))
        }
    }

    /// The durable consumer of `job`, created on first use (creating it again with the same
    /// configuration is a no-op on the server, so two workers racing here is harmless).
    async fn consumer(&self, job: &str) -> Result<PullConsumer, QueueError> {
        Self::check_job(job)?;
        if let Some(c) = self.cached(job) {
            return Ok(c);
        }
        let config = PullConfig {
            durable_name: Some(job.to_string()),
            filter_subject: self.subject(job),
            ack_policy: AckPolicy::Explicit,
            ack_wait: self.config.ack_wait,
            // Unlimited: the worker dead-letters after `max_deliver` (see the module docs).
            max_deliver: -1,
            ..Default::default()
        };
        let consumer: PullConsumer = self
            .js
            .create_consumer_on_stream(config, &self.stream)
            .await
            .map_err(|e| backend(&format!("create consumer {job}"), e))?;
        if let Ok(mut consumers) = self.consumers.lock() {
            consumers.insert(job.to_string(), consumer.clone());
        }
        Ok(consumer)
    }

    /// The consumer of `job` as the server has it, created only when missing. Creating an
    /// existing consumer again replaces its configuration with this process's, so counting
    /// (`jobs status`, a backfill's progress) must not: it would reset the ack wait the workers
    /// chose. Not cached, so this process's first fetch still applies its own configuration.
    async fn existing_consumer(&self, job: &str) -> Result<PullConsumer, QueueError> {
        Self::check_job(job)?;
        if let Some(c) = self.cached(job) {
            return Ok(c);
        }
        let found = self
            .js
            .get_consumer_from_stream::<PullConfig, _, _>(job, &self.stream)
            .await;
        match found {
            Ok(c) => Ok(c),
            Err(e) if is_not_found(&e.kind()) => self.consumer(job).await,
            Err(e) => Err(backend(&format!("consumer {job}"), e)),
        }
    }

    fn cached(&self, job: &str) -> Option<PullConsumer> {
        self.consumers.lock().ok()?.get(job).cloned()
    }

    /// Messages of `consumer` waiting now, up to `max`, without waiting for more.
    async fn pull_now(
        &self,
        consumer: &PullConsumer,
        max: usize,
        out: &mut Vec<Box<dyn Delivery>>,
    ) -> Result<(), QueueError> {
        let batch = consumer
            .fetch()
            .max_messages(max)
            .messages()
            .await
            .map_err(|e| backend("pull", e))?;
        // The server ends a no-wait pull at once; the timeout only guards against a server that
        // never does (messages it sent after that are redelivered after the ack wait).
        let drained = tokio::time::timeout(IMMEDIATE_PULL_TIMEOUT, self.drain(batch, out)).await;
        drained.map_err(|_| QueueError::Backend("pull: no answer from the server".into()))
    }

    /// Waits up to `expires` for one message of `consumer`.
    async fn pull_wait(
        &self,
        consumer: &PullConsumer,
        expires: Duration,
    ) -> Result<Vec<Box<dyn Delivery>>, QueueError> {
        // A pull of one message: it ends on the first message or when the server expires it,
        // so no message can be sent to a pull this process has stopped listening to.
        let batch = consumer
            .batch()
            .max_messages(1)
            .expires(expires)
            .messages()
            .await
            .map_err(|e| backend("pull", e))?;
        let mut out = Vec::new();
        self.drain(batch, &mut out).await;
        Ok(out)
    }

    /// Turns the messages of a pull into deliveries, terminating those that do not decode.
    async fn drain(
        &self,
        mut batch: jetstream::consumer::pull::Batch,
        out: &mut Vec<Box<dyn Delivery>>,
    ) {
        while let Some(item) = batch.next().await {
            let msg = match item {
                Ok(msg) => msg,
                Err(e) => {
                    // A status ending the pull (e.g. the consumer's ack-pending limit reached):
                    // nothing more to take now.
                    tracing::debug!(error = %e, "jetstream pull ended");
                    break;
                }
            };
            if let Some(delivery) = self.delivery(msg).await {
                out.push(Box::new(delivery));
            }
        }
    }

    async fn delivery(&self, msg: jetstream::Message) -> Option<JetStreamDelivery> {
        let count = match msg.info() {
            Ok(info) => u32::try_from(info.delivered.max(1)).unwrap_or(u32::MAX),
            Err(e) => {
                tracing::warn!(stream = %self.stream, error = %e, "jetstream message without delivery info");
                1
            }
        };
        match serde_json::from_slice::<JobMessage>(&msg.payload) {
            Ok(message) => Some(JetStreamDelivery {
                message,
                msg,
                count,
            }),
            Err(e) => {
                // Redelivering it would fail the same way forever: drop it for good.
                tracing::warn!(
                    stream = %self.stream,
                    subject = %msg.subject,
                    error = %e,
                    "undecodable job message terminated"
                );
                if let Err(e) = msg.ack_with(AckKind::Term).await {
                    tracing::warn!(error = %e, "terminating an undecodable job message failed");
                }
                None
            }
        }
    }
}

#[async_trait]
impl Queue for JetStreamQueue {
    async fn publish(&self, messages: &[JobMessage]) -> Result<(), QueueError> {
        // Send everything, then await every ack: one round trip for the batch, not one per
        // message.
        let mut acks = Vec::with_capacity(messages.len());
        for message in messages {
            Self::check_job(&message.job)?;
            let payload = serde_json::to_vec(message).map_err(|e| backend("encode", e))?;
            let publish = PublishMessage::build()
                .payload(payload.into())
                .message_id(message.dedupe_key());
            let ack = self
                .js
                .send_publish(self.subject(&message.job), publish)
                .await
                .map_err(|e| backend("publish", e))?;
            acks.push(ack.into_future());
        }
        futures_util::future::try_join_all(acks)
            .await
            .map_err(|e| backend("publish ack", e))?;
        Ok(())
    }

    async fn fetch(
        &self,
        jobs: &[String],
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Box<dyn Delivery>>, QueueError> {
        let deadline = Instant::now() + wait;
        if jobs.is_empty() || max == 0 {
            tokio::time::sleep_until(deadline).await;
            return Ok(Vec::new());
        }
        let mut consumers = Vec::with_capacity(jobs.len());
        for job in jobs {
            consumers.push(self.consumer(job).await?);
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % consumers.len();
        consumers.rotate_left(start);
        loop {
            // What is waiting now, job after job, up to `max`.
            let mut out = Vec::new();
            for consumer in &consumers {
                if out.len() >= max {
                    break;
                }
                self.pull_now(consumer, max - out.len(), &mut out).await?;
            }
            let now = Instant::now();
            if !out.is_empty() || now >= deadline {
                return Ok(out);
            }
            // Nothing yet: wait on every job at once for the first message. Pulls cannot be
            // cancelled on the server, so each runs to its expiry (or its one message) — short
            // slices when there are several jobs, so one job's message is not held up long.
            let remaining = deadline - now;
            let expires = if consumers.len() == 1 {
                remaining
            } else {
                remaining.min(POLL_SLICE)
            }
            .max(Duration::from_millis(10));
            let pulls = consumers.iter().map(|c| self.pull_wait(c, expires));
            let started = Instant::now();
            let mut failed = None;
            for pulled in futures_util::future::join_all(pulls).await {
                match pulled {
                    Ok(deliveries) => out.extend(deliveries),
                    Err(e) => failed = Some(e),
                }
            }
            // Messages already pulled are handed out even if another pull failed (dropping
            // them would only delay them by an ack wait).
            if !out.is_empty() {
                return Ok(out);
            }
            if let Some(e) = failed {
                return Err(e);
            }
            if started.elapsed() < expires / 2 {
                // The server ended the pulls early with nothing (e.g. a limit reached): do not
                // spin on it.
                tokio::time::sleep(
                    POLL_SLICE.min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
            }
        }
    }

    async fn depth(&self, jobs: &[String]) -> Result<Vec<(String, u64)>, QueueError> {
        let mut depths = Vec::with_capacity(jobs.len());
        for job in jobs {
            // The consumer is created here if need be: messages published before any worker
            // pulled the job are waiting all the same, and only a consumer counts them.
            let info = self
                .existing_consumer(job)
                .await?
                .get_info()
                .await
                .map_err(|e| backend(&format!("consumer info {job}"), e))?;
            let depth = info.num_pending + u64::try_from(info.num_ack_pending).unwrap_or(u64::MAX);
            depths.push((job.clone(), depth));
        }
        Ok(depths)
    }

    fn kind(&self) -> &'static str {
        "jetstream"
    }
}

fn is_not_found(kind: &ConsumerErrorKind) -> bool {
    matches!(kind, ConsumerErrorKind::JetStream(e) if e.error_code() == ErrorCode::CONSUMER_NOT_FOUND)
}

/// A message pulled from a job's consumer.
struct JetStreamDelivery {
    message: JobMessage,
    msg: jetstream::Message,
    count: u32,
}

#[async_trait]
impl Delivery for JetStreamDelivery {
    fn message(&self) -> &JobMessage {
        &self.message
    }

    fn delivery_count(&self) -> u32 {
        self.count
    }

    async fn keep_alive(&self) -> Result<(), QueueError> {
        self.msg
            .ack_with(AckKind::Progress)
            .await
            .map_err(|e| backend("keep-alive", e))
    }

    async fn ack(self: Box<Self>) -> Result<(), QueueError> {
        self.msg.double_ack().await.map_err(|e| backend("ack", e))
    }

    async fn retry(self: Box<Self>, delay: Duration) -> Result<(), QueueError> {
        self.msg
            .double_ack_with(AckKind::Nak(Some(delay)))
            .await
            .map_err(|e| backend("retry", e))
    }
}
