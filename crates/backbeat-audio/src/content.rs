//! Content: speech vs music and vocal vs instrumental probabilities. (stub: to be implemented)

use serde::Serialize;

/// Content descriptors of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    /// Probability in [0, 1] that the file is (mostly) speech rather than music.
    pub speech_probability: f64,
    /// Probability in [0, 1] that the music has sung vocals.
    pub vocal_probability: f64,
}

/// Streaming analyser over mono samples at `sample_rate` (normally [`crate::ANALYSIS_RATE`]).
pub struct ContentAnalyzer {
    _sample_rate: u32,
}

impl ContentAnalyzer {
    /// A new analyser for mono input at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        ContentAnalyzer {
            _sample_rate: sample_rate,
        }
    }

    /// Add mono samples.
    pub fn push(&mut self, _mono: &[f32]) {}

    /// The probabilities for everything pushed.
    pub fn finish(self) -> Content {
        Content {
            speech_probability: 0.0,
            vocal_probability: 0.0,
        }
    }
}
