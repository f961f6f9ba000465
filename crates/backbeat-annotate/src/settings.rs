//! A project's workflow settings (JSON, stored with the project), with per-question overrides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::schema::FieldError;

/// How a project routes, measures and escalates. Every field has a default, so `{}` is a
/// working project: two people per item, models trusted from 0.9, 5 % spot checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// People per item below the accept threshold.
    pub overlap: i64,
    /// A model answer at least this confident is accepted without people.
    pub accept_threshold: f64,
    /// Share of fully model-accepted items still shown to one person, to measure the model.
    pub spot_check_share: f64,
    /// Item agreement (0–1) below which an item is escalated.
    pub agreement_threshold: f64,
    /// People added one at a time after disagreement before the expert queue.
    pub max_extra: i64,
    /// People do not see the model's answers (measures anchoring when `false` on a twin
    /// project).
    pub hide_model_answers: bool,
    /// Share of claims that hand out a gold item (when the project has any).
    pub gold_share: f64,
    /// Gold answers before an annotator's gold accuracy is judged.
    pub gold_min_answers: u64,
    /// An annotator whose gold accuracy falls below this is paused (0 disables).
    pub gold_pause_below: f64,
    /// Share of resolved items QA reviews (flagged items always).
    pub qa_share: f64,
    /// How long a claim holds an item.
    pub lease_seconds: i64,
    /// Move a question's accept threshold from the spot checks' measured model accuracy: up
    /// (fewer answers accepted unseen) when it falls below `model_target_accuracy`, down when
    /// it is well above; every move is logged.
    pub auto_threshold: bool,
    /// The accuracy a model must keep on spot checks for its answers to be accepted.
    pub model_target_accuracy: f64,
    /// Spot checks before the accuracy is acted on.
    pub min_spot_checks: u64,
    /// Seed of the draws (spot checks, QA samples, gold), so a run can be replayed.
    pub seed: u64,
    /// Per-question overrides.
    pub questions: BTreeMap<String, QuestionSettings>,
}

/// Overrides for one question; absent fields take the project's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_threshold: Option<f64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            overlap: 2,
            accept_threshold: 0.9,
            spot_check_share: 0.05,
            agreement_threshold: 0.7,
            max_extra: 1,
            hide_model_answers: true,
            gold_share: 0.1,
            gold_min_answers: 5,
            gold_pause_below: 0.6,
            qa_share: 0.1,
            lease_seconds: 600,
            auto_threshold: true,
            model_target_accuracy: 0.9,
            min_spot_checks: 20,
            seed: 0,
            questions: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// Reads and checks settings; every problem named by its field.
    pub fn parse(json: &serde_json::Value) -> Result<Settings, Vec<FieldError>> {
        let s: Settings = serde_json::from_value(json.clone()).map_err(|e| {
            vec![FieldError {
                field: "settings".into(),
                message: e.to_string(),
            }]
        })?;
        let mut errors = Vec::new();
        let mut share = |field: &str, v: f64| {
            if !(0.0..=1.0).contains(&v) {
                errors.push(FieldError {
                    field: format!("settings.{field}"),
                    message: format!("must be between 0 and 1, not {v}"),
                });
            }
        };
        share("acceptThreshold", s.accept_threshold);
        share("spotCheckShare", s.spot_check_share);
        share("agreementThreshold", s.agreement_threshold);
        share("goldShare", s.gold_share);
        share("goldPauseBelow", s.gold_pause_below);
        share("qaShare", s.qa_share);
        share("modelTargetAccuracy", s.model_target_accuracy);
        for (name, q) in &s.questions {
            if let Some(v) = q.accept_threshold {
                share(&format!("questions.{name}.acceptThreshold"), v);
            }
            if let Some(v) = q.agreement_threshold {
                share(&format!("questions.{name}.agreementThreshold"), v);
            }
        }
        let mut range = |field: &str, v: i64, lo: i64, hi: i64| {
            if !(lo..=hi).contains(&v) {
                errors.push(FieldError {
                    field: format!("settings.{field}"),
                    message: format!("must be from {lo} to {hi}, not {v}"),
                });
            }
        };
        range("overlap", s.overlap, 1, 50);
        range("maxExtra", s.max_extra, 0, 50);
        range("leaseSeconds", s.lease_seconds, 10, 7 * 24 * 3600);
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }

    /// The accept threshold of a question.
    pub fn accept_threshold(&self, question: &str) -> f64 {
        self.questions
            .get(question)
            .and_then(|q| q.accept_threshold)
            .unwrap_or(self.accept_threshold)
    }

    /// The agreement threshold of a question.
    pub fn agreement_threshold(&self, question: &str) -> f64 {
        self.questions
            .get(question)
            .and_then(|q| q.agreement_threshold)
            .unwrap_or(self.agreement_threshold)
    }

    /// A draw in [0, 1) fixed by the seed, a purpose and an item: replaying a project makes
    /// the same spot checks and QA samples (SplitMix64 of the three).
    pub fn draw(&self, purpose: u64, item: i64, round: i64) -> f64 {
        let mut x = self
            .seed
            .wrapping_add(purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_add((item as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9))
            .wrapping_add((round as u64).wrapping_mul(0x94D0_49BB_1331_11EB));
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a draw is for (keeps the spot-check and QA draws of one item independent).
pub mod purpose {
    pub const SPOT_CHECK: u64 = 1;
    pub const QA: u64 = 2;
}
