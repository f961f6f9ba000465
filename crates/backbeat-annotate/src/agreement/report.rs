//! Agreement over a project, per question: what the report shows and what decides whether a
//! question's labels can be trusted.
//!
//! The reliability data is items (units) × annotators (coders), one [`Value`] or missing per
//! cell. Per question:
//!
//! | question | coefficient |
//! |---|---|
//! | single choice | α nominal |
//! | rating | α ordinal (a rating scale is ranked, not measured) |
//! | number | α interval, α ratio, or α with the tempo distance, per its `distance` |
//! | key | α with δ = 1 − MIREX score |
//! | tags | α with the MASI or Jaccard distance (Passonneau 2006) |
//! | regions, markers | mean pairwise F1 (α needs one value per cell to compare; a region list is a structure, and its agreement is the matching's F1) |
//! | text | not scored |
//!
//! Per annotator pair: Cohen's κ for single choice when the two labelled at least 2 common
//! items and κ is defined; otherwise the mean of [`value_agreement`] over the common items.

use serde::Serialize;

use super::alpha::{alpha, alpha_with, Level};
use super::distance::{bpm_distance, jaccard_distance, key_distance, masi_distance};
use super::item::{fits, item_agreement, value_agreement};
use super::kappa::cohen_kappa_labels;
use super::reliability::ReliabilityData;
use crate::answer::Value;
use crate::schema::{NumberDistance, QuestionKind, SetDistance};

/// Which coefficient a question's agreement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// α, nominal level.
    AlphaNominal,
    /// α, ordinal level.
    AlphaOrdinal,
    /// α, interval level.
    AlphaInterval,
    /// α, ratio level.
    AlphaRatio,
    /// α with the tempo distance (4 %, octave errors).
    AlphaBpm,
    /// α with the MIREX key distance.
    AlphaKey,
    /// α with the MASI distance.
    AlphaMasi,
    /// α with the Jaccard distance.
    AlphaJaccard,
    /// Mean over items of the items' mean pairwise F1 (regions, markers).
    MeanPairwiseF1,
}

/// A question's agreement over the project.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionAgreement {
    /// The coefficient.
    pub metric: Metric,
    /// Its value; `None` when undefined (too few pairable values, or no variation).
    pub value: Option<f64>,
    /// Values in items answered by at least two annotators (α's n).
    pub pairable_values: usize,
    /// Items answered by at least two annotators.
    pub items: usize,
}

/// The coefficient of one annotator pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairMeasure {
    /// Cohen's κ.
    CohenKappa,
    /// Mean agreement over the common items.
    MeanAgreement,
}

/// Agreement of two annotators (coder indexes of the reliability data) on their common items.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PairAgreement {
    /// First coder (the lower index).
    pub coder_a: usize,
    /// Second coder.
    pub coder_b: usize,
    /// Items both answered.
    pub common_items: usize,
    /// Which coefficient `value` is.
    pub measure: PairMeasure,
    /// `None` when they share no item.
    pub value: Option<f64>,
}

/// α of a question over the project, with the metric of its kind; `None` for text, regions
/// and markers (see [`question_agreement`]) and when α is undefined.
pub fn question_alpha(kind: &QuestionKind, data: &ReliabilityData<Value>) -> Option<f64> {
    match question_agreement(kind, data) {
        Some(QuestionAgreement {
            metric: Metric::MeanPairwiseF1,
            ..
        })
        | None => None,
        Some(q) => q.value,
    }
}

/// A question's agreement over the project (see the module); `None` for text.
pub fn question_agreement(
    kind: &QuestionKind,
    data: &ReliabilityData<Value>,
) -> Option<QuestionAgreement> {
    let data = data.filter_map(|v| fits(kind, v).then(|| v.clone()));
    let items = (0..data.units())
        .filter(|&u| data.unit_values(u).count() >= 2)
        .count();
    let numbers = || {
        data.filter_map(|v| match v {
            Value::Number(x) => Some(*x),
            _ => None,
        })
    };
    let (metric, result) = match kind {
        QuestionKind::Text { .. } => return None,
        QuestionKind::SingleChoice { .. } => (
            Metric::AlphaNominal,
            alpha_with(&data, |a, b| f64::from(u8::from(a != b))),
        ),
        QuestionKind::Rating { .. } => (Metric::AlphaOrdinal, alpha(&numbers(), Level::Ordinal)),
        QuestionKind::Number { distance, .. } => match distance {
            NumberDistance::Interval => (Metric::AlphaInterval, alpha(&numbers(), Level::Interval)),
            NumberDistance::Ratio => (Metric::AlphaRatio, alpha(&numbers(), Level::Ratio)),
            NumberDistance::Bpm => (
                Metric::AlphaBpm,
                alpha_with(&numbers(), |a, b| bpm_distance(*a, *b)),
            ),
        },
        QuestionKind::Key => {
            let keys = data.filter_map(|v| match v {
                Value::Key(k) => Some(*k),
                _ => None,
            });
            (
                Metric::AlphaKey,
                alpha_with(&keys, |a, b| key_distance(*a, *b)),
            )
        }
        QuestionKind::MultiLabel { distance, .. } => {
            let tags = data.filter_map(|v| match v {
                Value::Tags(t) => Some(t.clone()),
                _ => None,
            });
            match distance {
                SetDistance::Masi => (Metric::AlphaMasi, alpha_with(&tags, masi_distance)),
                SetDistance::Jaccard => (Metric::AlphaJaccard, alpha_with(&tags, jaccard_distance)),
            }
        }
        QuestionKind::Regions { .. } | QuestionKind::Markers { .. } => {
            let per_item: Vec<f64> = (0..data.units())
                .filter_map(|u| {
                    let answers: Vec<&Value> = data.unit_values(u).collect();
                    item_agreement(kind, &answers)
                })
                .collect();
            let value = (!per_item.is_empty())
                .then(|| per_item.iter().sum::<f64>() / per_item.len() as f64);
            return Some(QuestionAgreement {
                metric: Metric::MeanPairwiseF1,
                value,
                pairable_values: data.pairable_values(),
                items,
            });
        }
    };
    Some(QuestionAgreement {
        metric,
        value: result.map(|a| a.alpha),
        pairable_values: data.pairable_values(),
        items,
    })
}

/// Agreement of every annotator pair on their common items (see the module); empty for text.
pub fn pair_agreements(kind: &QuestionKind, data: &ReliabilityData<Value>) -> Vec<PairAgreement> {
    if matches!(kind, QuestionKind::Text { .. }) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for a in 0..data.coders() {
        for b in a + 1..data.coders() {
            let common: Vec<(&Value, &Value)> = (0..data.units())
                .filter_map(|u| Some((data.get(a, u)?, data.get(b, u)?)))
                .filter(|(x, y)| fits(kind, x) && fits(kind, y))
                .collect();
            let kappa = match kind {
                QuestionKind::SingleChoice { .. } if common.len() >= 2 => {
                    let (xs, ys): (Vec<&Value>, Vec<&Value>) = common.iter().copied().unzip();
                    cohen_kappa_labels(&xs, &ys).ok()
                }
                _ => None,
            };
            let (measure, value) = match kappa {
                Some(k) => (PairMeasure::CohenKappa, Some(k)),
                None => {
                    let scores: Vec<f64> = common
                        .iter()
                        .filter_map(|(x, y)| value_agreement(kind, x, y))
                        .collect();
                    let mean = (!scores.is_empty())
                        .then(|| scores.iter().sum::<f64>() / scores.len() as f64);
                    (PairMeasure::MeanAgreement, mean)
                }
            };
            out.push(PairAgreement {
                coder_a: a,
                coder_b: b,
                common_items: common.len(),
                measure,
                value,
            });
        }
    }
    out
}
