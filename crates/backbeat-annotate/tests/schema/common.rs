//! A music schema, its fake tagger vocabulary, a realistic answer, and helpers to read errors.

use std::collections::BTreeMap;

use backbeat_annotate::schema::{FieldError, Schema, Window};
use serde_json::{json, Value as Json};

/// The fake tagger's mood vocabulary.
pub const MOODS: &[&str] = &["happy", "sad", "energetic", "calm", "dark", "romantic"];

/// Vocabularies as the engine would give them: the tagger's groups.
pub fn vocab() -> BTreeMap<String, Vec<String>> {
    let mut v = BTreeMap::new();
    v.insert(
        "tagger:mood".to_owned(),
        MOODS.iter().map(|s| (*s).to_owned()).collect(),
    );
    v.insert(
        "tagger:instrument".to_owned(),
        vec!["guitar".to_owned(), "piano".to_owned()],
    );
    v
}

/// Every question type music needs.
pub fn music_json() -> Json {
    json!({"questions": [
        {"name": "genre", "type": "single_choice", "title": "Genre",
         "labels": ["rock", "jazz", "electronic", "hip_hop"]},
        {"name": "moods", "type": "multi_label", "vocabulary": "tagger:mood", "distance": "jaccard"},
        {"name": "bpm", "type": "number", "min": 30, "max": 300, "distance": "bpm"},
        {"name": "key", "type": "key"},
        {"name": "energy", "type": "rating", "min": 1, "max": 5},
        {"name": "notes", "type": "text", "max_length": 200, "required": false},
        {"name": "sections", "type": "regions",
         "labels": ["intro", "verse", "chorus", "bridge", "outro"],
         "attributes": [
            {"name": "instrumental", "type": "single_choice", "labels": ["yes", "no"]},
            {"name": "loudness", "type": "rating", "min": 1, "max": 3, "required": false}
         ]},
        {"name": "beats", "type": "markers", "labels": ["beat", "downbeat"]}
    ]})
}

pub fn music() -> Schema {
    Schema::parse(&music_json(), &vocab()).unwrap()
}

/// A three-minute track.
pub const TRACK: Window = Window {
    start: 0.0,
    end: 180.0,
};

/// What a careful annotator sends for the whole track.
pub fn answer_json() -> Json {
    json!({
        "genre": "rock",
        "moods": ["energetic", "dark"],
        "bpm": 128.5,
        "key": {"tonic": "Gb", "mode": "Minor"},
        "energy": 4,
        "notes": "Drop at 1:02 — café au lait",
        "sections": [
            {"start": 0, "end": 15.2, "label": "intro", "attributes": {"instrumental": "yes"}},
            {"start": 15.2, "end": 60, "label": "verse",
             "attributes": {"instrumental": "no", "loudness": 2}},
            {"start": 60, "end": 90.5, "label": "chorus", "attributes": {"instrumental": "no"}},
            {"start": 170, "end": 180.0005, "label": "outro",
             "attributes": {"instrumental": "yes", "loudness": null}}
        ],
        "beats": [
            {"time": 0.47, "label": "downbeat"},
            {"time": 0.94, "label": "beat"},
            {"time": 1.41, "label": "beat"},
            {"time": 179.999, "label": "beat"}
        ]
    })
}

/// `answer_json` with `field` replaced by `value` (or removed when `value` is `None`).
pub fn with(field: &str, value: Option<Json>) -> Json {
    let mut a = answer_json();
    let obj = a.as_object_mut().unwrap();
    match value {
        Some(v) => {
            obj.insert(field.to_owned(), v);
        }
        None => {
            obj.remove(field);
        }
    }
    a
}

/// The errors of an answer that must be refused.
pub fn refused(schema: &Schema, answer: &Json, window: Window) -> Vec<FieldError> {
    match schema.parse_answers(answer, window) {
        Ok(a) => panic!("accepted {answer}: {a:?}"),
        Err(e) => e,
    }
}

/// The fields the errors name.
pub fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

/// Asserts that refusing `answer` names exactly `expected` (in order).
pub fn refuses_at(schema: &Schema, answer: &Json, window: Window, expected: &[&str]) {
    let errors = refused(schema, answer, window);
    assert_eq!(fields(&errors), expected, "{answer} gave {errors:?}");
}

/// The errors of a schema that must be refused.
pub fn schema_refused(json: &Json) -> Vec<FieldError> {
    match Schema::parse(json, &vocab()) {
        Ok(s) => panic!("accepted {json}: {s:?}"),
        Err(e) => e,
    }
}

/// Asserts that refusing the schema names exactly `expected` (in order).
pub fn schema_refuses_at(json: &Json, expected: &[&str]) {
    let errors = schema_refused(json);
    assert_eq!(fields(&errors), expected, "{json} gave {errors:?}");
}

/// A schema of one question.
pub fn one(question: Json) -> Json {
    json!({ "questions": [question] })
}

/// Every position in `v` with its path as the errors write it (`root.a[2].b`).
fn positions(v: &Json, path: String, out: &mut Vec<(String, Vec<PathStep>)>, steps: Vec<PathStep>) {
    out.push((path.clone(), steps.clone()));
    match v {
        Json::Object(o) => {
            for (k, child) in o {
                let mut s = steps.clone();
                s.push(PathStep::Key(k.clone()));
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                positions(child, p, out, s);
            }
        }
        Json::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let mut s = steps.clone();
                s.push(PathStep::Index(i));
                positions(child, format!("{path}[{i}]"), out, s);
            }
        }
        _ => {}
    }
}

/// One step into a JSON document.
#[derive(Clone)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// Every JSON position of `doc` (but the root), with its path under `root`.
pub fn every_position(doc: &Json, root: &str) -> Vec<(String, Vec<PathStep>)> {
    let mut out = Vec::new();
    positions(doc, root.to_owned(), &mut out, vec![]);
    out.remove(0);
    out
}

pub fn replace(doc: &Json, steps: &[PathStep], value: Json) -> Json {
    let mut doc = doc.clone();
    let mut at = &mut doc;
    for s in steps {
        at = match s {
            PathStep::Key(k) => &mut at[k.as_str()],
            PathStep::Index(i) => &mut at[*i],
        };
    }
    *at = value;
    doc
}

/// One value of each JSON type.
pub fn one_of_each_type() -> [Json; 6] {
    [
        json!(null),
        json!(true),
        json!(7),
        json!("s"),
        json!([]),
        json!({}),
    ]
}

pub fn same_type(a: &Json, b: &Json) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
