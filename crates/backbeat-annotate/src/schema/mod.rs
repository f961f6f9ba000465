//! A project's label schema: its questions, as JSON, versioned.
//!
//! ```json
//! {"questions": [
//!   {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz"]},
//!   {"name": "moods", "type": "multi_label", "labels": ["happy", "sad"], "distance": "masi"},
//!   {"name": "bpm", "type": "number", "min": 30, "max": 300, "distance": "bpm"},
//!   {"name": "key", "type": "key"},
//!   {"name": "energy", "type": "rating", "min": 1, "max": 5},
//!   {"name": "notes", "type": "text", "max_length": 2000, "required": false},
//!   {"name": "sections", "type": "regions", "labels": ["verse", "chorus"],
//!    "attributes": [{"name": "instrumental", "type": "single_choice", "labels": ["yes", "no"]}]},
//!   {"name": "beats", "type": "markers", "labels": ["beat", "downbeat"]}
//! ]}
//! ```
//!
//! A new version may add questions and labels and widen ranges; a change that would leave
//! stored answers outside the schema (a removed question or label, a narrowed range, a changed
//! type) is refused naming what it would orphan.
//!
//! - [`Schema::parse`] (`parse.rs`): a client's schema, every field checked, every error named
//!   by its path (`questions[2].labels[4]`); tag vocabularies resolved into labels.
//! - [`Schema::parse_answers`] and [`Schema::check_answers`] (`answers.rs`): an answer from a
//!   person (JSON) or a model (typed) against the schema and the item's [`Window`]; both run
//!   the same rules (`rules.rs`).
//! - [`LabelUsage`] and [`Schema::orphans`] (`usage.rs`): what stored answers use, and what a new
//!   version would leave without a home; [`Schema::changes`] (`changes.rs`) for the version log.
//!
//! The serde derives below read and write a schema that was already checked (storage); a
//! client's schema goes through [`Schema::parse`], which refuses what serde would let through
//! (duplicate names, empty label lists, `min >= max`, …) and names the field.

mod answers;
mod changes;
mod error;
mod parse;
mod rules;
mod usage;

use serde::{Deserialize, Serialize};

pub use answers::Window;
pub use changes::Change;
pub use error::FieldError;
pub use parse::{NoVocabularies, Vocabularies};
pub use rules::{mode_from_name, tonic_from_name};
pub use usage::{LabelUsage, Orphan, OrphanReason, QuestionUsage};

/// At most this many questions in a schema (and attributes in a region question).
pub const MAX_QUESTIONS: usize = 200;
/// At most this many labels in one question (a tag vocabulary included).
pub const MAX_LABELS: usize = 10_000;
/// A label is at most this many characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// A question name is at most this many characters (`[a-z0-9_]`).
pub const MAX_NAME_CHARS: usize = 64;
/// A title is at most this many characters.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// A rating has at most this many steps (`max - min`).
pub const MAX_RATING_STEPS: i64 = 100;
/// A text question's `max_length` is at most this.
pub const MAX_TEXT_LENGTH: usize = 100_000;
/// An answer has at most this many regions per question.
pub const MAX_REGIONS: usize = 10_000;
/// An answer has at most this many markers per question.
pub const MAX_MARKERS: usize = 100_000;

impl Schema {
    /// The question called `name`.
    pub fn question(&self, name: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.name == name)
    }

    /// The schema as JSON, in the format [`Schema::parse`] reads (labels resolved from a
    /// vocabulary are written out, with the vocabulary's name kept for provenance).
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising cannot fail: every map key is a string and every number finite (parse
        // refuses the rest); Null stands for the impossible.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The `type` of a question, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    SingleChoice,
    MultiLabel,
    Number,
    Key,
    Rating,
    Text,
    Regions,
    Markers,
}

impl QuestionType {
    /// The name on the wire (`"single_choice"`).
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultiLabel => "multi_label",
            QuestionType::Number => "number",
            QuestionType::Key => "key",
            QuestionType::Rating => "rating",
            QuestionType::Text => "text",
            QuestionType::Regions => "regions",
            QuestionType::Markers => "markers",
        }
    }
}

impl std::fmt::Display for QuestionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl QuestionKind {
    /// The question's `type`.
    pub fn question_type(&self) -> QuestionType {
        match self {
            QuestionKind::SingleChoice { .. } => QuestionType::SingleChoice,
            QuestionKind::MultiLabel { .. } => QuestionType::MultiLabel,
            QuestionKind::Number { .. } => QuestionType::Number,
            QuestionKind::Key => QuestionType::Key,
            QuestionKind::Rating { .. } => QuestionType::Rating,
            QuestionKind::Text { .. } => QuestionType::Text,
            QuestionKind::Regions { .. } => QuestionType::Regions,
            QuestionKind::Markers { .. } => QuestionType::Markers,
        }
    }

    /// The labels an answer may use (empty for numbers, keys and text).
    pub fn labels(&self) -> &[String] {
        match self {
            QuestionKind::SingleChoice { labels }
            | QuestionKind::MultiLabel { labels, .. }
            | QuestionKind::Regions { labels, .. }
            | QuestionKind::Markers { labels } => labels,
            QuestionKind::Number { .. }
            | QuestionKind::Key
            | QuestionKind::Rating { .. }
            | QuestionKind::Text { .. } => &[],
        }
    }

    /// The attribute questions of a `regions` question (empty for the others).
    pub fn attributes(&self) -> &[Question] {
        match self {
            QuestionKind::Regions { attributes, .. } => attributes,
            _ => &[],
        }
    }
}

/// The questions of one schema version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    pub questions: Vec<Question>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Unique within the schema; the key of its answer (`[a-z0-9_]`, 1–64 characters).
    pub name: String,
    /// What annotators read; the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An answer must include it (default `true`).
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(flatten)]
    pub kind: QuestionKind,
}

fn yes() -> bool {
    true
}

/// What a question asks for, with the data that constrains its answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum QuestionKind {
    /// One label out of `labels` (genre, voice gender).
    SingleChoice { labels: Vec<String> },
    /// Any subset of a vocabulary (moods, instruments): `labels`, or the tagger's vocabulary
    /// of one of its groups with `vocabulary: "tagger:mood"`.
    MultiLabel {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        labels: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vocabulary: Option<String>,
        #[serde(default)]
        distance: SetDistance,
    },
    /// A number in `[min, max]` (BPM).
    Number {
        min: f64,
        max: f64,
        #[serde(default)]
        distance: NumberDistance,
    },
    /// A key (tonic + mode); agreement by MIREX weights.
    Key,
    /// An integer from `min` to `max` (energy 1–5); ordinal agreement.
    Rating { min: i64, max: i64 },
    /// Free text up to `max_length` characters (notes, a lyrics line); not scored.
    Text {
        #[serde(default = "default_text_length")]
        max_length: usize,
    },
    /// Labelled time spans with per-region attributes (sections, instrument activity, speech).
    Regions {
        labels: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attributes: Vec<Question>,
    },
    /// Labelled points in time (beats, downbeats, drops).
    Markers { labels: Vec<String> },
}

fn default_text_length() -> usize {
    2000
}

/// How two tag sets differ, for agreement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetDistance {
    /// Passonneau's MASI (Jaccard weighted by the kind of overlap).
    #[default]
    Masi,
    /// 1 − Jaccard.
    Jaccard,
}

/// How two numbers differ, for agreement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberDistance {
    /// Squared difference (Krippendorff's interval metric).
    #[default]
    Interval,
    /// Krippendorff's ratio metric.
    Ratio,
    /// Tempo: equal within 4 %, also at double, half, triple or a third (octave errors
    /// count as agreement), otherwise different.
    Bpm,
}
