//! Rhythm: tempo (BPM) with a confidence, and beat times. (stub: to be implemented)

use serde::Serialize;

/// Rhythm descriptors of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rhythm {
    /// Tempo in beats per minute; `None` when no periodicity is found (silence, noise).
    pub bpm: Option<f64>,
    /// Confidence of the tempo estimate in [0, 1].
    pub confidence: f64,
    /// Beat times in seconds.
    pub beats: Vec<f64>,
}

/// Streaming rhythm analyser over mono samples at `sample_rate` (normally [`crate::ANALYSIS_RATE`]).
pub struct RhythmAnalyzer {
    _sample_rate: u32,
}

impl RhythmAnalyzer {
    /// A new analyser for mono input at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        RhythmAnalyzer {
            _sample_rate: sample_rate,
        }
    }

    /// Add mono samples.
    pub fn push(&mut self, _mono: &[f32]) {}

    /// Tempo and beats of everything pushed.
    pub fn finish(self) -> Rhythm {
        Rhythm {
            bpm: None,
            confidence: 0.0,
            beats: Vec::new(),
        }
    }
}
