//! What changed between two schema versions, for the version log.
//!
//! Each [`Change`] serialises for the API (tagged by `change`) and displays as a line a
//! project manager reads ("labels added to genre: \"folk\""). Orphans are a separate question
//! ([`Schema::orphans`](super::Schema::orphans)): a change can be large and orphan nothing.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Question, QuestionKind, QuestionType, Schema};

/// One difference between two versions. `attribute` names the region attribute when the
/// change is inside one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "camelCase")]
pub enum Change {
    #[serde(rename_all = "camelCase")]
    QuestionAdded {
        question: String,
        attribute: Option<String>,
        #[serde(rename = "type")]
        ty: QuestionType,
    },
    #[serde(rename_all = "camelCase")]
    QuestionRemoved {
        question: String,
        attribute: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    TypeChanged {
        question: String,
        attribute: Option<String>,
        from: QuestionType,
        to: QuestionType,
    },
    #[serde(rename_all = "camelCase")]
    LabelsAdded {
        question: String,
        attribute: Option<String>,
        labels: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    LabelsRemoved {
        question: String,
        attribute: Option<String>,
        labels: Vec<String>,
    },
    /// A number's or rating's range, `[min, max]`.
    #[serde(rename_all = "camelCase")]
    RangeChanged {
        question: String,
        attribute: Option<String>,
        from: [f64; 2],
        to: [f64; 2],
    },
    #[serde(rename_all = "camelCase")]
    MaxLengthChanged {
        question: String,
        attribute: Option<String>,
        from: usize,
        to: usize,
    },
    #[serde(rename_all = "camelCase")]
    RequiredChanged {
        question: String,
        attribute: Option<String>,
        required: bool,
    },
    /// Title, vocabulary, distance or label order: nothing a stored answer depends on.
    #[serde(rename_all = "camelCase")]
    Edited {
        question: String,
        attribute: Option<String>,
        what: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |q: &str, a: &Option<String>| match a {
            Some(a) => format!("{q}.{a}"),
            None => q.to_owned(),
        };
        let list = |labels: &[String]| {
            labels
                .iter()
                .map(|l| serde_json::Value::String(l.clone()).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Change::QuestionAdded {
                question,
                attribute,
                ty,
            } => {
                write!(f, "{} added ({ty})", at(question, attribute))
            }
            Change::QuestionRemoved {
                question,
                attribute,
            } => {
                write!(f, "{} removed", at(question, attribute))
            }
            Change::TypeChanged {
                question,
                attribute,
                from,
                to,
            } => {
                write!(f, "{} changed from {from} to {to}", at(question, attribute))
            }
            Change::LabelsAdded {
                question,
                attribute,
                labels,
            } => {
                write!(
                    f,
                    "labels added to {}: {}",
                    at(question, attribute),
                    list(labels)
                )
            }
            Change::LabelsRemoved {
                question,
                attribute,
                labels,
            } => {
                write!(
                    f,
                    "labels removed from {}: {}",
                    at(question, attribute),
                    list(labels)
                )
            }
            Change::RangeChanged {
                question,
                attribute,
                from,
                to,
            } => write!(
                f,
                "{} range {}..={} → {}..={}",
                at(question, attribute),
                from[0],
                from[1],
                to[0],
                to[1]
            ),
            Change::MaxLengthChanged {
                question,
                attribute,
                from,
                to,
            } => {
                write!(f, "{} max_length {from} → {to}", at(question, attribute))
            }
            Change::RequiredChanged {
                question,
                attribute,
                required,
            } => {
                let now = if *required { "required" } else { "optional" };
                write!(f, "{} is now {now}", at(question, attribute))
            }
            Change::Edited {
                question,
                attribute,
                what,
            } => {
                write!(f, "{} {what} changed", at(question, attribute))
            }
        }
    }
}

impl Schema {
    /// What changed from `old` to this version, questions in this version's order, removed
    /// ones last.
    pub fn changes(&self, old: &Schema) -> Vec<Change> {
        let mut out = Vec::new();
        diff_questions(&old.questions, &self.questions, None, &mut out);
        out
    }
}

/// The changes between two lists of questions; `parent` is the region question when the
/// lists are its attributes.
fn diff_questions(old: &[Question], new: &[Question], parent: Option<&str>, out: &mut Vec<Change>) {
    // At top level a change names the question; inside a region question it names the region
    // question and the attribute.
    let names = |name: &str| match parent {
        Some(p) => (p.to_owned(), Some(name.to_owned())),
        None => (name.to_owned(), None),
    };
    for q in new {
        let (question, attribute) = names(&q.name);
        match old.iter().find(|o| o.name == q.name) {
            None => out.push(Change::QuestionAdded {
                question,
                attribute,
                ty: q.kind.question_type(),
            }),
            Some(o) => diff_question(o, q, question, attribute, out),
        }
    }
    for o in old {
        if !new.iter().any(|q| q.name == o.name) {
            let (question, attribute) = names(&o.name);
            out.push(Change::QuestionRemoved {
                question,
                attribute,
            });
        }
    }
}

fn diff_question(
    old: &Question,
    new: &Question,
    question: String,
    attribute: Option<String>,
    out: &mut Vec<Change>,
) {
    let (from, to) = (old.kind.question_type(), new.kind.question_type());
    if from != to {
        out.push(Change::TypeChanged {
            question,
            attribute,
            from,
            to,
        });
        return;
    }
    if old.required != new.required {
        out.push(Change::RequiredChanged {
            question: question.clone(),
            attribute: attribute.clone(),
            required: new.required,
        });
    }
    if old.title != new.title {
        out.push(edited(&question, &attribute, "title"));
    }
    let (old_labels, new_labels) = (old.kind.labels(), new.kind.labels());
    let was: HashSet<&String> = old_labels.iter().collect();
    let is: HashSet<&String> = new_labels.iter().collect();
    let added: Vec<String> = new_labels
        .iter()
        .filter(|l| !was.contains(l))
        .cloned()
        .collect();
    let removed: Vec<String> = old_labels
        .iter()
        .filter(|l| !is.contains(l))
        .cloned()
        .collect();
    let reordered = added.is_empty() && removed.is_empty() && old_labels != new_labels;
    if !added.is_empty() {
        out.push(Change::LabelsAdded {
            question: question.clone(),
            attribute: attribute.clone(),
            labels: added,
        });
    }
    if !removed.is_empty() {
        out.push(Change::LabelsRemoved {
            question: question.clone(),
            attribute: attribute.clone(),
            labels: removed,
        });
    }
    if reordered {
        out.push(edited(&question, &attribute, "label order"));
    }
    match (&old.kind, &new.kind) {
        (
            QuestionKind::MultiLabel {
                vocabulary: v0,
                distance: d0,
                ..
            },
            QuestionKind::MultiLabel {
                vocabulary: v1,
                distance: d1,
                ..
            },
        ) => {
            if v0 != v1 {
                out.push(edited(&question, &attribute, "vocabulary"));
            }
            if d0 != d1 {
                out.push(edited(&question, &attribute, "distance"));
            }
        }
        (
            QuestionKind::Number {
                min: a0,
                max: b0,
                distance: d0,
            },
            QuestionKind::Number {
                min: a1,
                max: b1,
                distance: d1,
            },
        ) => {
            if (a0, b0) != (a1, b1) {
                out.push(Change::RangeChanged {
                    question: question.clone(),
                    attribute: attribute.clone(),
                    from: [*a0, *b0],
                    to: [*a1, *b1],
                });
            }
            if d0 != d1 {
                out.push(edited(&question, &attribute, "distance"));
            }
        }
        (QuestionKind::Rating { min: a0, max: b0 }, QuestionKind::Rating { min: a1, max: b1 })
            if (a0, b0) != (a1, b1) =>
        {
            out.push(Change::RangeChanged {
                question: question.clone(),
                attribute: attribute.clone(),
                from: [*a0 as f64, *b0 as f64],
                to: [*a1 as f64, *b1 as f64],
            });
        }
        (QuestionKind::Text { max_length: from }, QuestionKind::Text { max_length: to })
            if from != to =>
        {
            out.push(Change::MaxLengthChanged {
                question: question.clone(),
                attribute: attribute.clone(),
                from: *from,
                to: *to,
            });
        }
        (
            QuestionKind::Regions { attributes: a0, .. },
            QuestionKind::Regions { attributes: a1, .. },
        ) => {
            diff_questions(a0, a1, Some(&question), out);
        }
        _ => {}
    }
}

fn edited(question: &str, attribute: &Option<String>, what: &str) -> Change {
    Change::Edited {
        question: question.to_owned(),
        attribute: attribute.clone(),
        what: what.to_owned(),
    }
}
