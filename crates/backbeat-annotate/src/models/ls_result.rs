//! Label Studio prediction results → typed answers.
//!
//! A prediction is `{"result": [item…], "score": 0.9, "model_version": "v3"}`; each item
//! `{"from_name": <question>, "to_name": "audio", "type": …, "value": {…}, "score": …}`:
//!
//! | `type`     | `value`                                   | Question kinds                    |
//! |------------|-------------------------------------------|-----------------------------------|
//! | `choices`  | `{"choices": ["rock"]}`                   | single_choice, multi_label, key (`"A minor"`) |
//! | `labels`   | `{"start": 1.5, "end": 9, "labels": ["verse"]}` | regions; markers when start = end |
//! | `number`   | `{"number": 120}`                         | number                            |
//! | `rating`   | `{"rating": 4}`                           | rating                            |
//! | `textarea` | `{"text": ["…"]}`                         | text                              |
//!
//! A region attribute comes as an item named `question.attribute` with the region's `id`.
//! A question's confidence is the lowest `score` of its items, else the prediction's `score`,
//! else none.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value as Json};

use super::key_text::parse_key;
use super::native::Converted;
use super::prediction::clamp_confidence;
use crate::answer::{Answers, Marker, Region, Value};
use crate::schema::{Question, QuestionKind, Schema};

type Fail = (String, String);

pub(crate) fn convert(item: &Map<String, Json>, schema: &Schema) -> Result<Converted, Fail> {
    let results = match item.get("result") {
        Some(Json::Array(a)) => a,
        Some(_) => return Err(("result".into(), "expected an array".into())),
        None => return Err(("result".into(), "missing".into())),
    };
    let prediction_score = item
        .get("score")
        .and_then(Json::as_f64)
        .and_then(clamp_confidence);
    let version = match item.get("model_version") {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut answers = Answers::new();
    let mut scores: BTreeMap<String, f64> = BTreeMap::new();
    // (question, region id) → indices of that question's regions.
    let mut region_ids: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut attributes = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let at = |what: &str| format!("result[{i}].{what}");
        let Json::Object(r) = r else {
            return Err((format!("result[{i}]"), "expected an object".into()));
        };
        let from_name = r
            .get("from_name")
            .and_then(Json::as_str)
            .ok_or_else(|| (at("from_name"), "missing or not a string".to_string()))?;
        let kind = r
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| (at("type"), "missing or not a string".to_string()))?
            .to_ascii_lowercase();
        let value = match r.get("value") {
            Some(Json::Object(v)) => v,
            _ => return Err((at("value"), "missing or not an object".into())),
        };
        if let Some((question, attribute)) = region_attribute(schema, from_name) {
            attributes.push((i, r, question, attribute, kind));
            continue;
        }
        let question = schema
            .questions
            .iter()
            .find(|q| q.name == from_name)
            .ok_or_else(|| {
                (
                    at("from_name"),
                    format!("{from_name:?} is not a question of the schema"),
                )
            })?;
        let field = |what: &str| format!("result[{i}].value.{what} ({from_name})");
        let new = read_value(&question.kind, &kind, value, &field, &at)?;
        if let Some(score) = r
            .get("score")
            .and_then(Json::as_f64)
            .and_then(clamp_confidence)
        {
            let s = scores.entry(from_name.to_string()).or_insert(score);
            *s = s.min(score);
        }
        match (answers.get_mut(from_name), new) {
            (None, Value::Regions(regions)) => {
                let id = r.get("id").and_then(Json::as_str).unwrap_or_default();
                region_ids
                    .entry((from_name.to_string(), id.to_string()))
                    .or_default()
                    .extend(0..regions.len());
                answers.insert(from_name.to_string(), Value::Regions(regions));
            }
            (Some(Value::Regions(have)), Value::Regions(more)) => {
                let id = r.get("id").and_then(Json::as_str).unwrap_or_default();
                let start = have.len();
                have.extend(more);
                region_ids
                    .entry((from_name.to_string(), id.to_string()))
                    .or_default()
                    .extend(start..have.len());
            }
            (Some(Value::Markers(have)), Value::Markers(more)) => have.extend(more),
            (None, new) => {
                answers.insert(from_name.to_string(), new);
            }
            (Some(_), _) => {
                return Err((at("from_name"), format!("{from_name:?} is answered twice")))
            }
        }
    }
    for (i, r, question, attribute, kind) in attributes {
        let at = |what: &str| format!("result[{i}].{what}");
        let id = r.get("id").and_then(Json::as_str).ok_or_else(|| {
            (
                at("id"),
                "a region attribute needs its region's id".to_string(),
            )
        })?;
        let value = r
            .get("value")
            .and_then(Json::as_object)
            .ok_or_else(|| (at("value"), "missing".to_string()))?;
        let json = attribute_value(&kind, value).map_err(|p| (at("value"), p))?;
        let indices = region_ids
            .get(&(question.to_string(), id.to_string()))
            .ok_or_else(|| (at("id"), format!("no {question} region has id {id:?}")))?;
        if let Some(Value::Regions(regions)) = answers.get_mut(question) {
            for &k in indices {
                if let Some(region) = regions.get_mut(k) {
                    region
                        .attributes
                        .insert(attribute.to_string(), json.clone());
                }
            }
        }
    }
    let confidence = answers
        .keys()
        .filter_map(|q| Some((q.clone(), scores.get(q).copied().or(prediction_score)?)))
        .collect();
    Ok((answers, confidence, version))
}

/// `question.attribute` naming an attribute of a regions question.
fn region_attribute<'s>(schema: &'s Schema, from_name: &str) -> Option<(&'s str, &'s str)> {
    let (q, a) = from_name.split_once('.')?;
    let question: &Question = schema.questions.iter().find(|x| x.name == q)?;
    let QuestionKind::Regions { attributes, .. } = &question.kind else {
        return None;
    };
    let attr = attributes.iter().find(|x| x.name == a)?;
    Some((&question.name, &attr.name))
}

fn read_value(
    kind: &QuestionKind,
    ls_type: &str,
    v: &Map<String, Json>,
    field: &dyn Fn(&str) -> String,
    at: &dyn Fn(&str) -> String,
) -> Result<Value, Fail> {
    let wrong = |expected: &str| {
        Err((
            at("type"),
            format!("{ls_type:?} does not answer this question (expected {expected})"),
        ))
    };
    match (kind, ls_type) {
        (QuestionKind::SingleChoice { .. } | QuestionKind::Key, "choices") => {
            let mut choices = strings(v, "choices").map_err(|p| (field("choices"), p))?;
            if choices.len() != 1 {
                return Err((
                    field("choices"),
                    format!("expected one choice, got {}", choices.len()),
                ));
            }
            let choice = choices.remove(0);
            if matches!(kind, QuestionKind::Key) {
                return parse_key(&choice).map(Value::Key).ok_or_else(|| {
                    (
                        field("choices"),
                        format!("{choice:?} is not a key such as \"A minor\""),
                    )
                });
            }
            Ok(Value::Choice(choice))
        }
        (QuestionKind::SingleChoice { .. } | QuestionKind::Key, _) => wrong("choices"),
        (QuestionKind::MultiLabel { .. }, "choices") => {
            let choices = strings(v, "choices").map_err(|p| (field("choices"), p))?;
            Ok(Value::Tags(choices.into_iter().collect::<BTreeSet<_>>()))
        }
        (QuestionKind::MultiLabel { .. }, _) => wrong("choices"),
        (QuestionKind::Number { .. }, "number") => number(v, "number")
            .map(Value::Number)
            .map_err(|p| (field("number"), p)),
        (QuestionKind::Number { .. }, _) => wrong("number"),
        (QuestionKind::Rating { .. }, "rating") => number(v, "rating")
            .map(Value::Number)
            .map_err(|p| (field("rating"), p)),
        (QuestionKind::Rating { .. }, _) => wrong("rating"),
        (QuestionKind::Text { .. }, "textarea") => {
            text(v).map(Value::Text).map_err(|p| (field("text"), p))
        }
        (QuestionKind::Text { .. }, _) => wrong("textarea"),
        (QuestionKind::Regions { .. }, "labels") => {
            let (start, end, labels) = span(v).map_err(|(w, p)| (field(w), p))?;
            let end = end.ok_or_else(|| (field("end"), "missing or not a number".to_string()))?;
            if end < start {
                return Err((
                    field("end"),
                    format!("ends ({end}) before it starts ({start})"),
                ));
            }
            Ok(Value::Regions(
                labels
                    .into_iter()
                    .map(|label| Region {
                        start,
                        end,
                        label,
                        attributes: BTreeMap::new(),
                    })
                    .collect(),
            ))
        }
        (QuestionKind::Markers { .. }, "labels") => {
            let (start, end, labels) = span(v).map_err(|(w, p)| (field(w), p))?;
            if end.is_some_and(|e| (e - start).abs() > 1e-3) {
                return Err((
                    field("end"),
                    "a marker is a zero-length region (end = start)".to_string(),
                ));
            }
            Ok(Value::Markers(
                labels
                    .into_iter()
                    .map(|label| Marker { time: start, label })
                    .collect(),
            ))
        }
        (QuestionKind::Regions { .. } | QuestionKind::Markers { .. }, _) => wrong("labels"),
    }
}

/// `start`, optional `end`, and at least one label.
/// A `labels` value: start, optional end, labels.
type Span = (f64, Option<f64>, Vec<String>);

fn span(v: &Map<String, Json>) -> Result<Span, (&'static str, String)> {
    let start = number(v, "start").map_err(|p| ("start", p))?;
    let end = match v.get("end") {
        None | Some(Json::Null) => None,
        Some(_) => Some(number(v, "end").map_err(|p| ("end", p))?),
    };
    let labels = strings(v, "labels").map_err(|p| ("labels", p))?;
    if labels.is_empty() {
        return Err(("labels", "expected at least one label".into()));
    }
    Ok((start, end, labels))
}

fn strings(v: &Map<String, Json>, key: &str) -> Result<Vec<String>, String> {
    let items = v
        .get(key)
        .and_then(Json::as_array)
        .ok_or("missing or not an array")?;
    items
        .iter()
        .map(|j| {
            j.as_str()
                .map(str::to_string)
                .ok_or_else(|| "expected strings".to_string())
        })
        .collect()
}

fn number(v: &Map<String, Json>, key: &str) -> Result<f64, String> {
    v.get(key)
        .and_then(Json::as_f64)
        .filter(|x| x.is_finite())
        .ok_or_else(|| "missing or not a number".into())
}

fn text(v: &Map<String, Json>) -> Result<String, String> {
    match v.get("text") {
        Some(Json::String(s)) => Ok(s.clone()),
        Some(Json::Array(_)) => Ok(strings(v, "text")?.join("\n")),
        _ => Err("missing, or neither a string nor an array of strings".into()),
    }
}

/// A per-region attribute's value in the answer's wire form.
fn attribute_value(kind: &str, v: &Map<String, Json>) -> Result<Json, String> {
    match kind {
        "choices" => {
            let mut c = strings(v, "choices")?;
            Ok(if c.len() == 1 {
                Json::String(c.remove(0))
            } else {
                Json::Array(c.into_iter().map(Json::String).collect())
            })
        }
        "number" => number(v, "number").map(Json::from),
        "rating" => number(v, "rating").map(Json::from),
        "textarea" => text(v).map(Json::String),
        other => Err(format!("type {other:?} cannot carry a region attribute")),
    }
}
