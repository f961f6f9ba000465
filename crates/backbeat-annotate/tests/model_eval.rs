//! `evaluate_models` against hand counts: a project whose built-in model reads the stored
//! genre tags, tempo, key and beats, five resolved items (one resolved by the model alone,
//! one on a track without analysis), scored question by question.

use backbeat_annotate::reports::evaluate_models;
use backbeat_annotate::reports::model_eval::{KeyConfusions, Score};
use backbeat_store::annotation::*;
use backbeat_store::jobs::{JobStore, TrackAnalysis, TrackTag};
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, now_millis, Id};
use serde_json::{json, Value as Json};

use crate::reports::track;

/// Stores an analysis: BPM, key, one genre tag, the beat grid.
async fn analyse(c: &SqlCatalog, t: Id, bpm: f64, key: &str, genre: &str, beats: Json) {
    c.set_track_analysis(&TrackAnalysis {
        track_id: t,
        bpm: Some(bpm),
        key: Some(key.into()),
        loudness_lufs: None,
        analysis: json!({"rhythm": {"confidence": 0.5, "beats": beats}, "key": {"strength": 0.5}}),
        tags: vec![TrackTag {
            group: "genre".into(),
            tag: genre.into(),
            confidence: 0.8,
        }],
        updated_at: now_millis(),
        source: None,
    })
    .await
    .unwrap();
}

fn truth(genre: &str, bpm: f64, tonic: &str, mode: &str) -> Json {
    json!({"genre": genre, "bpm": bpm, "key": {"tonic": tonic, "mode": mode}, "beats": [
        {"time": 0.52, "label": "downbeat"}, {"time": 1.0, "label": "beat"},
        {"time": 1.5, "label": "beat"}, {"time": 2.2, "label": "beat"}
    ]})
}

#[tokio::test]
async fn the_stored_outputs_are_scored_against_accepted_labels() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    let c = SqlCatalog::connect(&url).await.unwrap();
    let mut tracks = Vec::new();
    for _ in 0..5 {
        tracks.push(track(&c).await.1);
    }
    // What the pipeline says, and what people accepted:
    // t0 right on all three (121 is within 4 % of 120);
    // t1 wrong genre, tempo an octave off (ACC2 only), key the relative (0.3);
    // t2 wrong genre, wrong tempo, key a fifth away (0.5);
    // t3 has no analysis; t4 was resolved by the model alone.
    // Beats: people tapped 0.52 (a downbeat), 1.0, 1.5, 2.2 on every track; t0's grid
    // matches three of them (F = 6/8), t1 has none (unanswered), t2 all four (F = 1).
    let grid = json!([0.5, 1.0, 1.5, 2.0]);
    analyse(&c, tracks[0], 120.0, "A minor", "rock", grid).await;
    analyse(&c, tracks[1], 60.0, "C major", "jazz", json!([])).await;
    let exact = json!([0.52, 1.0, 1.5, 2.2]);
    analyse(&c, tracks[2], 100.0, "E minor", "rock", exact).await;
    analyse(&c, tracks[4], 90.0, "D major", "pop", json!([])).await;
    let results = [
        (truth("rock", 121.0, "A", "minor"), Resolution::Consensus),
        (truth("rock", 120.0, "A", "minor"), Resolution::Expert),
        (truth("jazz", 140.0, "B", "minor"), Resolution::Qa),
        (truth("pop", 90.0, "C", "major"), Resolution::Consensus),
        (truth("pop", 90.0, "D", "major"), Resolution::Model),
    ];

    let project = c
        .create_project(NewProject {
            id: new_id(),
            name: "scored".into(),
            description: String::new(),
            settings: json!({}),
            schema: json!({"questions": [
                {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "pop"]},
                {"name": "bpm", "type": "number", "min": 30, "max": 300, "distance": "bpm"},
                {"name": "key", "type": "key"},
                {"name": "beats", "type": "markers", "labels": ["beat", "downbeat"]}
            ]}),
            created_by: None,
            now: now_millis(),
        })
        .await
        .unwrap()
        .id;
    c.add_annotator(NewAnnotator {
        id: new_id(),
        project_id: project,
        kind: AnnotatorKind::Builtin,
        user_id: None,
        role: MemberRole::Model,
        name: "pipeline".into(),
        config: json!({"kind": "builtin", "bindings": [
            {"question": "genre", "source": "tags:genre"},
            {"question": "bpm", "source": "analysis:bpm"},
            {"question": "key", "source": "analysis:key"},
            {"question": "beats", "source": "analysis:beats"}
        ]}),
        now: now_millis(),
    })
    .await
    .unwrap();
    let new: Vec<NewItem> = tracks
        .iter()
        .map(|t| NewItem {
            track_id: *t,
            start_ms: 0,
            end_ms: 0,
            gold: None,
        })
        .collect();
    let start = ItemStart {
        state: ItemState::New,
        needed: 0,
    };
    c.add_items(project, &new, start, now_millis())
        .await
        .unwrap();
    let now = now_millis();
    let taken = c
        .take_for_routing(project, 10, now, now + 60_000)
        .await
        .unwrap();
    let routes: Vec<Routed> = taken
        .iter()
        .map(|t| {
            let i = tracks.iter().position(|x| *x == t.item.track_id).unwrap();
            let mut change = ItemChange::from_item(&t.item);
            change.state = ItemState::Resolved;
            change.result = Some(results[i].0.clone());
            change.resolution = Some(results[i].1);
            change.resolved_at = Some(now);
            Routed {
                item_id: t.item.id,
                annotations: vec![],
                change,
            }
        })
        .collect();
    assert_eq!(c.route(&routes, now).await.unwrap(), 5);

    let e = evaluate_models(&c, &c, project).await.unwrap();
    assert_eq!((e.items, e.model_only, e.unanalysed), (4, 1, 1));
    assert_eq!(e.models.len(), 1);
    let q = |name: &str| {
        e.models[0]
            .questions
            .iter()
            .find(|q| q.question == name)
            .unwrap()
            .clone()
    };
    let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
    let genre = q("genre");
    assert_eq!((genre.answered, genre.unanswered), (3, 0));
    let Score::Choice { accuracy } = genre.score else {
        panic!("{genre:?}")
    };
    assert!(close(accuracy, 1.0 / 3.0));
    let Score::Tempo { acc1, acc2 } = q("bpm").score else {
        panic!()
    };
    assert!(close(acc1, 1.0 / 3.0) && close(acc2, 2.0 / 3.0));
    let Score::Key {
        correct,
        mirex,
        confusions,
    } = q("key").score
    else {
        panic!()
    };
    assert!(close(correct, 1.0 / 3.0));
    assert!(close(mirex, (1.0 + 0.3 + 0.5) / 3.0));
    assert_eq!(
        confusions,
        KeyConfusions {
            fifth: 1,
            relative: 1,
            parallel: 0,
            other: 0
        }
    );
    let beats = q("beats");
    assert_eq!(
        (beats.kind, beats.answered, beats.unanswered),
        ("markers", 2, 1)
    );
    let Score::Markers { mean_f_measure } = beats.score else {
        panic!("{beats:?}")
    };
    assert!(close(mean_f_measure, (0.75 + 1.0) / 2.0));
    // The measures sit flat beside the counts in JSON (questions in name order).
    let text = serde_json::to_value(&e).unwrap();
    let bpm = &text["models"][0]["questions"][1];
    assert_eq!(bpm["question"], "bpm");
    assert_eq!(bpm["acc2"], json!(2.0 / 3.0));
    assert_eq!(bpm["answered"], 3);

    // An unknown project is an error, not an empty report.
    assert!(evaluate_models(&c, &c, new_id()).await.is_err());
}
