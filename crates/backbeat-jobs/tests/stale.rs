//! A stale job must not write over newer audio (issue 13, item 4): the first run's
//! `downsample` is held while the track's audio is replaced and the new audio is processed
//! end to end; released, the old job must leave neither outputs nor analysis behind, and a
//! forced `summary` afterwards must still store the new audio's analysis.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backbeat_jobs::{builtin_registry, default_graph};
use backbeat_pipeline::{Job, JobContext, JobError, Plan};
use backbeat_store::prelude::*;
use tokio::sync::Notify;

use crate::common::{fixture, Harness};

/// The built-in `downsample`, whose first run waits for `release` once it has decoded (so it
/// finishes after the runs that follow it).
struct HeldFirstRun {
    inner: Arc<dyn Job>,
    held: AtomicBool,
    started: Arc<Notify>,
    release: Arc<Notify>,
}

#[async_trait]
impl Job for HeldFirstRun {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let first = !self.held.swap(true, Ordering::SeqCst);
        let result = self.inner.run(ctx).await;
        if first {
            self.started.notify_one();
            self.release.notified().await;
        }
        result
    }
}

#[tokio::test]
async fn a_job_of_replaced_audio_leaves_no_output_and_no_analysis() {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let mut registry = builtin_registry();
    let downsample = registry.get("downsample").unwrap();
    registry.register(
        "downsample",
        HeldFirstRun {
            inner: downsample,
            held: AtomicBool::new(false),
            started: Arc::clone(&started),
            release: Arc::clone(&release),
        },
    );
    let h = Harness::new(default_graph(vec![]).unwrap(), registry).await;
    let graph = Arc::clone(&h.engine.graph);
    // Audio A: 44.1 kHz stereo. Audio B: 8 kHz mono — told apart by the facts they store.
    let a = h.track_from(&fixture("chord_s16.wav")).await;
    let (stop, workers) = h.start_workers();
    h.engine
        .submit(a.id, &Plan::top_down(&graph))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), started.notified())
        .await
        .expect("the first downsample started");

    // Replaced meanwhile; the new audio runs to the end while the old job is held.
    let b = h
        .replace_audio(a.id, std::fs::read(fixture("chord_8k_mono.wav")).unwrap())
        .await;
    assert_ne!(a.blob_key, b.blob_key);
    h.engine
        .submit(a.id, &Plan::rerun_all(&graph))
        .await
        .unwrap();
    let stored_rate = || async {
        h.db.track_analysis(a.id)
            .await
            .unwrap()
            .and_then(|s| s.analysis["file"]["sample_rate"].as_u64())
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while stored_rate().await.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "B was not analysed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored_rate().await, Some(8_000), "B's analysis first");

    // The old job finishes now, after B's run.
    release.notify_one();
    stop.send(true).unwrap();
    workers.await.unwrap();
    h.drain().await;

    let source: serde_json::Value =
        serde_json::from_slice(&h.output(a.id, "downsample", "source.json").await.unwrap())
            .unwrap();
    assert_eq!(source["file"]["sample_rate"], 8_000, "B's signal: {source}");
    let manifest = backbeat_pipeline::artifacts::read_manifest(
        &h.blobs,
        a.id,
        graph.job("downsample").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(manifest.source.as_deref(), Some(b.blob_key.as_str()));
    assert_eq!(stored_rate().await, Some(8_000), "still B's analysis");

    // A later forced summary (backfill --force) stores what it reads: B's.
    let done = h.done_jobs(a.id).await;
    let plan = Plan::force(&graph, "summary", false, |n| done.contains(n)).unwrap();
    h.run_to_completion(a.id, &plan).await;
    assert_eq!(stored_rate().await, Some(8_000));
    assert_eq!(
        h.db.track(a.id).await.unwrap().status,
        backbeat_store::model::TrackStatus::Ready
    );
}
