//! Typed answers → Label Studio result items: the inverse of `models/ls_result.rs`, so an
//! export read back by Label Studio (or by our own ML-backend reader) gives the same answers.
//!
//! | question | `type` | `value` |
//! |---|---|---|
//! | single_choice, multi_label, key | `choices` | `{"choices": ["rock"]}` (a key as `"A minor"`) |
//! | regions | `labels` | `{"start": 1.5, "end": 9, "labels": ["verse"]}`, one item per region with an `id` |
//! | markers | `labels` | `{"start": t, "end": t, "labels": ["beat"]}` |
//! | number | `number` | `{"number": 120}` |
//! | rating | `rating` | `{"rating": 4}` |
//! | text | `textarea` | `{"text": ["…"]}` |
//!
//! A region's attribute is an item named `question.attribute` carrying the region's `id`.

use serde_json::{json, Map, Value as Json};

use crate::answer::{Answers, Mode, Value};
use crate::schema::{Question, QuestionKind, Schema};

/// The `to_name` of every item: the audio object of the labelling config.
const TO_NAME: &str = "audio";

fn item(from: &str, kind: &str, value: Json) -> Json {
    json!({"from_name": from, "to_name": TO_NAME, "type": kind, "value": value})
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Major => "major",
        Mode::Minor => "minor",
    }
}

/// The result items of an answer, in schema order; `id_prefix` keeps region ids unique
/// within one task.
pub(crate) fn result(schema: &Schema, answers: &Answers, id_prefix: &str) -> Vec<Json> {
    let mut out = Vec::new();
    for q in &schema.questions {
        if let Some(v) = answers.get(&q.name) {
            push_value(&mut out, q, v, id_prefix);
        }
    }
    out
}

fn push_value(out: &mut Vec<Json>, q: &Question, v: &Value, id_prefix: &str) {
    let name = q.name.as_str();
    match v {
        Value::Choice(s) => out.push(item(name, "choices", json!({"choices": [s]}))),
        Value::Tags(t) => out.push(item(name, "choices", json!({"choices": t}))),
        Value::Key(k) => out.push(item(
            name,
            "choices",
            json!({"choices": [format!("{} {}", k.tonic_name(), mode_name(k.mode))]}),
        )),
        Value::Number(x) => {
            let kind = match q.kind {
                QuestionKind::Rating { .. } => "rating",
                _ => "number",
            };
            out.push(item(name, kind, json!({ kind: x })));
        }
        Value::Text(s) => out.push(item(name, "textarea", json!({"text": [s]}))),
        Value::Markers(ms) => {
            for m in ms {
                out.push(item(
                    name,
                    "labels",
                    json!({"start": m.time, "end": m.time, "labels": [m.label]}),
                ));
            }
        }
        Value::Regions(rs) => {
            let attrs = match &q.kind {
                QuestionKind::Regions { attributes, .. } => attributes.as_slice(),
                _ => &[],
            };
            for (i, r) in rs.iter().enumerate() {
                let id = format!("{id_prefix}{name}-{i}");
                let mut it = item(
                    name,
                    "labels",
                    json!({"start": r.start, "end": r.end, "labels": [r.label]}),
                );
                if let Some(o) = it.as_object_mut() {
                    o.insert("id".into(), json!(id));
                }
                out.push(it);
                for (attr, value) in &r.attributes {
                    let Some(aq) = attrs.iter().find(|a| &a.name == attr) else {
                        continue;
                    };
                    if let Some(mut it) = attribute_item(&format!("{name}.{attr}"), aq, value) {
                        if let Some(o) = it.as_object_mut() {
                            o.insert("id".into(), json!(id));
                        }
                        out.push(it);
                    }
                }
            }
        }
    }
}

/// A region attribute's stored JSON value as a result item of its question's kind.
fn attribute_item(from: &str, q: &Question, value: &Json) -> Option<Json> {
    let (kind, v) = match (&q.kind, value) {
        (QuestionKind::SingleChoice { .. } | QuestionKind::Key, Json::String(_)) => {
            ("choices", json!({"choices": [value]}))
        }
        (QuestionKind::Key, Json::Object(k)) => {
            let text = format!("{} {}", k.get("tonic")?.as_str()?, k.get("mode")?.as_str()?);
            ("choices", json!({"choices": [text]}))
        }
        (QuestionKind::MultiLabel { .. }, Json::Array(_)) => ("choices", json!({"choices": value})),
        (QuestionKind::Number { .. }, Json::Number(_)) => ("number", json!({"number": value})),
        (QuestionKind::Rating { .. }, Json::Number(_)) => ("rating", json!({"rating": value})),
        (QuestionKind::Text { .. }, Json::String(_)) => ("textarea", json!({"text": [value]})),
        _ => return None,
    };
    let mut m = Map::new();
    m.insert("from_name".into(), json!(from));
    m.insert("to_name".into(), json!(TO_NAME));
    m.insert("type".into(), json!(kind));
    m.insert("value".into(), v);
    Some(Json::Object(m))
}
