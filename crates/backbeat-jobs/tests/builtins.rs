//! The built-in graph on real audio: probe → downsample → analyze → summary, with the same
//! descriptors as analysing the file in one go; bad uploads fail their own jobs with a reason.

use backbeat_audio::{analyze_file, AnalyzeOptions};
use backbeat_jobs::{builtin_registry, default_graph};
use backbeat_pipeline::Plan;
use backbeat_store::jobs::JobState;
use backbeat_store::model::TrackStatus;
use backbeat_store::prelude::*;

use crate::common::{fixture, state_of, Harness};

/// JSON equality up to float round-off (serde_json's default float parsing is not exact to
/// the last bit).
fn assert_json_close(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{path}: {x} vs {y}"
            );
        }
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_json_close(x, y, &format!("{path}[{i}]"));
            }
        }
        (Object(x), Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (k, v) in x {
                assert_json_close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[tokio::test]
async fn an_upload_is_probed_downsampled_analysed_and_summarised() {
    let h = Harness::new(default_graph(vec![]).unwrap(), builtin_registry()).await;
    let file = fixture("chord.mp3");
    let t = h.track_from(&file).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    let records = h.records(t.id).await;
    for job in ["probe", "downsample", "analyze", "tag", "summary"] {
        assert_eq!(state_of(&records, job), Some(JobState::Done), "{records:?}");
    }
    // The stored signal is a mono 22,050 Hz float WAV.
    let wav = h.output(t.id, "downsample", "audio.wav").await.unwrap();
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(u16::from_le_bytes([wav[20], wav[21]]), 3, "IEEE float");
    assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
    assert_eq!(
        u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
        22_050
    );
    // The split analysis equals the one-pass analysis of the file.
    let reference = analyze_file(&file, &AnalyzeOptions::default()).unwrap();
    let json = h.output(t.id, "analyze", "analysis.json").await.unwrap();
    let ours: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let theirs = serde_json::to_value(&reference).unwrap();
    assert_json_close(&ours, &theirs, "analysis");
    // The summary is in the catalog and the track is ready.
    let stored = h.db.track_analysis(t.id).await.unwrap().unwrap();
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    assert!(close(stored.bpm, reference.rhythm.bpm), "{stored:?}");
    assert_eq!(
        stored.key,
        reference.key.map(|k| format!(
            "{} {}",
            k.tonic,
            serde_json::to_value(k.mode).unwrap().as_str().unwrap()
        ))
    );
    assert!(close(
        stored.loudness_lufs,
        reference.loudness.integrated_lufs
    ));
    assert_eq!(h.db.track(t.id).await.unwrap().status, TrackStatus::Ready);
}

#[tokio::test]
async fn analysing_the_stored_signal_without_the_memo_gives_the_same_result() {
    let h = Harness::with_config(default_graph(vec![]).unwrap(), builtin_registry(), |c| {
        c.chain = false
    })
    .await;
    let file = fixture("chord.flac");
    let t = h.track_from(&file).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    let reference = analyze_file(&file, &AnalyzeOptions::default()).unwrap();
    let json = h.output(t.id, "analyze", "analysis.json").await.unwrap();
    let ours: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_json_close(
        &ours,
        &serde_json::to_value(&reference).unwrap(),
        "analysis",
    );
}

#[tokio::test]
async fn tags_are_the_same_from_the_memo_and_from_the_stored_signal_and_reach_the_catalog() {
    let mut tags = Vec::new();
    for chain in [true, false] {
        let h = Harness::with_config(default_graph(vec![]).unwrap(), builtin_registry(), |c| {
            c.chain = chain
        })
        .await;
        let t = h.track_from(&fixture("chord.flac")).await;
        h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
            .await;
        let json = h.output(t.id, "tag", "tags.json").await.unwrap();
        let ours: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            ours["raw"]["MTT_musicnn"].as_array().map(Vec::len),
            Some(50)
        );
        assert_eq!(ours["embedding"].as_array().map(Vec::len), Some(400));
        let stored = h.db.track_analysis(t.id).await.unwrap().unwrap();
        assert_eq!(
            stored.analysis["tags"], ours,
            "summary keeps the whole tags.json"
        );
        assert!(
            stored.tags.iter().any(|r| r.group == "vocals"),
            "grouped rows: {:?}",
            stored.tags
        );
        tags.push(ours);
    }
    assert_json_close(&tags[0], &tags[1], "tags");
}

#[tokio::test]
async fn corrupt_empty_and_non_audio_uploads_fail_their_jobs_with_a_reason() {
    let h = Harness::new(default_graph(vec![]).unwrap(), builtin_registry()).await;
    let mp3 = std::fs::read(fixture("chord.mp3")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("text", b"this is not audio at all, just text".repeat(50)),
        ("truncated header", mp3[..64].to_vec()),
        (
            "noise",
            (0..20_000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
        ),
    ];
    let good = h.track_from(&fixture("chord.ogg")).await;
    let mut ids = Vec::new();
    for (name, bytes) in cases {
        let t = h.track_with(bytes).await;
        h.engine
            .submit(t.id, &Plan::top_down(&h.engine.graph))
            .await
            .unwrap();
        ids.push((name, t.id));
    }
    h.engine
        .submit(good.id, &Plan::top_down(&h.engine.graph))
        .await
        .unwrap();
    h.drain().await;
    for (name, id) in ids {
        let records = h.records(id).await;
        let ds = records.iter().find(|r| r.job == "downsample").unwrap();
        assert_eq!(ds.state, JobState::Failed, "{name}: {ds:?}");
        assert!(!ds.error.clone().unwrap_or_default().is_empty(), "{name}");
        assert_eq!(state_of(&records, "analyze"), None, "{name}");
        assert_eq!(h.db.track(id).await.unwrap().status, TrackStatus::Failed);
        // Nothing committed for the failed job.
        assert!(
            h.output(id, "downsample", "audio.wav").await.is_none(),
            "{name}"
        );
    }
    assert_eq!(
        h.db.track(good.id).await.unwrap().status,
        TrackStatus::Ready
    );
}
