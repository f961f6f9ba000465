//! The workflow's decisions, pure: how a new item is routed from its models' answers, and what
//! a submission changes. The store calls [`decide`] under the item's lock; nothing here does
//! I/O, so every rule is tested without a database and costs microseconds.

use std::collections::BTreeMap;

use backbeat_store::annotation::{
    AnnotationRecord, ItemChange, ItemRecord, ItemState, Resolution, Stage, Verdict,
};
use backbeat_store::model::Millis;
use serde_json::{json, Map, Value as Json};

use crate::agreement::item_agreement;
use crate::answer::{Answers, Value};
use crate::engine::result::medoid;
use crate::schema::{QuestionKind, Schema};
use crate::settings::{purpose, Settings};

/// A model's answer to one question with its confidence, and which model gave it.
#[derive(Debug, Clone)]
pub struct ModelAnswer {
    pub value: Value,
    pub confidence: f64,
}

/// The routing of a new item, given the most confident model answer per question.
pub fn route(
    schema: &Schema,
    settings: &Settings,
    item: &ItemRecord,
    best: &BTreeMap<String, ModelAnswer>,
    now: Millis,
) -> ItemChange {
    let mut change = ItemChange::from_item(item);
    let mut accepted = Map::new();
    let mut open = Vec::new();
    for q in &schema.questions {
        match best.get(&q.name) {
            Some(m) if m.confidence >= settings.accept_threshold(&q.name) => {
                accepted.insert(q.name.clone(), to_json(&m.value));
            }
            _ => open.push(q.name.clone()),
        }
    }
    change.taken = 0;
    change.events.push((
        "routed".into(),
        json!({"accepted": accepted.keys().collect::<Vec<_>>(), "open": open}),
    ));
    if open.is_empty() {
        change.result = Some(Json::Object(accepted));
        if settings.draw(purpose::SPOT_CHECK, item.id, item.round) < settings.spot_check_share {
            // One person answers everything; agreement with the model measures it.
            change.state = ItemState::Open;
            change.needed = 1;
            change.spot_check = true;
            change.open_questions = None;
        } else {
            change.agreement = None;
            resolve(&mut change, settings, item, Resolution::Model, now);
        }
    } else {
        change.state = ItemState::Open;
        change.needed = settings.overlap;
        change.spot_check = false;
        change.open_questions = Some(json!(open));
        change.result = Some(Json::Object(accepted));
    }
    change
}

/// Ends an item's work: `review` when QA samples it (or it was flagged), else `resolved`.
fn resolve(
    change: &mut ItemChange,
    settings: &Settings,
    item: &ItemRecord,
    how: Resolution,
    now: Millis,
) {
    change.resolution = Some(how);
    change.taken = 0;
    if change.flagged || settings.draw(purpose::QA, item.id, item.round) < settings.qa_share {
        change.state = ItemState::Review;
        change.needed = 1;
    } else {
        change.state = ItemState::Resolved;
        change.needed = 0;
        change.resolved_at = Some(now);
    }
}

/// The questions people answer on this item: the open list, or every question.
pub fn open_questions<'s>(schema: &'s Schema, item: &ItemRecord) -> Vec<&'s str> {
    let listed: Option<Vec<String>> = item
        .open_questions
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    schema
        .questions
        .iter()
        .map(|q| q.name.as_str())
        .filter(|n| listed.as_ref().is_none_or(|l| l.iter().any(|x| x == n)))
        .collect()
}

/// Per-question item agreement of `answers` over `questions` (unscored questions left out).
pub fn agreements(
    schema: &Schema,
    questions: &[&str],
    answers: &[Answers],
) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for name in questions {
        let Some(q) = schema.question(name) else {
            continue;
        };
        let values: Vec<&Value> = answers.iter().filter_map(|a| a.get(*name)).collect();
        if values.len() < 2 {
            continue;
        }
        if let Some(a) = item_agreement(&q.kind, &values) {
            out.insert((*name).to_string(), a);
        }
    }
    out
}

/// The change a submission makes, given the item (before it) and its annotations of the
/// current round, the new one last. `None`: the item waits for more answers.
pub fn decide(
    schema: &Schema,
    settings: &Settings,
    item: &ItemRecord,
    round: &[AnnotationRecord],
    now: Millis,
) -> Option<ItemChange> {
    let last = round.last()?;
    let mut change = ItemChange::from_item(item);
    match last.stage {
        Stage::Model | Stage::Gold => None,
        Stage::Open => {
            let people: Vec<&AnnotationRecord> =
                round.iter().filter(|a| a.stage == Stage::Open).collect();
            if (people.len() as i64) < item.needed {
                return None;
            }
            let questions = open_questions(schema, item);
            let mut answers: Vec<Answers> = people
                .iter()
                .map(|a| schema.read_stored(&a.answers))
                .collect();
            let base = item.result.clone().unwrap_or_else(|| json!({}));
            if item.spot_check {
                // The model's answer is the first coder: agreement is the model's accuracy.
                answers.insert(0, schema.read_stored(&base));
            }
            let per_question = agreements(schema, &questions, &answers);
            let worst = per_question.values().copied().fold(1.0_f64, f64::min);
            change.agreement = Some(worst);
            let below: Vec<&String> = per_question
                .iter()
                .filter(|(q, a)| **a < settings.agreement_threshold(q))
                .map(|(q, _)| q)
                .collect();
            if below.is_empty() {
                if item.spot_check {
                    change.result = Some(base);
                    change.events.push((
                        "spot_check".into(),
                        json!({"agreed": true, "agreement": per_question}),
                    ));
                    resolve(&mut change, settings, item, Resolution::Model, now);
                } else {
                    let people_answers: Vec<Answers> = answers;
                    change.result = Some(merge(schema, &base, &questions, &people_answers));
                    resolve(&mut change, settings, item, Resolution::Consensus, now);
                }
            } else {
                if item.spot_check {
                    change.events.push((
                        "spot_check".into(),
                        json!({"agreed": false, "agreement": per_question}),
                    ));
                    // People decide from here: the model's answers stop counting.
                    change.spot_check = false;
                    change.result = Some(json!({}));
                }
                if item.extra < settings.max_extra {
                    change.extra += 1;
                    change.needed += 1;
                    change.events.push((
                        "escalated".into(),
                        json!({"to": "another annotator", "below": below, "agreement": per_question}),
                    ));
                } else {
                    change.state = ItemState::Expert;
                    change.needed = 1;
                    change.taken = 0;
                    change.events.push((
                        "escalated".into(),
                        json!({"to": "expert", "below": below, "agreement": per_question}),
                    ));
                }
            }
            Some(change)
        }
        Stage::Expert => {
            let base = item.result.clone().unwrap_or_else(|| json!({}));
            let questions = open_questions(schema, item);
            let expert = schema.read_stored(&last.answers);
            change.result = Some(merge(schema, &base, &questions, &[expert]));
            resolve(&mut change, settings, item, Resolution::Expert, now);
            Some(change)
        }
        Stage::Review => {
            change.flagged = false;
            match last.verdict.unwrap_or(Verdict::Accept) {
                Verdict::Accept => {
                    change.state = ItemState::Resolved;
                    change.needed = 0;
                    change.taken = 0;
                    change.resolved_at = Some(now);
                }
                Verdict::Fix => {
                    let base = item.result.clone().unwrap_or_else(|| json!({}));
                    let all: Vec<&str> = schema.questions.iter().map(|q| q.name.as_str()).collect();
                    let fix = schema.read_stored(&last.answers);
                    change.result = Some(merge(schema, &base, &all, &[fix]));
                    change.resolution = Some(Resolution::Qa);
                    change.state = ItemState::Resolved;
                    change.needed = 0;
                    change.taken = 0;
                    change.resolved_at = Some(now);
                }
                Verdict::Reject => {
                    // Back to the people who answered this round, with QA's comment.
                    let people = round
                        .iter()
                        .filter(|a| a.stage == Stage::Open)
                        .map(|a| a.annotator_id)
                        .collect::<std::collections::BTreeSet<_>>()
                        .len() as i64;
                    change.state = ItemState::Open;
                    change.round += 1;
                    change.needed = people.max(1);
                    change.taken = 0;
                    change.extra = 0;
                    change.spot_check = false;
                    change.agreement = None;
                    change.resolution = None;
                    change.resolved_at = None;
                    change.return_to_annotators = true;
                    // Keep what the model accepted; what people answered is asked again.
                    if let (Some(Json::Object(r)), Some(open)) =
                        (&item.result, item.open_questions.as_ref())
                    {
                        let open: Vec<String> =
                            serde_json::from_value(open.clone()).unwrap_or_default();
                        let kept: Map<String, Json> = r
                            .iter()
                            .filter(|(k, _)| !open.contains(k))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        change.result = Some(Json::Object(kept));
                    } else {
                        change.result = Some(json!({}));
                    }
                    change.events.push((
                        "rejected".into(),
                        json!({"comment": last.comment, "returnedTo": people}),
                    ));
                }
            }
            Some(change)
        }
    }
}

/// `base` (what the model accepted) with each of `questions` set to the medoid of `answers`.
fn merge(schema: &Schema, base: &Json, questions: &[&str], answers: &[Answers]) -> Json {
    let mut out = match base {
        Json::Object(m) => m.clone(),
        _ => Map::new(),
    };
    for name in questions {
        let Some(q) = schema.question(name) else {
            continue;
        };
        let values: Vec<&Value> = answers.iter().filter_map(|a| a.get(*name)).collect();
        if let Some(v) = pick(&q.kind, &values) {
            out.insert((*name).to_string(), to_json(v));
        }
    }
    Json::Object(out)
}

fn pick<'a>(kind: &QuestionKind, values: &[&'a Value]) -> Option<&'a Value> {
    match values {
        [] => None,
        [one] => Some(one),
        _ => medoid(kind, values),
    }
}

/// An answer value as stored.
pub fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}
