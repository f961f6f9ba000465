//! Hostile input: deep nesting, megabyte strings, 100,000-element arrays. Each must be
//! refused (or accepted) in bounded time, with errors that do not echo the input back.

use std::time::{Duration, Instant};

use backbeat_annotate::answer::Value;
use backbeat_annotate::schema::{FieldError, NoVocabularies, Schema, MAX_MARKERS, MAX_REGIONS};
use serde_json::{json, Value as Json};

use super::common::{answer_json, fields, music, one, refused, refuses_at, with, TRACK};

/// Generous for a 2-core machine running other builds: the real cost is milliseconds (the
/// tests print it), this only catches a quadratic walk.
const BOUND: Duration = Duration::from_secs(3);

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took < BOUND, "{what} took {took:?}");
    out
}

/// No error message or path may carry the client's megabyte back.
fn short(errors: &[FieldError]) {
    for e in errors {
        assert!(e.field.len() < 200, "field of {} bytes", e.field.len());
        assert!(
            e.message.len() < 400,
            "message of {} bytes",
            e.message.len()
        );
    }
}

/// `[[[...[leaf]...]]]`, `depth` arrays deep, built without the parser's recursion limit.
fn nested(depth: usize, leaf: Json) -> Json {
    let mut v = leaf;
    for _ in 0..depth {
        v = Json::Array(vec![v]);
    }
    v
}

#[test]
fn deep_nesting_is_refused_at_the_first_level() {
    let s = music();
    // The parser stops deep documents before the schema sees them.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(serde_json::from_str::<Json>(&deep).is_err());
    // Built by hand, a deep value is refused where it stands, without walking it.
    let cases = [
        ("genre", "answers.genre"),
        ("bpm", "answers.bpm"),
        ("key", "answers.key"),
        ("moods", "answers.moods[0]"),
        ("sections", "answers.sections[0]"),
        ("beats", "answers.beats[0]"),
    ];
    for (q, field) in cases {
        let v = nested(1_000, json!("rock"));
        let e = timed(q, || refused(&s, &with(q, Some(v)), TRACK));
        assert_eq!(fields(&e), [field]);
    }
    let mut a = answer_json();
    a["key"]["tonic"] = nested(1_000, json!("C"));
    a["sections"][0]["attributes"]["instrumental"] = nested(1_000, json!("yes"));
    refuses_at(
        &s,
        &a,
        TRACK,
        &[
            "answers.key.tonic",
            "answers.sections[0].attributes.instrumental",
        ],
    );
    // In a schema: a question nested as deep as the parser allows.
    let j = one(json!({"name": "a", "type": "single_choice", "labels": nested(120, json!("x"))}));
    let e = Schema::parse(&j, &NoVocabularies).unwrap_err();
    assert_eq!(fields(&e), ["questions[0].labels[0]"]);
    let j = one(nested(500, json!({"name": "a", "type": "key"})));
    assert_eq!(
        fields(&Schema::parse(&j, &NoVocabularies).unwrap_err()),
        ["questions[0]"]
    );
}

#[test]
fn megabyte_strings_are_refused_without_being_echoed() {
    let s = music();
    let mb = "x".repeat(1 << 20);
    for q in ["genre", "notes"] {
        let e = timed(q, || refused(&s, &with(q, Some(json!(mb))), TRACK));
        assert_eq!(fields(&e), [format!("answers.{q}")]);
        short(&e);
    }
    let mut a = answer_json();
    a["key"]["tonic"] = json!(mb);
    a["beats"][0]["label"] = json!(mb);
    a[mb.as_str()] = json!(1);
    let e = timed("key, label and key name", || refused(&s, &a, TRACK));
    assert_eq!(e.len(), 3);
    short(&e);
    // A megabyte of multi-byte text against a 200-character limit.
    let e = timed("1 MB of é", || {
        refused(&s, &with("notes", Some(json!("é".repeat(1 << 19)))), TRACK)
    });
    assert_eq!(fields(&e), ["answers.notes"]);

    // The schema side: a megabyte label, name, title, type, vocabulary, and a megabyte where a
    // number belongs (serde's message quotes the value: it is cut).
    let j = json!({"questions": [
        {"name": "a", "type": "single_choice", "labels": [mb]},
        {"name": mb, "type": "key"},
        {"name": "c", "type": "key", "title": mb},
        {"name": "d", "type": mb},
        {"name": "e", "type": "multi_label", "vocabulary": mb},
        {"name": "f", "type": "number", "min": mb, "max": 1},
        {"name": "g", "type": "key", mb.as_str(): 1}
    ]});
    let e = timed("schema of megabytes", || {
        Schema::parse(&j, &NoVocabularies).unwrap_err()
    });
    assert_eq!(e.len(), 7, "{:?}", fields(&e));
    short(&e);
}

#[test]
fn huge_arrays_cost_one_error() {
    let s = music();
    let a = with("moods", Some(json!(vec!["sad"; 100_000])));
    let e = timed("100k tags", || refused(&s, &a, TRACK));
    assert_eq!(fields(&e), ["answers.moods"]);
    // The same from a model, typed.
    let mut typed = s.parse_answers(&answer_json(), TRACK).unwrap();
    let tags = (0..100_000).map(|i| format!("t{i}")).collect();
    typed.insert("moods".into(), Value::Tags(tags));
    let e = timed("100k typed tags", || {
        s.check_answers(&typed, TRACK).unwrap_err()
    });
    assert_eq!(fields(&e), ["answers.moods"]);

    let region =
        json!({"start": 1, "end": 2, "label": "verse", "attributes": {"instrumental": "no"}});
    let a = with("sections", Some(Json::Array(vec![region; MAX_REGIONS + 1])));
    let e = timed("10,001 regions", || refused(&s, &a, TRACK));
    assert_eq!(fields(&e), ["answers.sections"]);

    let marker = json!({"time": 1.5, "label": "beat"});
    let a = with("beats", Some(Json::Array(vec![marker; MAX_MARKERS + 1])));
    let e = timed("100,001 markers", || refused(&s, &a, TRACK));
    assert_eq!(fields(&e), ["answers.beats"]);

    // Schema lists: 100,000 questions, 100,000 labels.
    let j = json!({ "questions": vec![json!({"name": "a", "type": "key"}); 100_000] });
    let e = timed("100k questions", || {
        Schema::parse(&j, &NoVocabularies).unwrap_err()
    });
    assert_eq!(fields(&e), ["questions"]);
    let labels: Vec<String> = (0..100_000).map(|i| format!("l{i}")).collect();
    let j = one(json!({"name": "a", "type": "single_choice", "labels": labels}));
    let e = timed("100k labels", || {
        Schema::parse(&j, &NoVocabularies).unwrap_err()
    });
    assert_eq!(fields(&e), ["questions[0].labels"]);
}

#[test]
fn the_largest_valid_answers_are_read_in_bounded_time() {
    let s = music();
    let beats: Vec<Json> = (0..MAX_MARKERS)
        .map(|i| {
            let label = if i % 4 == 0 { "downbeat" } else { "beat" };
            json!({"time": i as f64 * 0.0017, "label": label})
        })
        .collect();
    let a = with("beats", Some(Json::Array(beats)));
    let a = timed("100k markers read", || s.parse_answers(&a, TRACK).unwrap());
    timed("100k markers checked", || {
        s.check_answers(&a, TRACK).unwrap()
    });

    let sections: Vec<Json> = (0..MAX_REGIONS)
        .map(|i| {
            let t = i as f64 * 0.0175;
            json!({"start": t, "end": t + 0.01, "label": "verse",
                   "attributes": {"instrumental": "no", "loudness": 2}})
        })
        .collect();
    let a = with("sections", Some(Json::Array(sections)));
    let a = timed("10k regions read", || s.parse_answers(&a, TRACK).unwrap());
    timed("10k regions checked", || {
        s.check_answers(&a, TRACK).unwrap()
    });

    // Against a 10,000-label question: lookups must not scan the labels.
    let labels: Vec<String> = (0..10_000).map(|i| format!("l{i}")).collect();
    let big = Schema::parse(
        &one(json!({"name": "m", "type": "markers", "labels": labels})),
        &NoVocabularies,
    )
    .unwrap();
    let markers: Vec<Json> = (0..MAX_MARKERS)
        .map(|i| json!({"time": 1.0, "label": format!("l{}", 9_999 - i % 10_000)}))
        .collect();
    let answer = json!({ "m": markers });
    timed("100k markers × 10k labels", || {
        big.parse_answers(&answer, TRACK).unwrap()
    });
}

#[test]
fn many_unknown_keys_are_named_in_linear_time() {
    let s = music();
    let mut a = answer_json();
    for i in 0..100_000 {
        a[format!("k{i}")] = json!(i);
    }
    let e = timed("100k unknown keys", || refused(&s, &a, TRACK));
    assert_eq!(e.len(), 100_000);
    assert!(e.iter().all(|e| e.message == "unknown question"));
}
