//! Execution semantics on the embedded queue (SQLite file, local blobs): top-down, skip-if-done,
//! bottom-up, force, version bumps; failures that end as failed or dead-lettered jobs while
//! other tracks carry on; external commands.

use std::sync::Arc;
use std::time::Duration;

use backbeat_pipeline::{Engine, Graph, JobKind, JobSpec, Plan, Registry};
use backbeat_store::jobs::{JobState, Selection};
use backbeat_store::model::TrackStatus;
use backbeat_store::prelude::*;

use crate::common::{all_complete, state_of, Behaviour, Harness, Log, TestJob};
use crate::plan::{test_graph, test_specs};

fn registry(log: &Log, specials: &[(&str, Behaviour)]) -> Registry {
    let mut r = Registry::new();
    for name in ["a", "s", "b", "c", "d", "e"] {
        let behaviour = specials
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(Behaviour::Ok, |(_, b)| *b);
        r.register(
            name,
            TestJob {
                log: log.clone(),
                behaviour,
            },
        );
    }
    r
}

async fn harness(log: &Log, specials: &[(&str, Behaviour)]) -> Harness {
    Harness::new(test_graph(), registry(log, specials)).await
}

#[tokio::test]
async fn an_upload_runs_every_job_once_parents_first() {
    let log = Log::default();
    let h = harness(&log, &[]).await;
    let t = h.track_with(b"upload bytes".to_vec()).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    let ran = log.jobs_for(t.id);
    let mut sorted = ran.clone();
    sorted.sort();
    assert_eq!(sorted, ["a", "b", "c", "d", "e", "s"], "each exactly once");
    let pos = |n: &str| ran.iter().position(|x| x == n).unwrap();
    for (p, c) in [("a", "b"), ("a", "c"), ("b", "d"), ("b", "e"), ("c", "e")] {
        assert!(pos(p) < pos(c), "{p} before {c}: {ran:?}");
    }
    let records = h.records(t.id).await;
    assert_eq!(records.len(), 6);
    for r in &records {
        assert_eq!(r.state, JobState::Done, "{r:?}");
        assert_eq!((r.attempts, r.completions), (1, 1), "{r:?}");
    }
    assert_eq!(h.output(t.id, "e", "out").await.unwrap(), b"e:out");
    assert_eq!(h.done_jobs(t.id).await.len(), 6);
}

#[tokio::test]
async fn done_jobs_are_skipped_and_still_trigger_their_children() {
    let log = Log::default();
    let h = harness(&log, &[]).await;
    let t = h.track_with(b"x".to_vec()).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    log.clear();
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    assert!(log.jobs_for(t.id).is_empty(), "{:?}", log.jobs_for(t.id));
    let records = h.records(t.id).await;
    // Every job was reached (children of skipped jobs proceeded) and skipped.
    for r in &records {
        assert_eq!(r.state, JobState::Skipped, "{r:?}");
        assert_eq!(r.completions, 1, "{r:?}");
    }
    // Outputs of one job removed: only that job runs again.
    let a_manifest = backbeat_pipeline::artifacts::manifest_key(t.id, "c", 1);
    h.blobs.delete(&a_manifest).await.unwrap();
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    assert_eq!(log.jobs_for(t.id), ["c"]);
}

#[tokio::test]
async fn bottom_up_runs_only_the_missing_ancestors_then_the_target() {
    let log = Log::default();
    let h = harness(&log, &[]).await;
    let t = h.track_with(b"x".to_vec()).await;
    let g = Arc::clone(&h.engine.graph);
    // Two levels missing above d: a and b run, then d; never c, s or e.
    let done = h.done_jobs(t.id).await;
    let plan = Plan::bottom_up(&g, "d", |n| done.contains(n)).unwrap();
    h.run_to_completion(t.id, &plan).await;
    assert_eq!(log.jobs_for(t.id), ["a", "b", "d"]);
    let records = h.records(t.id).await;
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(state_of(&records, "c"), None);
    // Now e: c is missing (b is done): c then e.
    log.clear();
    let done = h.done_jobs(t.id).await;
    let plan = Plan::bottom_up(&g, "e", |n| done.contains(n)).unwrap();
    h.run_to_completion(t.id, &plan).await;
    assert_eq!(log.jobs_for(t.id), ["c", "e"]);
    assert!(all_complete(&h.records(t.id).await));
}

#[tokio::test]
async fn force_reruns_one_job_or_its_descendants_too() {
    let log = Log::default();
    let h = harness(&log, &[]).await;
    let t = h.track_with(b"x".to_vec()).await;
    let g = Arc::clone(&h.engine.graph);
    h.run_to_completion(t.id, &Plan::top_down(&g)).await;
    log.clear();
    h.run_to_completion(t.id, &Plan::force(&g, "b", false, |_| true).unwrap())
        .await;
    assert_eq!(log.jobs_for(t.id), ["b"]);
    log.clear();
    h.run_to_completion(t.id, &Plan::force(&g, "b", true, |_| true).unwrap())
        .await;
    let mut ran = log.jobs_for(t.id);
    assert_eq!(ran[0], "b");
    ran.sort();
    assert_eq!(ran, ["b", "d", "e"]);
    let b = h.state(t.id, "b").await.unwrap();
    assert_eq!(b.completions, 3);
}

#[tokio::test]
async fn a_version_bump_makes_outputs_stale_and_a_backfill_recomputes_only_those() {
    let log = Log::default();
    let h = harness(&log, &[]).await;
    let t1 = h.track_with(b"1".to_vec()).await;
    let t2 = h.track_with(b"2".to_vec()).await;
    let g = Arc::clone(&h.engine.graph);
    for t in [&t1, &t2] {
        h.engine.submit(t.id, &Plan::top_down(&g)).await.unwrap();
    }
    h.drain().await;
    // b goes to version 2.
    let specs: Vec<JobSpec> = test_specs()
        .into_iter()
        .map(|mut s| {
            if s.name == "b" {
                s.version = 2;
            }
            s
        })
        .collect();
    let g2 = Arc::new(Graph::new(specs).unwrap());
    let stale = Selection::Stale {
        job: "b".into(),
        version: 2,
    };
    assert_eq!(h.db.count_tracks(&stale).await.unwrap(), 2);
    let v2 = Engine {
        graph: Arc::clone(&g2),
        registry: registry(&log, &[]),
        blobs: h.blobs.clone(),
        library: Arc::clone(&h.engine.library),
        states: Arc::clone(&h.engine.states),
        queue: Arc::clone(&h.engine.queue),
        config: h.engine.config.clone(),
        metrics: Arc::clone(&h.engine.metrics),
    };
    assert!(!v2.is_done(t1.id, "b").await.unwrap());
    assert!(v2.is_done(t1.id, "a").await.unwrap());
    log.clear();
    let ids = h.db.select_tracks(&stale, None, 100).await.unwrap();
    assert_eq!(ids.len(), 2);
    for id in ids {
        let done = v2.done_set(id).await.unwrap();
        let plan = Plan::bottom_up(&g2, "b", |n| done.contains(n)).unwrap();
        v2.submit(id, &plan).await.unwrap();
    }
    let v2 = Arc::new(v2);
    let (stop, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(Arc::clone(&v2).run(None, rx));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while h.db.count_tracks(&stale).await.unwrap() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "backfill did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    worker.await.unwrap().unwrap();
    assert_eq!(log.jobs_for(t1.id), ["b"]);
    assert_eq!(log.jobs_for(t2.id), ["b"]);
    assert_eq!(h.state(t1.id, "b").await.unwrap().version, 2);
}

#[tokio::test]
async fn failures_end_failed_or_dead_with_their_reason_and_other_tracks_carry_on() {
    for (behaviour, state, reason, attempts) in [
        (
            Behaviour::Panic,
            JobState::Dead,
            "panicked: test job panics",
            3,
        ),
        (Behaviour::FailPermanent, JobState::Failed, "bad input", 1),
    ] {
        let log = Log::default();
        let h = harness(&log, &[("b", behaviour)]).await;
        let bad = h.track_with(b"bad".to_vec()).await;
        let good_h_track = h.track_with(b"good".to_vec()).await;
        let g = Arc::clone(&h.engine.graph);
        h.engine.submit(bad.id, &Plan::top_down(&g)).await.unwrap();
        h.drain().await;
        let b = h.state(bad.id, "b").await.unwrap();
        assert_eq!(b.state, state, "{behaviour:?}: {b:?}");
        assert!(
            b.error.as_deref().unwrap_or("").contains(reason),
            "{behaviour:?}: {b:?}"
        );
        assert_eq!(b.attempts, attempts, "{behaviour:?}: {b:?}");
        // b's children never ran; its sibling line did. A redelivered message for c (b's
        // retries can outlast a delivery's deadline on a loaded machine) finds c's outputs
        // already there and records it Skipped: both mean c's work is done for this audio.
        let records = h.records(bad.id).await;
        assert_eq!(state_of(&records, "d"), None);
        let c = state_of(&records, "c");
        assert!(
            matches!(c, Some(JobState::Done | JobState::Skipped)),
            "{behaviour:?}: c is {c:?}"
        );
        assert_eq!(
            h.db.track(bad.id).await.unwrap().status,
            TrackStatus::Failed
        );
        // The worker carries on with other tracks (a plan without b).
        let done = h.done_jobs(good_h_track.id).await;
        let plan = Plan::bottom_up(&g, "c", |n| done.contains(n)).unwrap();
        h.run_to_completion(good_h_track.id, &plan).await;
        assert_eq!(log.jobs_for(good_h_track.id), ["a", "c"]);
    }
}

#[tokio::test]
async fn a_job_hanging_past_its_timeout_is_stopped_and_dead_lettered() {
    let log = Log::default();
    let specs: Vec<JobSpec> = test_specs()
        .into_iter()
        .map(|s| {
            if s.name == "s" {
                s.timeout(Duration::from_millis(300))
            } else {
                s
            }
        })
        .collect();
    let h = Harness::new(
        Graph::new(specs).unwrap(),
        registry(&log, &[("s", Behaviour::Hang)]),
    )
    .await;
    let t = h.track_with(b"x".to_vec()).await;
    let started = std::time::Instant::now();
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    let s = h.state(t.id, "s").await.unwrap();
    assert_eq!(s.state, JobState::Dead, "{s:?}");
    assert!(s.error.as_deref().unwrap().contains("timed out"), "{s:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    // The other line finished.
    assert_eq!(state_of(&h.records(t.id).await, "e"), Some(JobState::Done));
}

fn external(name: &str, inputs: &[&str], outputs: &[&str], script: &str) -> JobSpec {
    let mut s = JobSpec::builtin(name, 1, inputs, outputs);
    s.kind = JobKind::External {
        command: vec!["sh".into(), "-c".into(), script.into()],
    };
    s
}

#[tokio::test]
async fn external_commands_get_paths_and_their_failures_keep_stderr() {
    let log = Log::default();
    let specs = vec![
        JobSpec::builtin("a", 1, &["upload"], &["out"]),
        // Reads the upload and a's output through placeholders and the environment.
        external(
            "copy",
            &["upload", "a.out"],
            &["both.txt"],
            "cat {input:upload} \"$BACKBEAT_INPUT_A_OUT\" > {output:both.txt} && \
             echo \" $BACKBEAT_TRACK_ID\" >> \"$BACKBEAT_OUTPUT_BOTH_TXT\"",
        ),
        external(
            "broken",
            &["a.out"],
            &["x"],
            "echo 'model file not found: /models/x.onnx' >&2; exit 1",
        ),
        external("silent", &["a.out"], &["y"], "exit 0"),
    ];
    let mut registry = Registry::new();
    registry.register(
        "a",
        TestJob {
            log: log.clone(),
            behaviour: Behaviour::Ok,
        },
    );
    let h = Harness::new(Graph::new(specs).unwrap(), registry).await;
    let t = h.track_with(b"UPLOAD".to_vec()).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    let both = String::from_utf8(h.output(t.id, "copy", "both.txt").await.unwrap()).unwrap();
    assert_eq!(both, format!("UPLOADa:out {}\n", t.id));
    let broken = h.state(t.id, "broken").await.unwrap();
    assert_eq!(broken.state, JobState::Failed);
    let why = broken.error.unwrap();
    assert!(
        why.contains("exit code 1") && why.contains("model file not found"),
        "{why}"
    );
    // Exit 0 without writing the declared output is a failure too, never a silent "done".
    let silent = h.state(t.id, "silent").await.unwrap();
    assert_eq!(silent.state, JobState::Failed);
    assert!(silent
        .error
        .unwrap()
        .contains("without writing its output `y`"));
}

#[tokio::test]
async fn a_deleted_track_drops_its_jobs() {
    let log = Log::default();
    let h = harness(&log, &[]).await;
    let t = h.track_with(b"x".to_vec()).await;
    h.engine
        .submit(t.id, &Plan::top_down(&h.engine.graph))
        .await
        .unwrap();
    h.db.delete_track(t.id).await.unwrap();
    h.drain().await;
    assert!(log.jobs_for(t.id).is_empty());
}

/// The track is deleted while a job runs, after the catalog removed its derived prefix: the
/// job's outputs, committed afterwards, are removed too; nothing is left behind.
#[tokio::test]
async fn outputs_of_a_track_deleted_mid_job_are_not_left_behind() {
    let log = Log::default();
    let h = harness(&log, &[("b", Behaviour::DeletesTrack)]).await;
    let t = h.track_with(b"x".to_vec()).await;
    h.engine
        .submit(t.id, &Plan::top_down(&h.engine.graph))
        .await
        .unwrap();
    h.drain().await;
    assert!(log.jobs_for(t.id).contains(&"b".to_string()));
    let prefix = backbeat_store::catalog::derived_prefix(t.id);
    let left = h.blobs.list(&prefix).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Issue 13, item 4: outputs record the audio they were computed from, and those of replaced
/// audio do not count as done — a plan made after the replacement (a backfill, a bottom-up
/// request) runs every job again instead of skipping on the old audio's outputs.
#[tokio::test]
async fn outputs_of_replaced_audio_are_not_done_for_the_new_audio() {
    let log = Log::default();
    let h = harness(&log, &[]).await;
    let t = h.track_with(b"audio A".to_vec()).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    assert_eq!(h.done_jobs(t.id).await.len(), 6);
    let spec = h.engine.graph.job("a").unwrap();
    let m = backbeat_pipeline::artifacts::read_manifest(&h.blobs, t.id, spec)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.source.as_deref(), Some(t.blob_key.as_str()));

    let b = h.replace_audio(t.id, b"audio B".to_vec()).await;
    assert!(
        h.done_jobs(t.id).await.is_empty(),
        "A's outputs are not B's"
    );
    log.clear();
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    let mut ran = log.jobs_for(t.id);
    ran.sort();
    assert_eq!(ran, ["a", "b", "c", "d", "e", "s"], "every job ran on B");
    let m = backbeat_pipeline::artifacts::read_manifest(&h.blobs, t.id, spec)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.source.as_deref(), Some(b.blob_key.as_str()));
    assert_eq!(h.done_jobs(t.id).await.len(), 6);
}
