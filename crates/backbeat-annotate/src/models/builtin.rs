//! The built-in model: pre-annotations read from stored pipeline outputs, no decoding.
//!
//! - `tags:<group>` → single choice: the label with the most tag probability (tags mapped to
//!   labels by case-insensitive name or `aliases`; several tags on one label add up). Its
//!   confidence is that mass over the group's mapped mass — but over at least 1: the store
//!   keeps only the tags the tagger reported (those above its thresholds), so when the
//!   reported mass is below 1 the rest is unaccounted for, and a lone weak tag must not look
//!   certain.
//! - `tags:<group>` → multi-label: the labels whose probability (the highest of their tags)
//!   reaches the threshold (default 0.5). Confidence is the least certain decision: min over
//!   the labels of p for a label chosen and 1 − p for one left out (max(p, 1 − p) at 0.5). A
//!   label without a stored tag counts as p = 0: the tagger did not report it, and the store
//!   does not keep the probabilities below the tagger's own thresholds (0.1–0.4).
//! - `analysis:bpm` → number, with the tempo estimate's confidence; a tempo outside the
//!   question's range is left unanswered.
//! - `analysis:key` → key, with the key strength.
//! - `analysis:beats` → markers: the beat grid inside the item, each marker labelled with the
//!   question's `beat` label (else its first), with the tempo estimate's confidence. The
//!   analysis finds beats, not bars, so no marker is called a downbeat; people add those.
//!   A grid longer than the schema allows markers is left unanswered rather than cut short.
//!
//! A question whose source has nothing (an untagged track, no tempo found) is left out of
//! the answers. Cost: a few string comparisons per stored tag.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::json;

use super::config::{Binding, BuiltinConfig, Source};
use super::prediction::clamp_confidence;
use super::{ConfigError, Prediction, StoredOutputs};
use crate::answer::{Answers, Marker, Value};
use crate::schema::{QuestionKind, Schema, MAX_MARKERS};

/// The built-in model, its bindings checked against a schema.
#[derive(Debug, Clone)]
pub struct BuiltinModel {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    question: String,
    source_text: String,
    how: How,
}

#[derive(Debug, Clone)]
enum How {
    Single {
        group: String,
        labels: LabelMap,
    },
    Multi {
        group: String,
        labels: LabelMap,
        threshold: f64,
    },
    Bpm {
        min: f64,
        max: f64,
    },
    Key,
    Beats {
        label: String,
    },
}

/// Tagger tag → schema label.
#[derive(Debug, Clone)]
struct LabelMap {
    /// Lower-cased tag or label name → label.
    by_name: HashMap<String, String>,
    /// The question's labels, each counting for multi-label confidence; `None` for a
    /// question whose vocabulary is the tagger's own (every tag of the group is a label).
    closed: Option<Vec<String>>,
}

impl LabelMap {
    fn label_of(&self, tag: &str) -> Option<&str> {
        self.by_name
            .get(&tag.trim().to_lowercase())
            .map(String::as_str)
    }
}

impl BuiltinModel {
    /// Checks every binding against the schema: the question exists, is bound once, and its
    /// kind fits the source; aliases point at the question's labels; thresholds in [0, 1].
    pub fn new(config: &BuiltinConfig, schema: &Schema) -> Result<BuiltinModel, ConfigError> {
        let mut rules = Vec::with_capacity(config.bindings.len());
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, binding) in config.bindings.iter().enumerate() {
            if let Some(&first) = seen.get(binding.question.as_str()) {
                return Err(ConfigError::DuplicateBinding {
                    index,
                    first,
                    question: binding.question.clone(),
                });
            }
            seen.insert(&binding.question, index);
            rules.push(resolve(index, binding, schema)?);
        }
        Ok(BuiltinModel { rules })
    }

    /// The questions it answers, in binding order.
    pub fn questions(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.question.as_str())
    }

    /// The pre-annotation of one item from its stored outputs.
    pub fn predict(&self, stored: &StoredOutputs) -> Prediction {
        let mut answers = Answers::new();
        let mut confidence = BTreeMap::new();
        let mut versions = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            let version = match rule.how {
                How::Single { .. } | How::Multi { .. } => stored.tagger.as_deref().unwrap_or("1"),
                How::Bpm { .. } | How::Key | How::Beats { .. } => "1",
            };
            versions.push(format!("{}@{version}", rule.source_text));
            let Some((value, conf)) = rule.how.answer(stored) else {
                continue;
            };
            if let Some(c) = conf.and_then(clamp_confidence) {
                confidence.insert(rule.question.clone(), c);
            }
            answers.insert(rule.question.clone(), value);
        }
        Prediction {
            answers,
            confidence,
            model_version: format!("builtin:{}", versions.join(",")),
            derived_from: json!({"job": "summary", "updatedAt": stored.updated_at}),
        }
    }
}

impl How {
    fn answer(&self, stored: &StoredOutputs) -> Option<(Value, Option<f64>)> {
        match self {
            How::Single { group, labels } => {
                let mut mass: BTreeMap<&str, f64> = BTreeMap::new();
                for t in stored.tags.iter().filter(|t| &t.group == group) {
                    if let Some(label) = labels.label_of(&t.tag) {
                        *mass.entry(label).or_default() += t.confidence;
                    }
                }
                let total: f64 = mass.values().sum();
                let (best, p) =
                    mass.into_iter()
                        .fold(None::<(&str, f64)>, |best, (l, p)| match best {
                            Some((_, bp)) if bp >= p => best,
                            _ => Some((l, p)),
                        })?;
                (p > 0.0).then(|| (Value::Choice(best.to_string()), Some(p / total.max(1.0))))
            }
            How::Multi {
                group,
                labels,
                threshold,
            } => {
                if stored.tags.is_empty() {
                    // An untagged track: nothing to say, not "none of these".
                    return None;
                }
                let mut p: BTreeMap<String, f64> = labels
                    .closed
                    .iter()
                    .flatten()
                    .map(|l| (l.clone(), 0.0))
                    .collect();
                for t in stored.tags.iter().filter(|t| &t.group == group) {
                    let label = match labels.label_of(&t.tag) {
                        Some(l) => l.to_string(),
                        None if labels.closed.is_none() => t.tag.clone(),
                        None => continue,
                    };
                    let e = p.entry(label).or_default();
                    *e = e.max(t.confidence);
                }
                // A label the tagger did not report (p = 0) is never chosen, even at threshold 0.
                let is_chosen = |q: f64| q > 0.0 && q >= *threshold;
                let chosen: BTreeSet<String> = p
                    .iter()
                    .filter(|(_, &q)| is_chosen(q))
                    .map(|(l, _)| l.clone())
                    .collect();
                // The certainty of each decision made: p for a label chosen, 1 − p for one
                // left out (max(p, 1 − p) at the usual 0.5 threshold).
                let conf = p
                    .values()
                    .map(|&q| if is_chosen(q) { q } else { 1.0 - q })
                    .fold(1.0, f64::min);
                Some((Value::Tags(chosen), Some(conf)))
            }
            How::Bpm { min, max } => {
                let bpm = stored
                    .bpm
                    .filter(|b| b.is_finite() && (*min..=*max).contains(b))?;
                Some((Value::Number(bpm), stored.bpm_confidence))
            }
            How::Key => Some((Value::Key(stored.key?), stored.key_confidence)),
            How::Beats { label } => {
                if stored.beats.is_empty() || stored.beats.len() > MAX_MARKERS {
                    return None;
                }
                let markers = stored
                    .beats
                    .iter()
                    .map(|&time| Marker {
                        time,
                        label: label.clone(),
                    })
                    .collect();
                Some((Value::Markers(markers), stored.bpm_confidence))
            }
        }
    }
}

/// A question kind's name as the schema spells it.
pub(crate) fn kind_name(kind: &QuestionKind) -> &'static str {
    match kind {
        QuestionKind::SingleChoice { .. } => "single_choice",
        QuestionKind::MultiLabel { .. } => "multi_label",
        QuestionKind::Number { .. } => "number",
        QuestionKind::Key => "key",
        QuestionKind::Rating { .. } => "rating",
        QuestionKind::Text { .. } => "text",
        QuestionKind::Regions { .. } => "regions",
        QuestionKind::Markers { .. } => "markers",
    }
}

fn resolve(index: usize, b: &Binding, schema: &Schema) -> Result<Rule, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        field: format!("binding #{index} ({} ← {})", b.question, b.source),
        problem,
    };
    let source = Source::parse(&b.source).ok_or_else(|| ConfigError::UnknownSource {
        index,
        from: b.source.clone(),
    })?;
    let question = schema
        .questions
        .iter()
        .find(|q| q.name == b.question)
        .ok_or_else(|| ConfigError::UnknownQuestion {
            index,
            question: b.question.clone(),
            from: b.source.clone(),
        })?;
    let mismatch = |hint: &'static str| ConfigError::SourceMismatch {
        index,
        question: b.question.clone(),
        from: b.source.clone(),
        kind: kind_name(&question.kind),
        hint,
    };
    let is_multi = matches!(question.kind, QuestionKind::MultiLabel { .. });
    if b.threshold.is_some() && !is_multi {
        return Err(invalid(
            "threshold applies to multi_label questions only".into(),
        ));
    }
    if !b.aliases.is_empty() && !matches!(source, Source::Tags { .. }) {
        return Err(invalid("aliases apply to tags:<group> sources only".into()));
    }
    let how = match (&source, &question.kind) {
        (Source::Tags { group }, QuestionKind::SingleChoice { labels }) => How::Single {
            group: group.clone(),
            labels: label_map(b, Some(labels)).map_err(invalid)?,
        },
        (
            Source::Tags { group },
            QuestionKind::MultiLabel {
                labels, vocabulary, ..
            },
        ) => {
            let threshold = b.threshold.unwrap_or(0.5);
            if !(0.0..=1.0).contains(&threshold) {
                return Err(invalid(format!("threshold {threshold} is not in [0, 1]")));
            }
            let open = labels.is_empty() && vocabulary.is_some();
            How::Multi {
                group: group.clone(),
                labels: label_map(b, (!open).then_some(labels)).map_err(invalid)?,
                threshold,
            }
        }
        (Source::Tags { .. }, _) => {
            return Err(mismatch(
                "tags answer single_choice and multi_label questions",
            ))
        }
        (Source::Bpm, QuestionKind::Number { min, max, .. }) => How::Bpm {
            min: *min,
            max: *max,
        },
        (Source::Bpm, _) => return Err(mismatch("analysis:bpm answers number questions")),
        (Source::Key, QuestionKind::Key) => How::Key,
        (Source::Key, _) => return Err(mismatch("analysis:key answers key questions")),
        (Source::Beats, QuestionKind::Markers { labels }) => How::Beats {
            label: beat_label(labels)
                .ok_or_else(|| invalid("the question has no labels".into()))?,
        },
        (Source::Beats, _) => return Err(mismatch("analysis:beats answers markers questions")),
    };
    Ok(Rule {
        question: b.question.clone(),
        source_text: b.source.trim().to_string(),
        how,
    })
}

/// The label a beat gets: the one named `beat` (any case), else the question's first, as the
/// workspace's tap key chooses it.
fn beat_label(labels: &[String]) -> Option<String> {
    labels
        .iter()
        .find(|l| l.eq_ignore_ascii_case("beat"))
        .or_else(|| labels.first())
        .cloned()
}

fn label_map(b: &Binding, labels: Option<&Vec<String>>) -> Result<LabelMap, String> {
    let mut by_name = HashMap::new();
    if let Some(labels) = labels {
        for l in labels {
            by_name.insert(l.to_lowercase(), l.clone());
        }
    }
    for (tag, label) in &b.aliases {
        if let Some(labels) = labels {
            if !labels.contains(label) {
                return Err(format!(
                    "alias {tag:?} → {label:?}: {label:?} is not one of the question's labels"
                ));
            }
        }
        by_name.insert(tag.trim().to_lowercase(), label.clone());
    }
    Ok(LabelMap {
        by_name,
        closed: labels.cloned(),
    })
}
