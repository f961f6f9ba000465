//! Energy and dynamics: RMS, crest factor, dynamic complexity, energy and danceability scores.
//!
//! Level statistics come from the raw samples; the scores add three spectral features from a
//! 1024-point STFT (hop 512): onset density (normalised spectral flux), brightness (power share
//! above 2 kHz) and the clarity of the bass-band pulse. Exact definitions: `docs/DESCRIPTORS.md`.

mod level;
mod pulse;
mod scores;

use serde::Serialize;

use crate::content::frames::{flux_update, lane_dot, lane_sum, Stft, BINS, FRAME, HOP};
use crate::rhythm::Rhythm;
use level::LevelStats;
use pulse::PulseAcf;
pub use scores::{beat_regularity, danceability, energy, logistic, tempo_weight, DynamicsFeatures};

/// Frames quieter than this mean square (−70 dBFS) carry no onset or brightness information.
const FRAME_SILENCE_MS: f32 = 1e-7;
/// Lower edge of the "high-frequency" band of the brightness feature (Hz).
const HF_EDGE_HZ: f64 = 2000.0;
/// Upper edge of the bass band whose onsets carry the dance pulse (Hz).
const BASS_EDGE_HZ: f64 = 200.0;
/// Below this bass-onset strength (bass flux over total magnitude) there is no bass pulse:
/// the autocorrelation of a near-zero envelope (a steady tone) would only measure rounding.
const MIN_BASS_ONSET: f64 = 2e-4;

/// Energy and dynamics descriptors of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dynamics {
    /// RMS level of the whole signal (dBFS); `None` for digital silence.
    pub rms_dbfs: Option<f64>,
    /// Crest factor: peak over RMS (dB); `None` for digital silence.
    pub crest_db: Option<f64>,
    /// Dynamic complexity (dB): mean absolute deviation of 2-s levels from the track level.
    pub dynamic_complexity: f64,
    /// Energy score in [0, 1].
    pub energy: f64,
    /// Danceability score in [0, 1].
    pub danceability: f64,
}

/// Streaming analyser over mono samples at `sample_rate` (normally [`crate::ANALYSIS_RATE`]).
pub struct DynamicsAnalyzer {
    level: LevelStats,
    stft: Stft,
    prev_mag: Vec<f32>,
    hf_bin: usize,
    bass_bins: usize,
    flux_sum: f64,
    flux_frames: u64,
    hf_power: f64,
    total_power: f64,
    bass_flux_sum: f64,
    mag_sum: f64,
    pulse: PulseAcf,
}

impl DynamicsAnalyzer {
    /// A new analyser for mono input at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        let sr = f64::from(sample_rate.max(1));
        let bin_hz = sr / FRAME as f64;
        DynamicsAnalyzer {
            level: LevelStats::new(sample_rate),
            stft: Stft::new(),
            prev_mag: vec![0.0; BINS],
            hf_bin: ((HF_EDGE_HZ / bin_hz).ceil() as usize).min(BINS),
            bass_bins: ((BASS_EDGE_HZ / bin_hz).floor() as usize).clamp(1, BINS - 1),
            flux_sum: 0.0,
            flux_frames: 0,
            hf_power: 0.0,
            total_power: 0.0,
            bass_flux_sum: 0.0,
            mag_sum: 0.0,
            pulse: PulseAcf::new(sr / HOP as f64),
        }
    }

    /// Add mono samples.
    pub fn push(&mut self, mono: &[f32]) {
        self.level.push(mono);
        // Split the borrows so the frame callback can update the accumulators directly.
        let DynamicsAnalyzer {
            stft,
            prev_mag,
            hf_bin,
            bass_bins,
            flux_sum,
            flux_frames,
            hf_power,
            total_power,
            bass_flux_sum,
            mag_sum: mag_total,
            pulse,
            ..
        } = self;
        let (hf_bin, bass_bins) = (*hf_bin, *bass_bins);
        stft.push(mono, |samples, power| {
            let ms = lane_dot(samples, samples) / FRAME as f32;
            // The bass rise must be read before `flux_update` overwrites the previous frame.
            let bass_flux: f32 = power
                .iter()
                .zip(prev_mag.iter())
                .take(bass_bins + 1)
                .skip(1)
                .map(|(&p, &m)| (p.sqrt() - m).max(0.0))
                .sum();
            let (flux, mag_sum) = flux_update(power, prev_mag);
            pulse.push(f64::from(bass_flux));
            if ms >= FRAME_SILENCE_MS && mag_sum > 0.0 {
                *flux_sum += f64::from(flux / mag_sum);
                *flux_frames += 1;
                *bass_flux_sum += f64::from(bass_flux);
                *mag_total += f64::from(mag_sum);
                *hf_power += f64::from(lane_sum(power.get(hf_bin..).unwrap_or(&[])));
                *total_power += f64::from(lane_sum(power.get(1..).unwrap_or(&[])));
            }
        });
    }

    /// The features behind the scores, for inspection and calibration.
    pub fn features(&self) -> DynamicsFeatures {
        let bass_onset = if self.mag_sum > 0.0 {
            self.bass_flux_sum / self.mag_sum
        } else {
            0.0
        };
        let has_pulse = bass_onset >= MIN_BASS_ONSET;
        let strongest = self.pulse.strongest().filter(|_| has_pulse);
        let pulse_curve = if has_pulse {
            self.pulse.curve()
        } else {
            Vec::new()
        };
        DynamicsFeatures {
            rms_dbfs: self.level.rms_dbfs(),
            flux: self.flux_sum / self.flux_frames.max(1) as f64,
            hf_share: if self.total_power > 0.0 {
                self.hf_power / self.total_power
            } else {
                0.0
            },
            pulse_clarity: strongest.map(|s| s.0),
            pulse_bpm: strongest.map(|s| s.1),
            pulse_curve,
            bass_onset,
        }
    }

    /// The descriptors of everything pushed; `rhythm` feeds danceability.
    pub fn finish(self, rhythm: &Rhythm) -> Dynamics {
        let f = self.features();
        Dynamics {
            rms_dbfs: f.rms_dbfs,
            crest_db: self.level.crest_db(),
            dynamic_complexity: self.level.dynamic_complexity(),
            energy: energy(&f),
            danceability: danceability(&f, rhythm),
        }
    }
}
