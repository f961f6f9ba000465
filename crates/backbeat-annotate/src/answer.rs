//! What an annotator answers: one [`Value`] per question of the schema, keyed by the
//! question's name ([`Answers`]). On the wire an answer is a JSON object; the schema
//! ([`crate::schema::Schema::parse_answers`]) turns it into typed values or names the field
//! that does not fit.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A whole answer to an item: question name → value. Questions left unanswered are absent.
pub type Answers = BTreeMap<String, Value>;

/// One question's answer, typed by the question's kind.
///
/// Serialises untagged (a string, an array, a number, an object); it is read back only
/// through the schema, which knows each question's kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// `single_choice`: one label.
    Choice(String),
    /// `multi_label`: a set of labels (possibly empty: "none of these").
    Tags(BTreeSet<String>),
    /// `number` (BPM, …) and `rating` (an integer in its range, stored as a number).
    Number(f64),
    /// `key`.
    Key(Key),
    /// `text`.
    Text(String),
    /// `regions`.
    Regions(Vec<Region>),
    /// `markers`.
    Markers(Vec<Marker>),
}

/// Pitch classes in the order MIREX and the analysis use; sharps spell black keys.
pub const TONICS: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// A musical key: tonic and mode. On the wire `{"tonic": "F#", "mode": "minor"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// Pitch class 0–11 from C ([`TONICS`]).
    pub tonic: u8,
    pub mode: Mode,
}

impl Key {
    /// The tonic's name (`"F#"`).
    pub fn tonic_name(self) -> &'static str {
        TONICS[usize::from(self.tonic % 12)]
    }
}

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Key", 2)?;
        st.serialize_field("tonic", self.tonic_name())?;
        st.serialize_field("mode", &self.mode)?;
        st.end()
    }
}

/// Major or minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Major,
    Minor,
}

/// A labelled time span within the item, in seconds from the start of the track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub start: f64,
    pub end: f64,
    pub label: String,
    /// Per-region attributes (say, the instrument's playing technique), checked against the
    /// question's attribute list.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// A labelled point in time (a beat, a downbeat, a drop), in seconds from the start of the
/// track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub time: f64,
    pub label: String,
}
