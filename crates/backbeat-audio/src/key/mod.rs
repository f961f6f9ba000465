//! Tonality: key as tonic and major/minor mode with a strength. (stub: to be implemented)

use serde::Serialize;

/// Major or minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Major mode.
    Major,
    /// Minor mode.
    Minor,
}

/// Pitch-class names used for tonics, index 0 = C.
pub const PITCH_CLASSES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// The estimated key of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Key {
    /// Tonic name, one of [`PITCH_CLASSES`].
    pub tonic: &'static str,
    /// Pitch class of the tonic, 0 = C … 11 = B.
    pub tonic_pc: u8,
    /// Major or minor.
    pub mode: Mode,
    /// Strength of the estimate in [0, 1] (correlation with the key profile).
    pub strength: f64,
}

/// Streaming key analyser over mono samples at `sample_rate` (normally [`crate::ANALYSIS_RATE`]).
pub struct KeyAnalyzer {
    _sample_rate: u32,
}

impl KeyAnalyzer {
    /// A new analyser for mono input at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        KeyAnalyzer {
            _sample_rate: sample_rate,
        }
    }

    /// Add mono samples.
    pub fn push(&mut self, _mono: &[f32]) {}

    /// The key of everything pushed; `None` when there is no tonal content (silence, noise).
    pub fn finish(self) -> Option<Key> {
        None
    }
}
