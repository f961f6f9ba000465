//! Without the tagger's models (issue 13, item 8): the `tag` job is reported unavailable
//! with the reason, every other job completes, the track becomes `ready` without tags, and a
//! backfill once the models exist tags it.

use std::sync::Arc;

use backbeat_jobs::{builtin_registry, builtin_registry_with_models, default_graph};
use backbeat_pipeline::Plan;
use backbeat_store::jobs::{JobState, Selection};
use backbeat_store::model::TrackStatus;
use backbeat_store::prelude::*;

use crate::common::{fixture, state_of, Harness};

#[tokio::test]
async fn without_models_tag_is_unavailable_the_track_ready_and_a_backfill_tags_it_later() {
    let empty = tempfile::tempdir().unwrap();
    let registry = builtin_registry_with_models(empty.path());
    let why = registry
        .unavailable()
        .get("tag")
        .cloned()
        .expect("tag marked unavailable");
    assert!(why.contains("MTT_musicnn.onnx"), "{why}");
    assert!(why.contains(backbeat_tagger::INSTALL_COMMAND), "{why}");
    assert_eq!(registry.unavailable().len(), 1, "only tag needs models");

    let h = Harness::new(default_graph(vec![]).unwrap(), registry).await;
    let graph = Arc::clone(&h.engine.graph);
    let t = h.track_from(&fixture("chord.mp3")).await;
    h.run_to_completion(t.id, &Plan::top_down(&graph)).await;

    let records = h.records(t.id).await;
    for job in ["probe", "downsample", "analyze", "summary"] {
        assert_eq!(state_of(&records, job), Some(JobState::Done), "{records:?}");
    }
    let tag = records.iter().find(|r| r.job == "tag").unwrap();
    assert_eq!(tag.state, JobState::Unavailable, "{tag:?}");
    assert!(
        tag.error
            .as_deref()
            .is_some_and(|e| e.contains("not found")),
        "{tag:?}"
    );
    assert_eq!(h.db.track(t.id).await.unwrap().status, TrackStatus::Ready);
    let stored = h.db.track_analysis(t.id).await.unwrap().unwrap();
    assert!(stored.tags.is_empty(), "{:?}", stored.tags);
    assert!(
        stored.bpm.is_some() || stored.loudness_lufs.is_some(),
        "{stored:?}"
    );
    // Not done: a backfill of what is missing selects it.
    assert!(!h.done_jobs(t.id).await.contains("tag"));
    let missing = Selection::Missing { job: "tag".into() };
    let selected = h.db.select_tracks(&missing, None, 10).await.unwrap();
    assert_eq!(selected, vec![t.id]);

    // The models are installed (the default folder has them): the backfill tags the track
    // and the summary stores the tags.
    let installed = h.engine_with(builtin_registry());
    assert!(
        installed.registry.unavailable().is_empty(),
        "models are installed here"
    );
    let done = h.done_jobs(t.id).await;
    let plan = Plan::force(&graph, "tag", true, |n| done.contains(n)).unwrap();
    installed.submit(t.id, &plan).await.unwrap();
    Harness::drain_with(&installed).await;
    let records = h.records(t.id).await;
    assert_eq!(
        state_of(&records, "tag"),
        Some(JobState::Done),
        "{records:?}"
    );
    assert_eq!(
        state_of(&records, "summary"),
        Some(JobState::Done),
        "{records:?}"
    );
    let stored = h.db.track_analysis(t.id).await.unwrap().unwrap();
    assert!(!stored.tags.is_empty(), "tagged now");
    assert_eq!(h.db.track(t.id).await.unwrap().status, TrackStatus::Ready);
}
