//! Energy and dynamics: RMS, crest factor, dynamic complexity, energy and danceability scores.
//! (stub: to be implemented)

use serde::Serialize;

use crate::rhythm::Rhythm;

/// Energy and dynamics descriptors of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dynamics {
    /// RMS level of the whole signal (dBFS); `None` for digital silence.
    pub rms_dbfs: Option<f64>,
    /// Crest factor: peak over RMS (dB); `None` for digital silence.
    pub crest_db: Option<f64>,
    /// Dynamic complexity (dB): mean absolute deviation of short-term loudness from its mean.
    pub dynamic_complexity: f64,
    /// Energy score in [0, 1].
    pub energy: f64,
    /// Danceability score in [0, 1].
    pub danceability: f64,
}

/// Streaming analyser over mono samples at `sample_rate` (normally [`crate::ANALYSIS_RATE`]).
pub struct DynamicsAnalyzer {
    _sample_rate: u32,
}

impl DynamicsAnalyzer {
    /// A new analyser for mono input at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        DynamicsAnalyzer {
            _sample_rate: sample_rate,
        }
    }

    /// Add mono samples.
    pub fn push(&mut self, _mono: &[f32]) {}

    /// The descriptors of everything pushed; `rhythm` feeds danceability.
    pub fn finish(self, _rhythm: &Rhythm) -> Dynamics {
        Dynamics {
            rms_dbfs: None,
            crest_db: None,
            dynamic_complexity: 0.0,
            energy: 0.0,
            danceability: 0.0,
        }
    }
}
