//! Backbeat's native prediction: `{"answers": {...}, "confidence": {...},
//! "modelVersion": "..."}`, answers in the wire form of [`crate::answer`].
//!
//! Converted here by each question's kind (the shape only); labels and ranges are checked
//! by the engine with the schema, as for every annotator.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::key_text::parse_key;
use super::prediction::clamp_confidence;
use crate::answer::{Answers, Marker, Region, Value};
use crate::schema::{QuestionKind, Schema};

/// What a converted prediction holds; errors are (field, problem).
pub(crate) type Converted = (Answers, BTreeMap<String, f64>, Option<String>);

pub(crate) fn convert(
    item: &Map<String, Json>,
    schema: &Schema,
) -> Result<Converted, (String, String)> {
    let err = |f: &str, p: &str| (f.to_string(), p.to_string());
    let mut answers = Answers::new();
    match item.get("answers") {
        Some(Json::Object(raw)) => {
            for (name, json) in raw {
                let q = schema
                    .questions
                    .iter()
                    .find(|q| &q.name == name)
                    .ok_or_else(|| {
                        err(&format!("answers.{name}"), "no such question in the schema")
                    })?;
                let value = value_of(&q.kind, json).map_err(|p| (format!("answers.{name}"), p))?;
                answers.insert(name.clone(), value);
            }
        }
        Some(_) => return Err(err("answers", "expected an object")),
        None => return Err(err("answers", "missing")),
    }
    let mut confidence = BTreeMap::new();
    match item.get("confidence") {
        None | Some(Json::Null) => {}
        Some(Json::Object(raw)) => {
            for (name, json) in raw {
                let field = format!("confidence.{name}");
                if !answers.contains_key(name) {
                    return Err((field, "a confidence for a question not answered".into()));
                }
                let c = json
                    .as_f64()
                    .and_then(clamp_confidence)
                    .ok_or_else(|| (field, "expected a number in [0, 1]".to_string()))?;
                confidence.insert(name.clone(), c);
            }
        }
        Some(_) => return Err(err("confidence", "expected an object")),
    }
    let version = match item.get("modelVersion") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(_) => return Err(err("modelVersion", "expected a string")),
    };
    Ok((answers, confidence, version))
}

/// One answer's wire form, read by the question's kind.
fn value_of(kind: &QuestionKind, json: &Json) -> Result<Value, String> {
    let string = |j: &Json| j.as_str().map(str::to_string);
    match kind {
        QuestionKind::SingleChoice { .. } => string(json)
            .map(Value::Choice)
            .ok_or_else(|| "expected a label (a string)".into()),
        QuestionKind::MultiLabel { .. } => {
            let items = json.as_array().ok_or("expected an array of labels")?;
            items
                .iter()
                .map(|j| string(j).ok_or_else(|| "expected an array of labels".to_string()))
                .collect::<Result<BTreeSet<_>, _>>()
                .map(Value::Tags)
        }
        QuestionKind::Number { .. } | QuestionKind::Rating { .. } => json
            .as_f64()
            .filter(|x| x.is_finite())
            .map(Value::Number)
            .ok_or_else(|| "expected a number".into()),
        QuestionKind::Key => {
            let key = match json {
                Json::String(s) => parse_key(s),
                Json::Object(o) => match (o.get("tonic"), o.get("mode")) {
                    (Some(Json::String(t)), Some(Json::String(m))) => {
                        parse_key(&format!("{t} {m}"))
                    }
                    _ => None,
                },
                _ => None,
            };
            key.map(Value::Key).ok_or_else(|| {
                "expected a key such as {\"tonic\": \"F#\", \"mode\": \"minor\"} or \"F# minor\""
                    .into()
            })
        }
        QuestionKind::Text { .. } => string(json)
            .map(Value::Text)
            .ok_or_else(|| "expected a string".into()),
        QuestionKind::Regions { .. } => serde_json::from_value::<Vec<Region>>(json.clone())
            .map(Value::Regions)
            .map_err(|e| format!("expected [{{\"start\", \"end\", \"label\"}}…]: {e}")),
        QuestionKind::Markers { .. } => serde_json::from_value::<Vec<Marker>>(json.clone())
            .map(Value::Markers)
            .map_err(|e| format!("expected [{{\"time\", \"label\"}}…]: {e}")),
    }
}
