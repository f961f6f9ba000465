//! Job states and the descriptors the pipeline stores: completions counted, the track's status
//! driven by its jobs (ready by `summary`, failed by a job failing for good — and kept failed).

use backbeat_store::jobs::{JobState, JobUpdate, Selection, TrackAnalysis, TrackTag};
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{now_millis, AlbumKind, Id, JobStore, StoreError, TrackStatus};

use super::{track, user};

conformance!(
    job_records_count_attempts_and_completions,
    summary_makes_a_track_ready_unless_a_job_failed,
    analysis_of_replaced_audio_is_refused,
    an_unavailable_job_is_recorded_and_selected_as_missing,
);

fn update(track: Id, job: &str, state: JobState, attempt: Option<u32>) -> JobUpdate<'_> {
    JobUpdate {
        track_id: track,
        job,
        version: 1,
        state,
        attempt,
        error: None,
        worker: Some("w1"),
    }
}

fn analysis(track: Id) -> TrackAnalysis {
    TrackAnalysis {
        track_id: track,
        bpm: Some(120.0),
        key: Some("A minor".into()),
        loudness_lufs: Some(-9.5),
        analysis: serde_json::json!({"rhythm": {"bpm": 120.0}}),
        tags: vec![
            TrackTag {
                group: "genre".into(),
                tag: "rock".into(),
                confidence: 0.7,
            },
            TrackTag {
                group: "vocals".into(),
                tag: "female".into(),
                confidence: 0.4,
            },
        ],
        updated_at: now_millis(),
        source: None,
    }
}

async fn job_records_count_attempts_and_completions(c: &SqlCatalog) {
    let u = user(c, "jobs@example.com").await;
    let a = c.create_artist("A", u.id).await.unwrap();
    let al = c
        .create_album(a.id, "B", AlbumKind::Single, None)
        .await
        .unwrap();
    let t = track(c, al.id, u.id, "T").await;
    c.record_pending(&[(t.id, "probe", 1)]).await.unwrap();
    c.record_job(update(t.id, "probe", JobState::Running, Some(1)))
        .await
        .unwrap();
    c.record_job(update(t.id, "probe", JobState::Running, Some(2)))
        .await
        .unwrap();
    c.record_job(update(t.id, "probe", JobState::Done, None))
        .await
        .unwrap();
    let recs = c.track_jobs(t.id).await.unwrap();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(
        (r.state, r.attempts, r.completions, r.worker.as_deref()),
        (JobState::Done, 2, 1, Some("w1"))
    );
    assert!(r.finished_at.is_some());
    let counts = c.job_counts().await.unwrap();
    assert!(
        counts.contains(&("probe".to_string(), JobState::Done, 1)),
        "{counts:?}"
    );
}

async fn summary_makes_a_track_ready_unless_a_job_failed(c: &SqlCatalog) {
    let u = user(c, "summary@example.com").await;
    let a = c.create_artist("A", u.id).await.unwrap();
    let al = c
        .create_album(a.id, "B", AlbumKind::Album, None)
        .await
        .unwrap();
    let ok = track(c, al.id, u.id, "Fine").await;
    let bad = track(c, al.id, u.id, "Refused").await;
    assert_eq!(ok.status, TrackStatus::Processing);

    c.set_track_analysis(&analysis(ok.id)).await.unwrap();
    assert_eq!(c.track(ok.id).await.unwrap().status, TrackStatus::Ready);
    let stored = c.track_analysis(ok.id).await.unwrap().expect("stored");
    assert_eq!(stored.key.as_deref(), Some("A minor"));
    assert_eq!(stored.analysis["rhythm"]["bpm"], 120.0);
    assert_eq!(stored.tags, analysis(ok.id).tags);
    // Replaced, not added: analysis and tags.
    let mut again = analysis(ok.id);
    again.bpm = Some(90.0);
    again.tags.truncate(1);
    again.tags[0].confidence = 0.5;
    c.set_track_analysis(&again).await.unwrap();
    let stored = c.track_analysis(ok.id).await.unwrap().unwrap();
    assert_eq!(stored.bpm, Some(90.0));
    assert_eq!(stored.tags, again.tags);

    // A sibling job failed for good before `summary` ran: the track stays failed.
    let mut failed = update(bad.id, "picky", JobState::Failed, None);
    failed.error = Some("exit status 1: refusing");
    c.record_job(failed).await.unwrap();
    c.mark_track_failed(bad.id).await.unwrap();
    c.set_track_analysis(&analysis(bad.id)).await.unwrap();
    assert_eq!(c.track(bad.id).await.unwrap().status, TrackStatus::Failed);
    let recs = c.track_jobs(bad.id).await.unwrap();
    assert_eq!(recs[0].error.as_deref(), Some("exit status 1: refusing"));
    // Once that job succeeds (a backfill re-ran it), the next summary makes it ready.
    c.record_job(update(bad.id, "picky", JobState::Done, None))
        .await
        .unwrap();
    c.set_track_analysis(&analysis(bad.id)).await.unwrap();
    assert_eq!(c.track(bad.id).await.unwrap().status, TrackStatus::Ready);
    assert!(c.track_analysis(Id::nil()).await.unwrap().is_none());
}

/// An analysis computed from audio the track no longer has (a stale `summary`) is refused
/// whole: nothing stored, the track not made ready.
async fn analysis_of_replaced_audio_is_refused(c: &SqlCatalog) {
    let u = user(c, "stale@example.com").await;
    let a = c.create_artist("A", u.id).await.unwrap();
    let al = c
        .create_album(a.id, "B", AlbumKind::Album, None)
        .await
        .unwrap();
    let t = track(c, al.id, u.id, "Replaced").await;
    let mut stale = analysis(t.id);
    stale.source = Some(format!("{}-older", t.blob_key));
    let refused = c.set_track_analysis(&stale).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert!(c.track_analysis(t.id).await.unwrap().is_none());
    assert_eq!(c.track(t.id).await.unwrap().status, TrackStatus::Processing);
    // Computed from the audio it has: stored.
    let mut current = analysis(t.id);
    current.source = Some(t.blob_key.clone());
    c.set_track_analysis(&current).await.unwrap();
    assert_eq!(c.track(t.id).await.unwrap().status, TrackStatus::Ready);
}

/// `unavailable` (migration 0007): recorded with its reason, finished, not complete (a
/// backfill of what is missing selects it), and no reason to fail the track.
async fn an_unavailable_job_is_recorded_and_selected_as_missing(c: &SqlCatalog) {
    let u = user(c, "unavailable@example.com").await;
    let a = c.create_artist("A", u.id).await.unwrap();
    let al = c
        .create_album(a.id, "B", AlbumKind::Album, None)
        .await
        .unwrap();
    let t = track(c, al.id, u.id, "Untagged").await;
    let mut up = update(t.id, "tag", JobState::Unavailable, None);
    up.error = Some("tagger model file x not found");
    c.record_job(up).await.unwrap();
    let recs = c.track_jobs(t.id).await.unwrap();
    assert_eq!(recs[0].state, JobState::Unavailable);
    assert!(recs[0].finished_at.is_some());
    let missing = Selection::Missing { job: "tag".into() };
    assert_eq!(
        c.select_tracks(&missing, None, 10).await.unwrap(),
        vec![t.id]
    );
    c.set_track_analysis(&analysis(t.id)).await.unwrap();
    assert_eq!(c.track(t.id).await.unwrap().status, TrackStatus::Ready);
}
