//! What a model annotator says about one item.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::answer::Answers;

/// One model's answer to one item, with its certainty per question.
///
/// `answers` are shaped by the questions' kinds but not yet checked against the schema's
/// labels and ranges: the engine validates them like any annotator's before storing.
/// A question may be answered without a confidence (an external model that gave no
/// score); routing treats that as "unknown", not as certain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    pub answers: Answers,
    /// Question name → confidence in [0, 1] (clamped; non-finite scores are dropped).
    pub confidence: BTreeMap<String, f64>,
    /// Changes whenever the model or its configuration would answer differently, so stored
    /// pre-annotations can be recomputed for a new version.
    pub model_version: String,
    /// What it was computed from: `{"job": "summary", "updatedAt": …}` for the built-in
    /// model, `{"endpoint": …}` or `{"command": …}` for external ones.
    pub derived_from: serde_json::Value,
}

/// A score as a confidence: clamped to [0, 1], `None` when not a finite number.
pub(crate) fn clamp_confidence(score: f64) -> Option<f64> {
    score.is_finite().then(|| score.clamp(0.0, 1.0))
}
