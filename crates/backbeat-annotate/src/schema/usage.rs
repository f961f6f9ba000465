//! What stored answers use, and what a new schema version would orphan.
//!
//! Checking a new version against every stored answer would read the whole project (a
//! million items) on each edit. Instead storage keeps one [`LabelUsage`] per project, grown by
//! [`LabelUsage::add`] as answers are stored, and [`Schema::orphans`] compares the new version
//! with it alone. The usage only grows: an answer that is later replaced still counts, which
//! can refuse a change that would in fact be safe, never allow one that is not.
//!
//! An orphan is a stored value the new version could not read back: a removed question that
//! has answers, a changed type, a removed label in use, a range narrowed past a stored number,
//! a `max_length` below the longest stored text, a removed region attribute in use. Anything
//! unused may go freely, and additions never orphan.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::answer::{Answers, Value};

use super::answers::decode_one;
use super::{Question, QuestionKind, QuestionType, Schema};

/// What a project's stored answers use, per question name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelUsage {
    pub questions: BTreeMap<String, QuestionUsage>,
}

/// What the stored answers to one question (or one region attribute) use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionUsage {
    /// The question types the answers were given under (one, unless a type changed while the
    /// question had no answers and this usage was kept).
    #[serde(default)]
    pub types: BTreeSet<QuestionType>,
    /// How many answers (for an attribute: regions) gave a value.
    #[serde(default)]
    pub count: u64,
    /// Each label used, with how often (choices, tags, region and marker labels).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, u64>,
    /// The smallest number stored (numbers and ratings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest number stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The longest text stored, in characters.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub longest_text: usize,
    /// Region attributes, by attribute name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, QuestionUsage>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl LabelUsage {
    /// Counts one stored answer, given under `schema` (the version it was checked against:
    /// the schema tells a rating from a number and types region attributes, which the answer
    /// alone does not).
    pub fn add(&mut self, schema: &Schema, answers: &Answers) {
        for (name, value) in answers {
            let usage = self.questions.entry(name.clone()).or_default();
            match schema.question(name) {
                Some(q) => usage.add(q, value),
                // Not in the schema (the caller skipped the check): still counted, so removing
                // the question is refused.
                None => usage.count += 1,
            }
        }
    }
}

impl QuestionUsage {
    fn add(&mut self, q: &Question, value: &Value) {
        self.types.insert(q.kind.question_type());
        self.count += 1;
        match value {
            Value::Choice(label) => self.label(label),
            Value::Tags(tags) => tags.iter().for_each(|t| self.label(t)),
            Value::Number(x) => {
                self.min = Some(self.min.map_or(*x, |m| m.min(*x)));
                self.max = Some(self.max.map_or(*x, |m| m.max(*x)));
            }
            Value::Key(_) => {}
            Value::Text(s) => self.longest_text = self.longest_text.max(s.chars().count()),
            Value::Regions(regions) => {
                for r in regions {
                    self.label(&r.label);
                    for (name, json) in &r.attributes {
                        let usage = self.attributes.entry(name.clone()).or_default();
                        let attribute = q.kind.attributes().iter().find(|a| a.name == *name);
                        match attribute.and_then(|a| Some((a, decode_one(a, json)?))) {
                            Some((a, v)) => usage.add(a, &v),
                            None => usage.count += 1,
                        }
                    }
                }
            }
            Value::Markers(markers) => markers.iter().for_each(|m| self.label(&m.label)),
        }
    }

    fn label(&mut self, label: &str) {
        match self.labels.get_mut(label) {
            Some(n) => *n += 1,
            None => {
                self.labels.insert(label.to_owned(), 1);
            }
        }
    }
}

/// A stored value a new schema version would leave without a home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Orphan {
    /// The question.
    pub question: String,
    /// The region attribute, when the orphan is inside one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The label, when one label is orphaned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub reason: OrphanReason,
    /// The same for a person: what is used and how the new version differs.
    pub detail: String,
}

/// Why a stored value would be orphaned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrphanReason {
    QuestionRemoved,
    AttributeRemoved,
    TypeChanged,
    LabelRemoved,
    OutOfRange,
    TextTooLong,
}

impl Schema {
    /// Every stored value this (new) version would orphan, given what the stored answers use;
    /// empty when the version may replace the old one.
    pub fn orphans(&self, usage: &LabelUsage) -> Vec<Orphan> {
        let mut out = Vec::new();
        for (name, used) in &usage.questions {
            if used.count == 0 {
                continue;
            }
            match self.question(name) {
                Some(q) => orphans_of(q, used, name, None, &mut out),
                None => out.push(Orphan {
                    question: name.clone(),
                    attribute: None,
                    label: None,
                    reason: OrphanReason::QuestionRemoved,
                    detail: format!("the question is removed but {} answers use it", used.count),
                }),
            }
        }
        out
    }
}

/// The orphans of one question (or attribute) `q` given its usage.
fn orphans_of(
    q: &Question,
    used: &QuestionUsage,
    question: &str,
    attribute: Option<&str>,
    out: &mut Vec<Orphan>,
) {
    let orphan = |label: Option<String>, reason, detail| Orphan {
        question: question.to_owned(),
        attribute: attribute.map(str::to_owned),
        label,
        reason,
        detail,
    };
    let ty = q.kind.question_type();
    if let Some(old) = used.types.iter().find(|t| **t != ty) {
        out.push(orphan(
            None,
            OrphanReason::TypeChanged,
            format!("{} stored {old} answers cannot be read as {ty}", used.count),
        ));
        return;
    }
    let labels: HashSet<&str> = q.kind.labels().iter().map(String::as_str).collect();
    for (label, n) in &used.labels {
        if !labels.contains(label.as_str()) {
            out.push(orphan(
                Some(label.clone()),
                OrphanReason::LabelRemoved,
                format!("the label is removed but used {n} times"),
            ));
        }
    }
    let range = match &q.kind {
        QuestionKind::Number { min, max, .. } => Some((*min, *max)),
        QuestionKind::Rating { min, max } => Some((*min as f64, *max as f64)),
        _ => None,
    };
    if let (Some((min, max)), Some(lo), Some(hi)) = (range, used.min, used.max) {
        if lo < min || hi > max {
            out.push(orphan(
                None,
                OrphanReason::OutOfRange,
                format!("stored values span {lo}..={hi}; the new range is {min}..={max}"),
            ));
        }
    }
    if let QuestionKind::Text { max_length } = q.kind {
        if used.longest_text > max_length {
            out.push(orphan(
                None,
                OrphanReason::TextTooLong,
                format!(
                    "a stored text has {} characters; the new limit is {max_length}",
                    used.longest_text
                ),
            ));
        }
    }
    if attribute.is_none() {
        for (name, a_used) in &used.attributes {
            if a_used.count == 0 {
                continue;
            }
            match q.kind.attributes().iter().find(|a| a.name == *name) {
                Some(a) => orphans_of(a, a_used, question, Some(name), out),
                None => out.push(Orphan {
                    question: question.to_owned(),
                    attribute: Some(name.clone()),
                    label: None,
                    reason: OrphanReason::AttributeRemoved,
                    detail: format!(
                        "the attribute is removed but {} regions carry it",
                        a_used.count
                    ),
                }),
            }
        }
    }
}
