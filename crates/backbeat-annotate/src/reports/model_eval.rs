//! The analysis and the tagger scored against what people accepted: closes the loop from
//! annotation to model evaluation (`backbeat eval --project`).
//!
//! Every built-in model annotator of the project answers each resolved item again from the
//! track's *current* stored outputs (so a re-run pipeline is re-scored), and each answer is
//! compared with the item's accepted result. Items the model resolved alone are left out:
//! nobody checked them, so they would score the model against itself. Per question, by type:
//!
//! - single choice: accuracy;
//! - multi-label: micro-averaged precision, recall and F1 over the question's labels, and the
//!   mean Jaccard similarity per item;
//! - number with the BPM distance: ACC1 (within 4 %) and ACC2 (also at ×2, ×½, ×3, ×⅓);
//!   other numbers: mean absolute error;
//! - key: share exactly right, MIREX weighted score, and the confusions (fifth, relative,
//!   parallel, other).
//! - markers: the mean beat F-measure (±70 ms, mir_eval's window) of the model's markers
//!   against people's, whatever their labels: a downbeat people tapped is a beat too, and the
//!   analysis finds beats, not bars.
//!
//! `answered` counts items the model gave an answer for; `unanswered` those it could not
//! answer (an untagged track, no tempo): scores are over the answered ones, so a reader sees
//! both how good and how often.

use std::collections::BTreeMap;

use backbeat_store::annotation::{AnnotatorKind, ItemState, Resolution};
use backbeat_store::jobs::JobStore;
use backbeat_store::{AnnotationStore, Id, StoreError};
use serde::Serialize;

use super::{stored_schema, PAGE};
use crate::agreement::distance::{bpm_agree, mirex_key_score, BPM_TOLERANCE};
use crate::agreement::{marker_f_measure, MARKER_WINDOW_SECS};
use crate::answer::{Key, Marker, Value};
use crate::engine::service::item_window;
use crate::engine::{AnnotateError, AnnotateResult};
use crate::models::{BuiltinModel, ModelConfig, StoredOutputs, StoredTag};
use crate::schema::{NumberDistance, QuestionKind};

/// The scores of a project's built-in models.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelEval {
    pub project_id: Id,
    /// Resolved items whose result people gave or checked.
    pub items: u64,
    /// Resolved items left out because the model resolved them alone.
    pub model_only: u64,
    /// Items whose track has no stored analysis (nothing to score).
    pub unanalysed: u64,
    pub models: Vec<ModelScores>,
}

/// One model annotator's scores, per question it answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelScores {
    pub annotator_id: Id,
    pub name: String,
    pub questions: Vec<QuestionScore>,
}

/// The scores on one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionScore {
    pub question: String,
    /// `single_choice`, `multi_label`, `number`, `key`, `rating`, `markers`.
    pub kind: &'static str,
    /// Items the model answered and people resolved.
    pub answered: u64,
    /// Items people resolved that the model could not answer.
    pub unanswered: u64,
    #[serde(flatten)]
    pub score: Score,
}

/// A question type's measures (over the answered items; `None` without any).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", untagged)]
pub enum Score {
    Choice {
        accuracy: Option<f64>,
    },
    Tags {
        precision: Option<f64>,
        recall: Option<f64>,
        f1: Option<f64>,
        mean_jaccard: Option<f64>,
    },
    Tempo {
        acc1: Option<f64>,
        acc2: Option<f64>,
    },
    Number {
        mean_absolute_error: Option<f64>,
    },
    Key {
        correct: Option<f64>,
        mirex: Option<f64>,
        confusions: KeyConfusions,
    },
    Markers {
        mean_f_measure: Option<f64>,
    },
}

/// How key answers went wrong (counts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeyConfusions {
    pub fifth: u64,
    pub relative: u64,
    pub parallel: u64,
    pub other: u64,
}

/// Running sums for one question.
#[derive(Debug, Default)]
struct Tally {
    answered: u64,
    unanswered: u64,
    hits: f64,
    second: f64,
    tp: u64,
    fp: u64,
    fn_: u64,
    sum: f64,
    confusions: KeyConfusions,
}

/// The markers' times under one label.
fn unlabelled(markers: &[Marker]) -> Vec<Marker> {
    markers
        .iter()
        .map(|m| Marker {
            time: m.time,
            label: String::new(),
        })
        .collect()
}

fn mean(sum: f64, n: u64) -> Option<f64> {
    (n > 0).then(|| sum / n as f64)
}

impl Tally {
    fn add(&mut self, kind: &QuestionKind, predicted: Option<&Value>, truth: &Value) {
        let Some(p) = predicted else {
            self.unanswered += 1;
            return;
        };
        self.answered += 1;
        match (kind, p, truth) {
            (_, Value::Choice(a), Value::Choice(b)) => self.hits += f64::from(u8::from(a == b)),
            (_, Value::Tags(a), Value::Tags(b)) => {
                self.tp += a.intersection(b).count() as u64;
                self.fp += a.difference(b).count() as u64;
                self.fn_ += b.difference(a).count() as u64;
                let union = a.union(b).count();
                self.sum += if union == 0 {
                    1.0
                } else {
                    a.intersection(b).count() as f64 / union as f64
                };
            }
            (
                QuestionKind::Number {
                    distance: NumberDistance::Bpm,
                    ..
                },
                Value::Number(a),
                Value::Number(b),
            ) => {
                let within = (a - b).abs() <= BPM_TOLERANCE * b;
                self.hits += f64::from(u8::from(within));
                self.second += f64::from(u8::from(bpm_agree(*a, *b)));
            }
            (_, Value::Number(a), Value::Number(b)) => self.sum += (a - b).abs(),
            (_, Value::Key(a), Value::Key(b)) => self.key(*a, *b),
            (_, Value::Markers(a), Value::Markers(b)) => {
                self.sum += marker_f_measure(&unlabelled(a), &unlabelled(b), MARKER_WINDOW_SECS);
            }
            // A type mismatch cannot come from a checked model; count it as a miss.
            _ => {}
        }
    }

    fn key(&mut self, predicted: Key, truth: Key) {
        let score = mirex_key_score(predicted, truth);
        self.sum += score;
        // The MIREX weights: 1 same key, 0.5 a fifth, 0.3 relative, 0.2 parallel, else 0.
        if predicted == truth {
            self.hits += 1.0;
        } else if score >= 0.5 {
            self.confusions.fifth += 1;
        } else if score >= 0.3 {
            self.confusions.relative += 1;
        } else if score >= 0.2 {
            self.confusions.parallel += 1;
        } else {
            self.confusions.other += 1;
        }
    }

    fn score(self, kind: &QuestionKind) -> (&'static str, Score) {
        let n = self.answered;
        match kind {
            QuestionKind::SingleChoice { .. } => (
                "single_choice",
                Score::Choice {
                    accuracy: mean(self.hits, n),
                },
            ),
            QuestionKind::MultiLabel { .. } => {
                let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
                let precision = ratio(self.tp, self.tp + self.fp);
                let recall = ratio(self.tp, self.tp + self.fn_);
                let f1 = ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_);
                (
                    "multi_label",
                    Score::Tags {
                        precision,
                        recall,
                        f1,
                        mean_jaccard: mean(self.sum, n),
                    },
                )
            }
            QuestionKind::Number {
                distance: NumberDistance::Bpm,
                ..
            } => (
                "number",
                Score::Tempo {
                    acc1: mean(self.hits, n),
                    acc2: mean(self.second, n),
                },
            ),
            QuestionKind::Key => (
                "key",
                Score::Key {
                    correct: mean(self.hits, n),
                    mirex: mean(self.sum, n),
                    confusions: self.confusions,
                },
            ),
            QuestionKind::Markers { .. } => (
                "markers",
                Score::Markers {
                    mean_f_measure: mean(self.sum, n),
                },
            ),
            QuestionKind::Rating { .. } => (
                "rating",
                Score::Number {
                    mean_absolute_error: mean(self.sum, n),
                },
            ),
            _ => (
                "number",
                Score::Number {
                    mean_absolute_error: mean(self.sum, n),
                },
            ),
        }
    }
}

/// Scores the project's built-in models against its accepted labels (see the module).
pub async fn evaluate_models(
    annotations: &dyn AnnotationStore,
    jobs: &dyn JobStore,
    project: Id,
) -> AnnotateResult<ModelEval> {
    let record = annotations.project(project).await?;
    let schema = stored_schema(&record).ok_or_else(|| {
        AnnotateError::Conflict("the project's stored schema cannot be read".into())
    })?;
    let mut models = Vec::new();
    for a in annotations.annotators(project).await? {
        if a.kind != AnnotatorKind::Builtin {
            continue;
        }
        let Ok(ModelConfig::Builtin(cfg)) = serde_json::from_value(a.config.clone()) else {
            continue;
        };
        if let Ok(m) = BuiltinModel::new(&cfg, &schema) {
            models.push((a, m, BTreeMap::<String, Tally>::new()));
        }
    }
    let mut eval = ModelEval {
        project_id: project,
        items: 0,
        model_only: 0,
        unanalysed: 0,
        models: Vec::new(),
    };
    let mut after = 0;
    loop {
        let page = annotations
            .items(project, Some(ItemState::Resolved), after, PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for item in &page {
            if item.resolution == Some(Resolution::Model) {
                eval.model_only += 1;
                continue;
            }
            let Some(result) = &item.result else { continue };
            eval.items += 1;
            let analysis = match jobs.track_analysis(item.track_id).await {
                Ok(Some(a)) => a,
                Ok(None) | Err(StoreError::NotFound) => {
                    eval.unanalysed += 1;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let stored = StoredOutputs::from_analysis_json(
                analysis.bpm,
                analysis.key.as_deref(),
                &analysis.analysis,
                analysis
                    .tags
                    .into_iter()
                    .map(|t| StoredTag {
                        group: t.group,
                        tag: t.tag,
                        confidence: t.confidence,
                    })
                    .collect(),
                analysis.updated_at,
            )
            .within(item_window(item));
            let truth = schema.read_stored(result);
            for (_, model, tallies) in &mut models {
                let predicted = model.predict(&stored).answers;
                for name in model.questions() {
                    let (Some(q), Some(t)) = (schema.question(name), truth.get(name)) else {
                        continue;
                    };
                    tallies.entry(name.to_string()).or_default().add(
                        &q.kind,
                        predicted.get(name),
                        t,
                    );
                }
            }
        }
    }
    for (a, _, tallies) in models {
        let questions = tallies
            .into_iter()
            .filter_map(|(name, t)| {
                let q = schema.question(&name)?;
                let (answered, unanswered) = (t.answered, t.unanswered);
                let (kind, score) = t.score(&q.kind);
                Some(QuestionScore {
                    question: name,
                    kind,
                    answered,
                    unanswered,
                    score,
                })
            })
            .collect();
        eval.models.push(ModelScores {
            annotator_id: a.id,
            name: a.name,
            questions,
        });
    }
    Ok(eval)
}
