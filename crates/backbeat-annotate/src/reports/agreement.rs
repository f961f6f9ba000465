//! Report-level agreement: per question (α with the metric of its kind, see
//! [`crate::agreement::report`]) and per annotator pair, each annotator's agreement with peers
//! and with gold, and the model's accuracy on spot checks.
//!
//! Memory: the project is read a page of items at a time (with their annotations), so each
//! item is complete when it is read and an item with fewer than two human answers to a
//! question — nothing to compare — is dropped at once. α needs every pairable value of a
//! question together; those are kept, compactly: the table handed to α has one row per
//! *answer slot* (the first, second, … answer to an item), not per annotator, because α
//! depends only on each unit's multiset of values — a project with 200 annotators and an
//! overlap of 2 gives a 2 (or 3, with escalation) × items table instead of 200 × items. The
//! pair coefficients get a two-row table per pair built from the same values.
//!
//! Human answers are the `open` stage's (the annotators'); an expert answers an escalated item
//! alone and a QA verdict is a review, so neither is a coder of the reliability data. An
//! annotator who answered an item twice (QA sent it back) counts with the later answer.

use std::collections::{BTreeMap, HashMap};

use backbeat_store::annotation::{AnnotationRecord, Stage};
use backbeat_store::{AnnotationStore, Id};
use serde::Serialize;
use serde_json::Value as Json;

use super::{stored_schema, PAGE};
use crate::agreement::{
    pair_agreements, question_agreement, value_agreement, PairMeasure, QuestionAgreement,
    ReliabilityData,
};
use crate::answer::Value;
use crate::engine::{AnnotateError, AnnotateResult};
use crate::schema::{QuestionKind, Schema};

/// Agreement over a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreementReport {
    pub project_id: Id,
    /// Per question, in schema order; text questions are not scored and left out.
    pub questions: Vec<QuestionReport>,
    /// Per annotator: agreement with peers and with gold.
    pub annotators: Vec<AnnotatorAgreement>,
}

/// One question's agreement, overall and per annotator pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionReport {
    pub question: String,
    #[serde(flatten)]
    pub agreement: QuestionAgreement,
    pub pairs: Vec<NamedPairAgreement>,
}

/// Two annotators' agreement on one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedPairAgreement {
    pub annotator_a: Id,
    pub annotator_b: Id,
    pub common_items: usize,
    pub measure: PairMeasure,
    pub value: Option<f64>,
}

/// One annotator's agreement with the others and with gold answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotatorAgreement {
    pub annotator_id: Id,
    /// Mean agreement of their answers with each peer's answer to the same item and question.
    pub peer_agreement: Option<f64>,
    /// Answer pairs that mean is over.
    pub peer_comparisons: u64,
    /// Mean agreement with the gold answers of the gold items they answered.
    pub gold_accuracy: Option<f64>,
    pub gold_items: u64,
}

/// The model's accuracy on one question's spot checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpotCheckAccuracy {
    pub question: String,
    pub checks: u64,
    /// Mean agreement of the model's answer with the person's.
    pub accuracy: Option<f64>,
}

/// One question's pairable values, gathered page by page.
#[derive(Default)]
struct Gathered {
    /// Per item with ≥ 2 answers: (coder, value), coders ascending.
    units: Vec<Vec<(usize, Value)>>,
}

/// Peer comparisons per coder: (sum, count).
type Peers = HashMap<usize, (f64, u64)>;

fn gather_item(
    schema: &Schema,
    anns: &[AnnotationRecord],
    coders: &mut HashMap<Id, usize>,
    ids: &mut Vec<Id>,
    gathered: &mut [Gathered],
    peers: &mut Peers,
) {
    // Later answers of one annotator replace earlier ones (a QA rejection's second round).
    let mut latest: BTreeMap<usize, &Json> = BTreeMap::new();
    for a in anns.iter().filter(|a| a.stage == Stage::Open) {
        let next = ids.len();
        let c = *coders.entry(a.annotator_id).or_insert(next);
        if c == next {
            ids.push(a.annotator_id);
        }
        latest.insert(c, &a.answers);
    }
    if latest.len() < 2 {
        return;
    }
    let read: Vec<(usize, _)> = latest
        .into_iter()
        .map(|(c, j)| (c, schema.read_stored(j)))
        .collect();
    for (q, g) in schema.questions.iter().zip(gathered.iter_mut()) {
        if matches!(q.kind, QuestionKind::Text { .. }) {
            continue;
        }
        let unit: Vec<(usize, Value)> = read
            .iter()
            .filter_map(|(c, ans)| Some((*c, ans.get(&q.name)?.clone())))
            .collect();
        if unit.len() < 2 {
            continue;
        }
        for (i, (ci, vi)) in unit.iter().enumerate() {
            for (cj, vj) in unit.iter().skip(i + 1) {
                if let Some(s) = value_agreement(&q.kind, vi, vj) {
                    for c in [*ci, *cj] {
                        let e = peers.entry(c).or_insert((0.0, 0));
                        e.0 += s;
                        e.1 += 1;
                    }
                }
            }
        }
        g.units.push(unit);
    }
}

/// Two annotators' values on their common items, in item order.
type PairValues = (Vec<Option<Value>>, Vec<Option<Value>>);

fn question_report(
    name: &str,
    kind: &QuestionKind,
    g: Gathered,
    ids: &[Id],
) -> Option<QuestionReport> {
    let slots = g.units.iter().map(Vec::len).max().unwrap_or(0);
    let mut table = ReliabilityData::new(slots, g.units.len());
    // Per pair (a < b): their values on common items, in item order.
    let mut pairs: BTreeMap<(usize, usize), PairValues> = BTreeMap::new();
    for (u, unit) in g.units.into_iter().enumerate() {
        for (i, (ci, vi)) in unit.iter().enumerate() {
            for (cj, vj) in unit.iter().skip(i + 1) {
                let e = pairs.entry((*ci, *cj)).or_default();
                e.0.push(Some(vi.clone()));
                e.1.push(Some(vj.clone()));
            }
        }
        for (slot, (_, v)) in unit.into_iter().enumerate() {
            table.set(slot, u, Some(v));
        }
    }
    let agreement = question_agreement(kind, &table)?;
    drop(table);
    let pairs = pairs
        .into_iter()
        .filter_map(|((a, b), (xs, ys))| {
            let data = ReliabilityData::from_rows(vec![xs, ys]).ok()?;
            let p = pair_agreements(kind, &data).into_iter().next()?;
            Some(NamedPairAgreement {
                annotator_a: *ids.get(a)?,
                annotator_b: *ids.get(b)?,
                common_items: p.common_items,
                measure: p.measure,
                value: p.value,
            })
        })
        .collect();
    Some(QuestionReport {
        question: name.to_string(),
        agreement,
        pairs,
    })
}

fn unreadable() -> AnnotateError {
    AnnotateError::Conflict("the project's stored schema cannot be read".into())
}

/// The agreement report of a project (see the module for what it reads and keeps).
pub async fn agreement_report(
    store: &dyn AnnotationStore,
    project: Id,
) -> AnnotateResult<AgreementReport> {
    let record = store.project(project).await?;
    let schema = stored_schema(&record).ok_or_else(unreadable)?;
    let mut coders: HashMap<Id, usize> = HashMap::new();
    let mut ids: Vec<Id> = Vec::new();
    let mut gathered: Vec<Gathered> = schema
        .questions
        .iter()
        .map(|_| Gathered::default())
        .collect();
    let mut peers = Peers::new();
    let mut after = 0;
    loop {
        let items = store.items(project, None, after, PAGE).await?;
        let Some(last) = items.last() else { break };
        after = last.id;
        let item_ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let anns = store.item_annotations(&item_ids).await?;
        for chunk in anns.chunk_by(|a, b| a.item_id == b.item_id) {
            gather_item(
                &schema,
                chunk,
                &mut coders,
                &mut ids,
                &mut gathered,
                &mut peers,
            );
        }
    }
    let questions = schema
        .questions
        .iter()
        .zip(gathered)
        .filter_map(|(q, g)| question_report(&q.name, &q.kind, g, &ids))
        .collect();
    let mut annotators = Vec::new();
    for a in store.annotators(project).await? {
        let (sum, n) = coders
            .get(&a.id)
            .and_then(|c| peers.get(c))
            .copied()
            .unwrap_or((0.0, 0));
        let (gold_accuracy, gold_items) = gold_accuracy(&schema, store, a.id).await?;
        annotators.push(AnnotatorAgreement {
            annotator_id: a.id,
            peer_agreement: (n > 0).then(|| sum / n as f64),
            peer_comparisons: n,
            gold_accuracy,
            gold_items,
        });
    }
    Ok(AgreementReport {
        project_id: project,
        questions,
        annotators,
    })
}

/// Mean over gold items of the mean agreement of the scored questions with the gold answer
/// (the measure the engine pauses annotators by).
async fn gold_accuracy(
    schema: &Schema,
    store: &dyn AnnotationStore,
    annotator: Id,
) -> AnnotateResult<(Option<f64>, u64)> {
    let mut sum = 0.0;
    let mut n = 0u64;
    for (answer, gold) in store.gold_answers(annotator).await? {
        let (answer, gold) = (schema.read_stored(&answer), schema.read_stored(&gold));
        let scores: Vec<f64> = schema
            .questions
            .iter()
            .filter_map(|q| value_agreement(&q.kind, answer.get(&q.name)?, gold.get(&q.name)?))
            .collect();
        if !scores.is_empty() {
            sum += scores.iter().sum::<f64>() / scores.len() as f64;
            n += 1;
        }
    }
    Ok(((n > 0).then(|| sum / n as f64), n))
}

/// The model's accuracy per question over the project's spot checks: the mean of the
/// per-question agreement each `spot_check` decision logged (model and person as the two
/// coders), read a page of the log at a time.
pub async fn spot_check_accuracy(
    store: &dyn AnnotationStore,
    project: Id,
) -> AnnotateResult<Vec<SpotCheckAccuracy>> {
    let mut acc: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    let mut after = 0;
    loop {
        let events = store
            .project_events(project, "spot_check", after, PAGE)
            .await?;
        let Some(last) = events.last() else { break };
        after = last.id;
        for e in &events {
            let Some(per) = e.detail.get("agreement").and_then(Json::as_object) else {
                continue;
            };
            for (q, v) in per {
                if let Some(x) = v.as_f64().filter(|x| x.is_finite()) {
                    let a = acc.entry(q.clone()).or_insert((0.0, 0));
                    a.0 += x;
                    a.1 += 1;
                }
            }
        }
    }
    Ok(acc
        .into_iter()
        .map(|(question, (sum, n))| SpotCheckAccuracy {
            question,
            checks: n,
            accuracy: (n > 0).then(|| sum / n as f64),
        })
        .collect())
}
