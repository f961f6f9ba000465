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
    /// Per-question overrides (and where a question's resolved answer is written back).
    pub questions: BTreeMap<String, QuestionSettings>,
    /// Where resolutions are announced (`item.resolved`, Standard Webhooks signatures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
}

/// A webhook endpoint: every resolved item is POSTed there, signed with `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Webhook {
    /// `http://` or `https://`.
    pub url: String,
    /// `whsec_` and the base64 of 24 to 64 random bytes (the Standard Webhooks format).
    pub secret: String,
}

/// Overrides for one question; absent fields take the project's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement_threshold: Option<f64>,
    /// The track field a resolved whole-track answer becomes (`source: reviewed`): `bpm` (a
    /// number question), `key` (a key question), or `tags:GROUP` (a single choice or
    /// multi-label question; the group's reviewed tags are replaced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_back: Option<String>,
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
            webhook: None,
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
        for (name, q) in &s.questions {
            if let Some(target) = &q.write_back {
                if WriteBack::parse(target).is_none() {
                    errors.push(FieldError {
                        field: format!("settings.questions.{name}.writeBack"),
                        message: format!(
                            "must be `bpm`, `key` or `tags:GROUP` (GROUP of 1 to 40 letters, \
                             digits, `-` or `_`), not {target:?}"
                        ),
                    });
                }
            }
        }
        if let Some(w) = &s.webhook {
            errors.extend(w.check());
        }
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }

    /// Write-back targets that do not fit their question's type (or name no question).
    pub fn check_write_back(&self, schema: &crate::schema::Schema) -> Vec<FieldError> {
        use crate::schema::QuestionKind as K;
        let mut errors = Vec::new();
        for (name, q) in &self.questions {
            let Some(target) = q.write_back.as_deref().and_then(WriteBack::parse) else {
                continue;
            };
            let field = format!("settings.questions.{name}.writeBack");
            let Some(question) = schema.question(name) else {
                errors.push(FieldError {
                    field,
                    message: format!("the schema has no question {name:?}"),
                });
                continue;
            };
            let fits = matches!(
                (&target, &question.kind),
                (WriteBack::Bpm, K::Number { .. })
                    | (WriteBack::Key, K::Key)
                    | (
                        WriteBack::Tags(_),
                        K::SingleChoice { .. } | K::MultiLabel { .. }
                    )
            );
            if !fits {
                errors.push(FieldError {
                    field,
                    message: format!(
                        "{} cannot be written from a {} question",
                        target.describe(),
                        question.kind.question_type()
                    ),
                });
            }
        }
        errors
    }

    /// The write-back target of a question, if any.
    pub fn write_back(&self, question: &str) -> Option<WriteBack> {
        self.questions
            .get(question)
            .and_then(|q| q.write_back.as_deref())
            .and_then(WriteBack::parse)
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

/// A track field a question's resolved answer is written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteBack {
    Bpm,
    Key,
    Tags(String),
}

impl WriteBack {
    /// `bpm`, `key` or `tags:GROUP`.
    pub fn parse(s: &str) -> Option<WriteBack> {
        match s {
            "bpm" => Some(WriteBack::Bpm),
            "key" => Some(WriteBack::Key),
            _ => {
                let group = s.strip_prefix("tags:")?;
                let ok = (1..=40).contains(&group.len())
                    && group
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                ok.then(|| WriteBack::Tags(group.to_string()))
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            WriteBack::Bpm => "the BPM".into(),
            WriteBack::Key => "the key".into(),
            WriteBack::Tags(g) => format!("the {g} tags"),
        }
    }
}

impl Webhook {
    /// The URL's scheme and the secret's format.
    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let url_ok = (self.url.starts_with("http://") || self.url.starts_with("https://"))
            && self.url.len() <= 2000
            && reqwest::Url::parse(&self.url).is_ok();
        if !url_ok {
            errors.push(FieldError {
                field: "settings.webhook.url".into(),
                message: "must be an http:// or https:// URL of at most 2000 characters".into(),
            });
        }
        if crate::webhooks::secret_key(&self.secret).is_none() {
            errors.push(FieldError {
                field: "settings.webhook.secret".into(),
                message: "must be `whsec_` and the base64 of 24 to 64 bytes".into(),
            });
        }
        errors
    }
}

/// What a draw is for (keeps the spot-check and QA draws of one item independent).
pub mod purpose {
    pub const SPOT_CHECK: u64 = 1;
    pub const QA: u64 = 2;
}
