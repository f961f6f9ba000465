//! CPU per item of the workflow's pure rules (issue 15: "agreement and routing for an item
//! < 1 ms of CPU"): `workflow::decide` on the submission that completes an item (three people's
//! answers read from their stored JSON, per-question item agreement, merge of the medoids) and
//! `workflow::route` of a new item from its model answers (with and without the built-in
//! model's prediction from stored tagger outputs).
//!
//! The item: one question of each of the eight kinds (`--per-kind K` repeats each kind K times,
//! default 5: 40 questions), answered by three annotators with realistic payloads — 200 beat
//! markers (jittered by ±30 ms between annotators), 20 time regions with an attribute,
//! BPM near 120 (one annotator at the double), keys, tags, ratings, text.
//!
//! Single thread; each figure is the median over batches of the per-item wall time (the
//! machine is shared: the minimum batch is printed too).
//!   annotate_cpu [--per-kind K] [--iters N]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Instant;

use backbeat_annotate::answer::{Key, Mode, Value};
use backbeat_annotate::engine::workflow::{self, ModelAnswer};
use backbeat_annotate::models::{BuiltinConfig, BuiltinModel, StoredOutputs, StoredTag};
use backbeat_annotate::schema::{NoVocabularies, Schema};
use backbeat_annotate::settings::Settings;
use backbeat_store::annotation::{AnnotationRecord, ItemRecord, ItemState, Stage};
use backbeat_store::model::Id;
use serde_json::{json, Value as Json};

const GENRES: [&str; 6] = ["rock", "jazz", "pop", "blues", "metal", "classical"];
const MOODS: [&str; 6] = ["happy", "sad", "party", "mellow", "dark", "calm"];
const SECTIONS: [&str; 4] = ["intro", "verse", "chorus", "outro"];

fn schema_json(per_kind: usize) -> Json {
    let mut qs = Vec::new();
    for k in 0..per_kind {
        qs.push(json!({"name": format!("genre{k}"), "type": "single_choice", "labels": GENRES}));
        qs.push(
            json!({"name": format!("moods{k}"), "type": "multi_label", "labels": MOODS,
                       "distance": "masi"}),
        );
        qs.push(
            json!({"name": format!("bpm{k}"), "type": "number", "min": 30, "max": 300,
                       "distance": "bpm"}),
        );
        qs.push(json!({"name": format!("key{k}"), "type": "key"}));
        qs.push(json!({"name": format!("energy{k}"), "type": "rating", "min": 1, "max": 5}));
        qs.push(
            json!({"name": format!("notes{k}"), "type": "text", "max_length": 2000,
                       "required": false}),
        );
        qs.push(
            json!({"name": format!("sections{k}"), "type": "regions", "labels": SECTIONS,
                       "attributes": [{"name": "instrumental", "type": "single_choice",
                                       "labels": ["yes", "no"]}]}),
        );
        qs.push(json!({"name": format!("beats{k}"), "type": "markers",
                       "labels": ["beat", "downbeat"]}));
    }
    json!({ "questions": qs })
}

/// Annotator `who` (0..3)'s answer: close to the others, not identical.
fn answer(per_kind: usize, who: usize) -> Json {
    let mut a = serde_json::Map::new();
    let j = who as f64;
    for k in 0..per_kind {
        a.insert(
            format!("genre{k}"),
            json!(if who == 2 { "jazz" } else { "rock" }),
        );
        let moods: Vec<&str> = if who == 1 {
            vec!["happy", "party", "mellow"]
        } else {
            vec!["happy", "party"]
        };
        a.insert(format!("moods{k}"), json!(moods));
        a.insert(
            format!("bpm{k}"),
            json!(if who == 2 { 240.5 } else { 120.0 + j * 0.7 }),
        );
        a.insert(
            format!("key{k}"),
            json!({"tonic": if who == 1 { "C" } else { "A" }, "mode": if who == 1 { "major" } else { "minor" }}),
        );
        a.insert(format!("energy{k}"), json!(3 + (who % 2)));
        a.insert(
            format!("notes{k}"),
            json!(format!("a driving rock track, annotator {who}")),
        );
        let regions: Vec<Json> = (0..20)
            .map(|r| {
                let start = r as f64 * 9.0 + j * 0.4;
                json!({"start": start, "end": start + 8.5, "label": SECTIONS[r % 4],
                       "attributes": {"instrumental": if r % 3 == 0 { "yes" } else { "no" }}})
            })
            .collect();
        a.insert(format!("sections{k}"), json!(regions));
        let beats: Vec<Json> = (0..200)
            .map(|b| {
                // ±30 ms of jitter, deterministic.
                let jitter = (((b * 7919 + who * 104_729) % 61) as f64 - 30.0) / 1000.0;
                json!({"time": 0.5 + b as f64 * 0.5 + jitter,
                       "label": if b % 4 == 0 { "downbeat" } else { "beat" }})
            })
            .collect();
        a.insert(format!("beats{k}"), json!(beats));
    }
    Json::Object(a)
}

fn item(needed: i64) -> ItemRecord {
    ItemRecord {
        id: 12_345,
        project_id: Id::nil(),
        track_id: Id::nil(),
        start_ms: 0,
        end_ms: 0,
        state: ItemState::Open,
        needed,
        taken: needed,
        round: 0,
        extra: 0,
        spot_check: false,
        flagged: false,
        open_questions: None,
        gold: None,
        agreement: None,
        resolution: None,
        result: Some(json!({})),
        created_at: 0,
        updated_at: 0,
        resolved_at: None,
    }
}

fn record(n: usize, answers: Json) -> AnnotationRecord {
    AnnotationRecord {
        id: n as i64 + 1,
        item_id: 12_345,
        project_id: Id::nil(),
        annotator_id: Id::from_u128(n as u128 + 1),
        stage: Stage::Open,
        round: 0,
        answers,
        confidence: None,
        model_version: None,
        derived_from: None,
        lead_ms: Some(30_000),
        schema_version: 1,
        verdict: None,
        comment: None,
        created_at: 0,
    }
}

/// Median and minimum per-call microseconds over `batches` batches of `per` calls.
fn time(batches: usize, per: usize, mut f: impl FnMut() -> usize) -> (f64, f64) {
    let mut sink = 0usize;
    for _ in 0..per.min(20) {
        sink = sink.wrapping_add(f());
    }
    let mut v: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per {
                sink = sink.wrapping_add(f());
            }
            t.elapsed().as_secs_f64() * 1e6 / per as f64
        })
        .collect();
    std::hint::black_box(sink);
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0])
}

fn main() {
    let mut per_kind = 5;
    let mut iters = 2000;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--per-kind" => per_kind = it.next().unwrap().parse().unwrap(),
            "--iters" => iters = it.next().unwrap().parse().unwrap(),
            _ => panic!("usage: annotate_cpu [--per-kind K] [--iters N]"),
        }
    }
    let schema = Schema::parse(&schema_json(per_kind), &NoVocabularies).unwrap();
    let settings = Settings::default();
    let answers: Vec<Json> = (0..3).map(|w| answer(per_kind, w)).collect();
    for a in &answers {
        // The answers are valid: the schema accepts them as a person's submission.
        schema
            .parse_answers(a, backbeat_annotate::schema::Window::track(600.0))
            .unwrap();
    }
    let bytes: usize = answers.iter().map(|a| a.to_string().len()).sum();
    let round: Vec<AnnotationRecord> = answers
        .iter()
        .enumerate()
        .map(|(n, a)| record(n, a.clone()))
        .collect();
    let it3 = item(3);
    println!(
        "item: {} questions ({per_kind} of each of 8 kinds), 3 answers, {} stored answer bytes",
        schema.questions.len(),
        bytes
    );

    // The submission that completes the item: agreement on every question, then the result.
    let change = workflow::decide(&schema, &settings, &it3, &round, 1).unwrap();
    println!(
        "decide result: state={} agreement={:?}",
        change.state.as_str(),
        change.agreement
    );
    let batches = 15;
    let per = (iters / batches).max(1);
    let (med, min) = time(batches, per, || {
        workflow::decide(&schema, &settings, &it3, &round, 1).map_or(0, |c| c.events.len())
    });
    println!("decide_us_per_item: median {med:.1} min {min:.1} (target < 1000)");

    // Agreement alone (the answers already typed).
    let typed: Vec<_> = answers.iter().map(|a| schema.read_stored(a)).collect();
    let names: Vec<&str> = schema.questions.iter().map(|q| q.name.as_str()).collect();
    let (med, min) = time(batches, per, || {
        workflow::agreements(&schema, &names, &typed).len()
    });
    println!("agreement_us_per_item: median {med:.1} min {min:.1} (typed answers, every question)");
    let (med, min) = time(batches, per, || {
        answers.iter().map(|a| schema.read_stored(a).len()).sum()
    });
    println!("read_stored_us_per_item: median {med:.1} min {min:.1} (3 stored answers → typed)");

    // Routing a new item: the best model answer per question.
    let mut best = BTreeMap::new();
    for k in 0..per_kind {
        best.insert(
            format!("genre{k}"),
            ModelAnswer {
                value: Value::Choice("rock".into()),
                confidence: 0.95,
            },
        );
        best.insert(
            format!("bpm{k}"),
            ModelAnswer {
                value: Value::Number(120.0),
                confidence: 0.6,
            },
        );
        best.insert(
            format!("key{k}"),
            ModelAnswer {
                value: Value::Key(Key {
                    tonic: 9,
                    mode: Mode::Minor,
                }),
                confidence: 0.8,
            },
        );
    }
    let new_item = item(0);
    let (med, min) = time(batches, per * 10, || {
        workflow::route(&schema, &settings, &new_item, &best, 1)
            .events
            .len()
    });
    println!("route_us_per_item: median {med:.2} min {min:.2}");

    // The built-in model's prediction from stored outputs, then the routing.
    let config: BuiltinConfig = serde_json::from_value(json!({"bindings": [
        {"question": "genre0", "source": "tags:genre"},
        {"question": "moods0", "source": "tags:mood"},
        {"question": "bpm0", "source": "analysis:bpm"},
        {"question": "key0", "source": "analysis:key"}
    ]}))
    .unwrap();
    let model = BuiltinModel::new(&config, &schema).unwrap();
    let tags: Vec<StoredTag> = [
        ("genre", "rock", 0.71),
        ("genre", "pop", 0.32),
        ("genre", "metal", 0.12),
        ("mood", "happy", 0.61),
        ("mood", "party", 0.44),
        ("instrument", "guitar", 0.8),
        ("instrument", "drums", 0.7),
        ("vocals", "male", 0.66),
    ]
    .iter()
    .map(|(g, t, c)| StoredTag {
        group: (*g).into(),
        tag: (*t).into(),
        confidence: *c,
    })
    .collect();
    let stored = StoredOutputs::from_analysis_json(
        Some(121.3),
        Some("A minor"),
        &json!({"rhythm": {"bpm": 121.3, "confidence": 0.82},
                "key": {"tonic": "A", "mode": "minor", "strength": 0.74}}),
        tags,
        0,
    );
    let (med, min) = time(batches, per * 10, || {
        let pred = model.predict(&stored);
        let mut best = BTreeMap::new();
        for (q, v) in &pred.answers {
            best.insert(
                q.clone(),
                ModelAnswer {
                    value: v.clone(),
                    confidence: pred.confidence.get(q).copied().unwrap_or(0.0),
                },
            );
        }
        workflow::route(&schema, &settings, &new_item, &best, 1)
            .events
            .len()
    });
    println!("predict_and_route_us_per_item: median {med:.2} min {min:.2}");
}
