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

use serde::{Deserialize, Serialize};

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
