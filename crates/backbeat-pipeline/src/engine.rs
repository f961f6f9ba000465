//! The worker runtime: fetch a delivery, run its job (and, on the same worker, the chain of
//! children it makes ready), record every state, publish what comes next, acknowledge last.
//!
//! Order of effects for one job, which is what makes redelivery harmless:
//! 1. skip-if-done: the manifest exists for the job's version (and the run does not force it)
//!    ⇒ record `skipped`, go on to the children;
//! 2. copy its inputs from the blob store into a scratch folder and run the job there (timeout,
//!    panics contained); the store never hands out its own paths, so any backend works;
//! 3. stage every output (stored where nobody sees it), check that the track still has the
//!    audio the job ran on, make the outputs visible, write the manifest (the commit point,
//!    see `artifacts`; it records that audio key), check the audio once more, then remove
//!    files of a directory output that the previous run wrote and this one did not;
//! 4. record `done`; publish (or run inline) the ready children;
//! 5. acknowledge the delivery.
//!
//! A crash before 3 completes leaves no manifest: the redelivery runs the job again. A crash
//! after 3 leaves a manifest: the redelivery skips the job and publishes its children again
//! (the queue drops the duplicates). Transient failures are retried with backoff up to
//! `max_deliver` deliveries, then dead-lettered (`dead`, with the last error); permanent
//! failures (bad input) end as `failed` at once. Either way the track is marked `failed` and
//! the delivery acknowledged, so other tracks carry on. An outage (full disk, database out of
//! reach) is not a try: the job runs again in place once it is over (for up to an hour), so a
//! full disk does not fail the tracks being processed.
//!
//! Stale jobs: a track's audio can be replaced while a job of the previous audio runs (the
//! replacement starts a new run of every job). Such a job must not write over the newer
//! run's outputs: when the check before its outputs become visible finds another audio key,
//! it discards them; when the check after its manifest does (the replacement committed in
//! between), it retracts its manifest, so the job is not done for the new audio and the new
//! run's own commit stands. Its children are not started, and it records no state (the new
//! run owns the track's job records). Inputs are taken only from manifests of the audio the
//! job runs on. What remains is the instant between the first check and the renames that
//! make the outputs visible (milliseconds, against a new run that must decode the new audio
//! first); per-source output keys would close it, at the price of the artifact layout.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_store::blob::{BlobStore, StagedPut};
use backbeat_store::jobs::{JobState, JobUpdate};
use backbeat_store::model::{now_millis, Id, Millis, Track};
use backbeat_store::{JobStore, LibraryStore, StoreError};
use tokio::sync::{watch, Semaphore};

use crate::artifacts;
use crate::error::{JobError, PipelineError};
use crate::graph::{Graph, Input, JobClass, JobSpec};
use crate::job::{CancelFlag, JobContext, Memo, Registry};
use crate::metrics::Metrics;
use crate::plan::{Plan, Run};
use crate::queue::{Delivery, JobMessage, Queue};

/// Worker settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Folder for job scratch space (outputs before they are committed).
    pub scratch: PathBuf,
    /// Name of this worker in job records.
    pub worker_id: String,
    /// Concurrent CPU-class jobs (default: cores + 1).
    pub cpu_slots: usize,
    /// Concurrent I/O-class jobs.
    pub io_slots: usize,
    /// Deliveries after which a failing job is dead-lettered.
    pub max_deliver: u32,
    /// Delay before retry number n (the last entry repeats).
    pub backoff: Vec<Duration>,
    /// Interval of keep-alives while a job runs (well below the queue's ack wait).
    pub heartbeat: Duration,
    /// Run ready children of the same class on this worker right away, handing in-memory
    /// results along (decode once), instead of publishing them.
    pub chain: bool,
}

impl EngineConfig {
    /// Defaults for a worker using `scratch`.
    pub fn new(scratch: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        EngineConfig {
            scratch,
            worker_id: format!(
                "{}-{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into()),
                std::process::id()
            ),
            // One more than the cores: a CPU job also writes, syncs and commits its outputs,
            // and a core would idle through those steps (measured: 82 % busy with one slot per
            // core on a 1,000-track backfill, 91 % with one more; bench/pipeline_throughput.sh).
            cpu_slots: cores + 1,
            io_slots: 16,
            max_deliver: 5,
            backoff: vec![
                Duration::from_secs(1),
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(120),
            ],
            heartbeat: Duration::from_secs(10),
            chain: true,
        }
    }
}

/// How long a job failing from an outage is run again in place before it counts as a failed
/// try (see `Engine::chain_through_outages`).
const OUTAGE_PATIENCE: Duration = Duration::from_secs(3600);
/// First wait after an outage; it doubles up to [`OUTAGE_MAX_WAIT`], so work resumes within
/// seconds of the space coming back.
const OUTAGE_FIRST_WAIT: Duration = Duration::from_secs(1);
const OUTAGE_MAX_WAIT: Duration = Duration::from_secs(10);

/// Everything a worker needs; cheap to share.
pub struct Engine {
    pub graph: Arc<Graph>,
    pub registry: Registry,
    pub blobs: BlobStore,
    /// Where the tracks are read (a job runs on the track as stored).
    pub library: Arc<dyn LibraryStore>,
    pub states: Arc<dyn JobStore>,
    pub queue: Arc<dyn Queue>,
    pub config: EngineConfig,
    pub metrics: Arc<Metrics>,
}

/// How a job ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Skipped,
    /// The job could not do its work here; its placeholder outputs let the run go on.
    Unavailable,
}

impl Engine {
    /// Starts `plan` for `track`: records its first jobs as pending and publishes them.
    pub async fn submit(&self, track: Id, plan: &Plan) -> Result<(), PipelineError> {
        self.submit_many(&[track], plan).await
    }

    /// Starts `plan` for each of `tracks`.
    pub async fn submit_many(&self, tracks: &[Id], plan: &Plan) -> Result<(), PipelineError> {
        let mut pending = Vec::new();
        let mut messages = Vec::new();
        for &track in tracks {
            for job in &plan.start {
                let Some(spec) = self.graph.job(job) else {
                    continue;
                };
                pending.push((track, spec.name.as_str(), spec.version));
                messages.push(JobMessage {
                    track,
                    job: job.clone(),
                    run: plan.run.clone(),
                });
            }
        }
        self.states.record_pending(&pending).await?;
        self.queue.publish(&messages).await?;
        Ok(())
    }

    /// Whether `job`'s outputs exist for `track` at its current version, computed from the
    /// track's current audio.
    pub async fn is_done(&self, track: Id, job: &str) -> Result<bool, PipelineError> {
        let spec = self
            .graph
            .job(job)
            .ok_or_else(|| crate::GraphError::UnknownJob(job.to_string()))?;
        let source = match self.library.track(track).await {
            Ok(t) => t.blob_key,
            Err(StoreError::NotFound) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        Ok(artifacts::is_done(&self.blobs, track, &source, spec).await?)
    }

    /// The done-ness of every job for `track` (for planning bottom-up and force runs), for
    /// the track's current audio.
    pub async fn done_set(&self, track: Id) -> Result<BTreeSet<String>, PipelineError> {
        let source = match self.library.track(track).await {
            Ok(t) => t.blob_key,
            // Deleted since it was selected: nothing of it is done (its jobs will be dropped).
            Err(StoreError::NotFound) => return Ok(BTreeSet::new()),
            Err(e) => return Err(e.into()),
        };
        let mut done = BTreeSet::new();
        for spec in self.graph.jobs() {
            if artifacts::is_done(&self.blobs, track, &source, spec).await? {
                done.insert(spec.name.clone());
            }
        }
        Ok(done)
    }

    /// Runs workers for `jobs` (all jobs of the registry's graph when `None`) until `stop`
    /// turns true; in-flight jobs finish before this returns.
    pub async fn run(
        self: Arc<Self>,
        jobs: Option<BTreeSet<String>>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), PipelineError> {
        let served: BTreeSet<String> = jobs.unwrap_or_else(|| self.graph.names());
        let mut loops = tokio::task::JoinSet::new();
        for class in [JobClass::Cpu, JobClass::Io] {
            let names: Vec<String> = self
                .graph
                .jobs()
                .filter(|j| j.class == class && served.contains(&j.name))
                .map(|j| j.name.clone())
                .collect();
            if names.is_empty() {
                continue;
            }
            let slots = match class {
                JobClass::Cpu => self.config.cpu_slots,
                JobClass::Io => self.config.io_slots,
            }
            .max(1);
            let engine = Arc::clone(&self);
            let stop = stop.clone();
            let served = served.clone();
            loops.spawn(async move { engine.class_loop(names, slots, served, stop).await });
        }
        let _ = stop.wait_for(|s| *s).await;
        while let Some(r) = loops.join_next().await {
            if let Ok(Err(e)) = r {
                tracing::error!(error = %e, "worker loop failed");
            }
        }
        Ok(())
    }

    async fn class_loop(
        self: Arc<Self>,
        names: Vec<String>,
        slots: usize,
        served: BTreeSet<String>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), PipelineError> {
        let sem = Arc::new(Semaphore::new(slots));
        let mut tasks = tokio::task::JoinSet::new();
        let served = Arc::new(served);
        while !*stop.borrow() {
            let first = tokio::select! {
                p = Arc::clone(&sem).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = stop.changed() => break,
            };
            let mut permits = vec![first];
            while let Ok(p) = Arc::clone(&sem).try_acquire_owned() {
                permits.push(p);
            }
            let fetched = tokio::select! {
                r = self.queue.fetch(&names, permits.len(), Duration::from_millis(500)) => r,
                _ = stop.changed() => break,
            };
            let deliveries = match fetched {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "fetching jobs failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            for d in deliveries {
                let Some(permit) = permits.pop() else { break };
                let engine = Arc::clone(&self);
                let served = Arc::clone(&served);
                tasks.spawn(async move {
                    engine.handle(d, &served).await;
                    drop(permit);
                });
            }
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        Ok(())
    }

    /// Settles one delivery.
    pub async fn handle(&self, d: Box<dyn Delivery>, served: &BTreeSet<String>) {
        let msg = d.message().clone();
        let count = d.delivery_count();
        let Some(spec) = self.graph.job(&msg.job).cloned() else {
            tracing::warn!(job = %msg.job, "message for a job not in the graph; dropped");
            let _ = d.ack().await;
            return;
        };
        if count > self.config.max_deliver {
            let reason = format!(
                "delivered {count} times without finishing (worker killed or lost each time)"
            );
            self.finish_failed(&msg, &spec, JobState::Dead, &reason)
                .await;
            let _ = d.ack().await;
            return;
        }
        let track = match self.library.track(msg.track).await {
            Ok(t) => t,
            Err(StoreError::NotFound) => {
                tracing::info!(track = %msg.track, job = %msg.job, "track deleted; job dropped");
                let _ = d.ack().await;
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e.chain(), "loading the track failed; retrying");
                let _ = d.retry(self.backoff(count)).await;
                return;
            }
        };
        let work = self.chain_through_outages(&track, &spec, &msg.run, count, served);
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                r = &mut work => break r,
                _ = tokio::time::sleep(self.config.heartbeat) => {
                    if let Err(e) = d.keep_alive().await {
                        tracing::warn!(error = %e, job = %spec.name, "keep-alive failed");
                    }
                }
            }
        };
        match result {
            Ok(()) => {
                self.drop_outputs_if_deleted(msg.track).await;
                if let Err(e) = d.ack().await {
                    tracing::warn!(error = %e, "ack failed; the job will be redelivered");
                }
            }
            Err(JobError::Stale(why)) => {
                tracing::info!(track = %msg.track, job = %spec.name, reason = %why,
                    "audio replaced while the job ran; its result is discarded");
                self.metrics.finished(&spec.name, "stale", None);
                if let Err(e) = d.ack().await {
                    tracing::warn!(error = %e, "ack failed; the job will be redelivered");
                }
            }
            Err(e) if e.is_transient() && count < self.config.max_deliver => {
                let delay = self.backoff(count);
                let reason = format!(
                    "attempt {count} failed: {}; retrying in {}s",
                    e,
                    delay.as_secs()
                );
                self.record(&msg.track, &spec, JobState::Pending, None, Some(&reason))
                    .await;
                if let Err(e) = d.retry(delay).await {
                    tracing::warn!(error = %e, "retry failed; the job will be redelivered");
                }
            }
            Err(e) => {
                let state = if e.is_transient() {
                    JobState::Dead
                } else {
                    JobState::Failed
                };
                self.finish_failed(&msg, &spec, state, &e.reason()).await;
                let _ = d.ack().await;
            }
        }
    }

    /// Runs [`Engine::chain`]; while it fails from an outage (full disk, database out of
    /// reach) it waits and runs it again in place, the delivery kept alive by the caller's
    /// heartbeats, so an outage does not use up the job's deliveries and dead-letter a track
    /// that nothing is wrong with. After [`OUTAGE_PATIENCE`] the ordinary retry path takes
    /// over. (A worker stopping meanwhile aborts the wait; the queue redelivers.)
    async fn chain_through_outages(
        &self,
        track: &Track,
        spec: &JobSpec,
        run: &Run,
        count: u32,
        served: &BTreeSet<String>,
    ) -> Result<(), JobError> {
        let started = Instant::now();
        let mut wait = OUTAGE_FIRST_WAIT;
        loop {
            match self.chain(track, spec, run, count, served).await {
                Err(e) if e.is_outage() && started.elapsed() < OUTAGE_PATIENCE => {
                    tracing::warn!(track = %track.id, job = %spec.name, error = %e,
                        "outage; running the job again in {}s", wait.as_secs());
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(OUTAGE_MAX_WAIT);
                }
                other => return other,
            }
        }
    }

    /// A track deleted while its job ran: the catalog deleted the row, then the derived
    /// prefix, possibly before this job committed. Checking after the commit closes the gap
    /// (deleted before the check: removed here; after: the catalog's deletion removes them).
    async fn drop_outputs_if_deleted(&self, track: Id) {
        if let Err(StoreError::NotFound) = self.library.track(track).await {
            let prefix = backbeat_store::catalog::derived_prefix(track);
            match self.blobs.delete_prefix(&prefix).await {
                Ok(n) => {
                    tracing::info!(%track, removed = n, "track deleted mid-job; outputs removed")
                }
                Err(e) => {
                    tracing::warn!(%track, error = %e.chain(), "removing a deleted track's outputs")
                }
            }
        }
    }

    fn backoff(&self, count: u32) -> Duration {
        let i = (count.max(1) - 1) as usize;
        self.config
            .backoff
            .get(i)
            .or(self.config.backoff.last())
            .copied()
            .unwrap_or(Duration::from_secs(1))
    }

    async fn finish_failed(&self, msg: &JobMessage, spec: &JobSpec, state: JobState, why: &str) {
        tracing::warn!(track = %msg.track, job = %spec.name, state = state.as_str(), reason = why,
            "job failed");
        self.metrics.finished(&spec.name, state.as_str(), None);
        self.record(&msg.track, spec, state, None, Some(why)).await;
        if let Err(e) = self.states.mark_track_failed(msg.track).await {
            tracing::warn!(error = %e.chain(), "marking the track failed");
        }
    }

    async fn record(
        &self,
        track: &Id,
        spec: &JobSpec,
        state: JobState,
        attempt: Option<u32>,
        error: Option<&str>,
    ) {
        let update = JobUpdate {
            track_id: *track,
            job: &spec.name,
            version: spec.version,
            state,
            attempt,
            error,
            worker: Some(&self.config.worker_id),
        };
        if let Err(e) = self.states.record_job(update).await {
            tracing::warn!(error = %e.chain(), job = %spec.name, "recording the job state failed");
        }
    }

    /// Runs `first`, then children it makes ready that this worker serves in the same class
    /// (decode once); other ready children are published. The error is `first`'s; a failing
    /// chained child is handed to the queue, which retries it on its own.
    async fn chain(
        &self,
        track: &Track,
        first: &JobSpec,
        run: &Run,
        count: u32,
        served: &BTreeSet<String>,
    ) -> Result<(), JobError> {
        let memo = Memo::default();
        let mut known_done: BTreeSet<String> = BTreeSet::new();
        let mut stack = vec![(first.clone(), count)];
        while let Some((spec, attempt)) = stack.pop() {
            let is_first = spec.name == first.name;
            match self.execute(track, &spec, run, attempt, &memo).await {
                Ok(_) => {
                    known_done.insert(spec.name.clone());
                }
                Err(e) if is_first => return Err(e),
                // The audio changed under the chain: nothing more of it belongs to the track.
                Err(JobError::Stale(why)) => {
                    tracing::info!(track = %track.id, job = %spec.name, reason = %why,
                        "audio replaced while the job ran; its result is discarded");
                    return Ok(());
                }
                Err(e) => {
                    let why = format!("chained run failed: {e}; queued");
                    self.record(&track.id, &spec, JobState::Pending, None, Some(&why))
                        .await;
                    self.publish(track.id, &spec.name, run).await?;
                    continue;
                }
            }
            let mut done_now = BTreeMap::new();
            for c in self.graph.children(&spec.name) {
                for p in self.graph.job(c).map(|j| j.parents()).unwrap_or_default() {
                    if p == spec.name || known_done.contains(p) || done_now.contains_key(p) {
                        continue;
                    }
                    // A parent this run re-makes counts only once it finished in this run:
                    // its old outputs would start a fan-in child (summary) too early.
                    let source = track.blob_key.as_str();
                    let d = match self.graph.job(p) {
                        Some(pj) if run.forces(p) => {
                            artifacts::done_in_run(&self.blobs, track.id, source, pj, run.id)
                                .await?
                        }
                        // Placeholders of an unavailable parent are enough to go on with.
                        Some(pj) => {
                            artifacts::has_outputs(&self.blobs, track.id, source, pj).await?
                        }
                        None => false,
                    };
                    done_now.insert(p.to_string(), d);
                }
            }
            let ready = run.ready_children(&self.graph, &spec.name, |p| {
                known_done.contains(p) || done_now.get(p).copied().unwrap_or(false)
            });
            for child in ready {
                let Some(cspec) = self.graph.job(&child) else {
                    continue;
                };
                if self.config.chain && cspec.class == spec.class && served.contains(&child) {
                    stack.push((cspec.clone(), 1));
                } else {
                    self.record(&track.id, cspec, JobState::Pending, None, None)
                        .await;
                    self.publish(track.id, &child, run).await?;
                }
            }
        }
        Ok(())
    }

    async fn publish(&self, track: Id, job: &str, run: &Run) -> Result<(), JobError> {
        let msg = JobMessage {
            track,
            job: job.to_string(),
            run: run.clone(),
        };
        self.queue
            .publish(&[msg])
            .await
            .map_err(|source| JobError::Queue {
                what: format!("publishing `{job}`"),
                source,
            })
    }

    /// One job for one track: skip-if-done, or run and commit.
    async fn execute(
        &self,
        track: &Track,
        spec: &JobSpec,
        run: &Run,
        attempt: u32,
        memo: &Memo,
    ) -> Result<Outcome, JobError> {
        let started = Instant::now();
        if !run.forces(&spec.name)
            && artifacts::is_done(&self.blobs, track.id, &track.blob_key, spec).await?
        {
            self.record(&track.id, spec, JobState::Skipped, None, None)
                .await;
            self.metrics.finished(&spec.name, "skipped", None);
            return Ok(Outcome::Skipped);
        }
        self.record(&track.id, spec, JobState::Running, Some(attempt), None)
            .await;
        let scratch = Scratch::new(&self.config.scratch)?;
        let result = self.run_and_commit(track, spec, run, memo, &scratch).await;
        drop(scratch);
        match result {
            Ok(Some(why)) => {
                tracing::warn!(track = %track.id, job = %spec.name, reason = %why,
                    "job unavailable here; its children go on without its results");
                self.record(&track.id, spec, JobState::Unavailable, None, Some(&why))
                    .await;
                self.metrics.finished(&spec.name, "unavailable", None);
                Ok(Outcome::Unavailable)
            }
            Ok(None) => {
                self.record(&track.id, spec, JobState::Done, None, None)
                    .await;
                self.metrics
                    .finished(&spec.name, "done", Some(started.elapsed()));
                Ok(Outcome::Done)
            }
            Err(e @ JobError::Stale(_)) => Err(e),
            Err(e) => {
                self.metrics.failed_attempt(&spec.name);
                Err(e)
            }
        }
    }

    async fn run_and_commit(
        &self,
        track: &Track,
        spec: &JobSpec,
        run: &Run,
        memo: &Memo,
        scratch: &Scratch,
    ) -> Result<Option<String>, JobError> {
        let inputs = self.fetch_inputs(track, spec, scratch).await?;
        let out_dir = scratch.0.join("out");
        let mut outputs: BTreeMap<String, PathBuf> = BTreeMap::new();
        for o in &spec.outputs {
            let path = out_dir.join(o.trim_end_matches('/'));
            if artifacts::is_dir_output(o) {
                // Created here so a job that has nothing to put in it needs no special case.
                tokio::fs::create_dir_all(&path)
                    .await
                    .map_err(JobError::io("creating scratch space"))?;
            }
            outputs.insert(o.clone(), path);
        }
        tokio::fs::create_dir_all(&out_dir)
            .await
            .map_err(JobError::io("creating scratch space"))?;
        let code = match &spec.kind {
            crate::graph::JobKind::Builtin => self.registry.get(&spec.name).ok_or_else(|| {
                JobError::Permanent(format!("no code registered for job `{}`", spec.name))
            })?,
            crate::graph::JobKind::External { .. } => Arc::new(crate::external::External),
        };
        let cancel = CancelFlag::default();
        let ctx = JobContext {
            track: track.clone(),
            spec: spec.clone(),
            inputs,
            outputs: outputs.clone(),
            memo: memo.clone(),
            library: Arc::clone(&self.library),
            states: Arc::clone(&self.states),
            cancel: cancel.clone(),
        };
        // Its own task: a panic is contained as a JoinError, and a timeout can abort it.
        let task = tokio::spawn(async move { code.run(ctx).await });
        let abort = task.abort_handle();
        let mut unavailable = None;
        match tokio::time::timeout(spec.timeout, task).await {
            Ok(Ok(Ok(()))) => {}
            // Its placeholder outputs are committed like any others, marked as such.
            Ok(Ok(Err(JobError::Unavailable(why)))) => unavailable = Some(why),
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(join)) if join.is_panic() => {
                let payload = join.into_panic();
                let text = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                return Err(JobError::Transient(format!("job panicked: {text}")));
            }
            Ok(Err(join)) => return Err(JobError::Transient(format!("job task: {join}"))),
            Err(_) => {
                cancel.cancel();
                abort.abort();
                return Err(JobError::Transient(format!(
                    "timed out after {} s",
                    spec.timeout.as_secs_f64()
                )));
            }
        }
        let mut staged: Vec<(String, StagedPut)> = Vec::with_capacity(outputs.len());
        for (name, path) in &outputs {
            let files = if artifacts::is_dir_output(name) {
                dir_files(name, path).await?
            } else if path.is_file() {
                vec![(name.clone(), path.clone())]
            } else {
                return Err(JobError::Permanent(format!(
                    "job finished without writing its output `{name}`"
                )));
            };
            for (name, path) in files {
                let key = artifacts::output_key(track.id, &spec.name, spec.version, &name);
                let put = self
                    .blobs
                    .stage_file(&key, &path, artifacts::MAX_OUTPUT_BYTES)
                    .await?;
                staged.push((name, put));
            }
        }
        // Every byte is staged: the check and the renames that follow are quick, which is
        // what keeps a replacement from slipping in between them.
        if let Some(why) = self.source_changed(track).await? {
            for (_, put) in staged {
                put.discard().await;
            }
            return Err(JobError::Stale(why));
        }
        let mut written = Vec::with_capacity(staged.len());
        for (name, put) in staged {
            written.push((name, put.commit().await?));
        }
        let from = artifacts::Provenance {
            worker: &self.config.worker_id,
            run: run.id,
            source: &track.blob_key,
            unavailable: unavailable.as_deref(),
        };
        let manifest = artifacts::commit(&self.blobs, track.id, spec, written, from).await?;
        if let Some(why) = self.source_changed(track).await? {
            artifacts::retract(&self.blobs, track.id, spec, &track.blob_key).await?;
            return Err(JobError::Stale(why));
        }
        // After the commit: until then the previous manifest may still name these files.
        if let Err(e) = self.remove_replaced(track.id, spec, &manifest).await {
            tracing::warn!(error = %e, job = %spec.name, "removing replaced outputs failed");
        }
        Ok(unavailable)
    }

    /// Removes the files of `spec`'s directory outputs that `manifest` replaced: at once, or,
    /// when the spec keeps them readable a while (`JobSpec::keep_replaced`), through the
    /// garbage list once that time has passed. A failure only leaves files nobody lists, which
    /// the next run finds again.
    async fn remove_replaced(
        &self,
        track: Id,
        spec: &JobSpec,
        manifest: &artifacts::Manifest,
    ) -> Result<(), StoreError> {
        let stale = artifacts::stale_files(&self.blobs, track, spec, manifest).await?;
        if stale.is_empty() {
            return Ok(());
        }
        match spec.keep_replaced {
            Some(keep) => {
                let keep_ms = Millis::try_from(keep.as_millis()).unwrap_or(Millis::MAX / 2);
                self.states
                    .collect_later(&stale, now_millis().saturating_add(keep_ms))
                    .await
            }
            None => {
                for key in &stale {
                    self.blobs.delete(key).await?;
                }
                Ok(())
            }
        }
    }

    /// Copies every input of `spec` into `scratch/in/` (the upload as `in/upload`, an output
    /// as `in/JOB/OUTPUT`, a directory output as `in/JOB/DIR/` with the files its producer's
    /// manifest lists); returns the local path per input.
    async fn fetch_inputs(
        &self,
        track: &Track,
        spec: &JobSpec,
        scratch: &Scratch,
    ) -> Result<BTreeMap<Input, PathBuf>, JobError> {
        let in_dir = scratch.0.join("in");
        let mut inputs = BTreeMap::new();
        for input in &spec.inputs {
            let (local, files) = match input {
                Input::Upload => {
                    let local = in_dir.join("upload");
                    (local.clone(), vec![(track.blob_key.clone(), local)])
                }
                Input::Output { job, output } => {
                    let local = in_dir.join(job).join(output.trim_end_matches('/'));
                    let producer = self.input_manifest(track, job, output).await?;
                    let files = if artifacts::is_dir_output(output) {
                        dir_input_files(track.id, &producer, output, &local)
                    } else {
                        let key = artifacts::output_key(track.id, job, producer.version, output);
                        vec![(key, local.clone())]
                    };
                    (local, files)
                }
            };
            let is_dir =
                matches!(input, Input::Output { output, .. } if artifacts::is_dir_output(output));
            let folder = if is_dir {
                Some(local.as_path())
            } else {
                local.parent()
            };
            if let Some(folder) = folder {
                tokio::fs::create_dir_all(folder)
                    .await
                    .map_err(JobError::io("creating scratch space"))?;
            }
            for (key, path) in files {
                match self.blobs.fetch_to_file(&key, &path).await {
                    Ok(_) => {}
                    Err(StoreError::NotFound) => {
                        return Err(JobError::Transient(format!("input `{input}` is missing")))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            inputs.insert(input.clone(), local);
        }
        Ok(inputs)
    }

    /// The manifest of `job` (the producer of input `job.output`), which must be of the
    /// audio `track` has: an input computed from other audio is refused, as stale when the
    /// track's audio changed since this job started, else as missing (its producer has not
    /// re-made it for the new audio yet, and the retry waits for that).
    async fn input_manifest(
        &self,
        track: &Track,
        job: &str,
        output: &str,
    ) -> Result<artifacts::Manifest, JobError> {
        let spec = self
            .graph
            .job(job)
            .ok_or_else(|| JobError::Permanent(format!("no job is called `{job}`")))?;
        let missing = || JobError::Transient(format!("input `{job}.{output}` is missing"));
        let manifest = artifacts::read_manifest(&self.blobs, track.id, spec)
            .await?
            .ok_or_else(missing)?;
        if manifest.is_from(&track.blob_key) {
            return Ok(manifest);
        }
        match self.source_changed(track).await? {
            Some(why) => Err(JobError::Stale(why)),
            None => Err(JobError::Transient(format!(
                "input `{job}.{output}` was computed from other audio; waiting for its rerun"
            ))),
        }
    }

    /// Why `track` (as this job loaded it) no longer has the audio the job ran on, if so.
    /// A deleted track is not stale: its outputs are dropped after the job (see
    /// `drop_outputs_if_deleted`).
    async fn source_changed(&self, track: &Track) -> Result<Option<String>, JobError> {
        match self.library.track(track.id).await {
            Ok(now) if now.blob_key != track.blob_key => Ok(Some(format!(
                "the track's audio changed from `{}` to `{}` while the job ran",
                track.blob_key, now.blob_key
            ))),
            Ok(_) | Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The files of directory output `dir` as `producer`'s manifest lists them: (key, local path
/// under `local`).
fn dir_input_files(
    track: Id,
    producer: &artifacts::Manifest,
    dir: &str,
    local: &std::path::Path,
) -> Vec<(String, PathBuf)> {
    producer
        .outputs
        .iter()
        .filter_map(|(name, _)| {
            let file = name.strip_prefix(dir)?;
            Some((
                artifacts::output_key(track, &producer.job, producer.version, name),
                local.join(file),
            ))
        })
        .collect()
}

/// The files a job wrote into directory output `name` at `path`, as (`name` + file name, path).
/// Only plain files with valid names: a folder or an odd name inside is the job's mistake.
async fn dir_files(name: &str, path: &std::path::Path) -> Result<Vec<(String, PathBuf)>, JobError> {
    let mut entries = tokio::fs::read_dir(path)
        .await
        .map_err(JobError::io(format!("reading output `{name}`")))?;
    let mut files = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(JobError::io(format!("reading output `{name}`")))?
    {
        let file = entry.file_name();
        let file = file.to_str().unwrap_or_default();
        let is_file = entry.file_type().await.is_ok_and(|t| t.is_file());
        if !is_file || !crate::graph::valid_file_name(file) {
            return Err(JobError::Permanent(format!(
                "job wrote `{}` into its output `{name}`: only files with plain names belong there",
                entry.file_name().to_string_lossy()
            )));
        }
        files.push((format!("{name}{file}"), entry.path()));
    }
    files.sort();
    Ok(files)
}

/// A scratch folder for one job run, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(root: &std::path::Path) -> Result<Self, JobError> {
        let dir = root.join(backbeat_store::model::new_id().to_string());
        std::fs::create_dir_all(&dir).map_err(JobError::io("creating scratch space"))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    /// Removing a folder can take milliseconds on a journaled disk: on a runtime, a blocking
    /// thread does it, so the worker's slot moves on to the next job.
    fn drop(&mut self) {
        let dir = std::mem::take(&mut self.0);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn_blocking(move || {
                    let _ = std::fs::remove_dir_all(&dir);
                });
            }
            Err(_) => {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }
}
