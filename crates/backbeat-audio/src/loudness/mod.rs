//! Loudness per ITU-R BS.1770-4 / EBU R128 (integrated, range, true peak) and ReplayGain 2.0.
//! (stub: to be implemented)

use serde::Serialize;

/// Loudness descriptors of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loudness {
    /// Integrated loudness (LUFS); `None` when every block is below the absolute gate (silence).
    pub integrated_lufs: Option<f64>,
    /// Loudness range (LU) per EBU Tech 3342.
    pub loudness_range_lu: f64,
    /// True peak (dBTP); `None` for digital silence.
    pub true_peak_dbtp: Option<f64>,
    /// Sample peak (dBFS); `None` for digital silence.
    pub sample_peak_dbfs: Option<f64>,
    /// ReplayGain 2.0 track gain (dB) towards -18 LUFS; `None` when loudness is undefined.
    pub replaygain_track_gain_db: Option<f64>,
    /// ReplayGain track peak (linear, true peak).
    pub replaygain_track_peak: f64,
}

/// Streaming loudness meter over interleaved samples at the source rate.
pub struct LoudnessMeter {
    _channels: usize,
}

impl LoudnessMeter {
    /// A meter for `channels` interleaved channels at `sample_rate` Hz.
    pub fn new(_sample_rate: u32, channels: usize) -> Self {
        LoudnessMeter {
            _channels: channels,
        }
    }

    /// Add interleaved samples.
    pub fn push_interleaved(&mut self, _samples: &[f32]) {}

    /// The descriptors of everything pushed.
    pub fn finish(self) -> Loudness {
        Loudness {
            integrated_lufs: None,
            loudness_range_lu: 0.0,
            true_peak_dbtp: None,
            sample_peak_dbfs: None,
            replaygain_track_gain_db: None,
            replaygain_track_peak: 0.0,
        }
    }
}
