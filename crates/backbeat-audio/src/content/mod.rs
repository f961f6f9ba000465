//! Content: speech vs music and vocal vs instrumental probabilities.
//!
//! A 1024-point STFT (hop 512, 43 frames/s) gives per-frame features (energy, zero crossings,
//! centroid, flux, speech-band envelope, autocorrelation pitch and harmonicity). Every 43
//! frames (≈1 s) they are summarised into one [`SegmentFeatures`], kept for the whole file
//! (≈80 bytes per second); a tiny logistic model per segment gives speech and vocal
//! probabilities, averaged over the non-silent segments. Definitions: `docs/DESCRIPTORS.md`.

mod features;
pub(crate) mod frames;
mod model;
mod pitch;

use serde::Serialize;

pub use features::SegmentFeatures;
use features::{summarise, FrameFeat};
use frames::{flux_update, lane_dot, lane_sum, Stft, BINS, FRAME, HOP};
pub use model::{speech_inputs, speech_score, vocal_inputs, vocal_score};
use pitch::PitchTracker;

/// Frames per segment: 43 × 512 samples = 0.9985 s at 22.05 kHz.
const SEGMENT_FRAMES: usize = 43;
/// A trailing partial segment is used when it has at least this many frames (≈0.37 s).
const MIN_PARTIAL_FRAMES: usize = 16;
/// Segments quieter than this (dBFS) are silence and do not vote.
const ACTIVE_DBFS: f64 = -55.0;

/// Content descriptors of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    /// Probability in [0, 1] that the file is (mostly) speech rather than music.
    pub speech_probability: f64,
    /// Probability in [0, 1] that the music has sung vocals.
    pub vocal_probability: f64,
    /// Share in [0, 1] of the non-silent ≈1 s segments classified as speech (probability > 0.5).
    pub speech_fraction: f64,
}

/// Streaming analyser over mono samples at `sample_rate` (normally [`crate::ANALYSIS_RATE`]).
pub struct ContentAnalyzer {
    stft: Stft,
    pitch: PitchTracker,
    bins: BinTables,
    frame_rate: f64,
    prev_mag: Vec<f32>,
    frames: Vec<FrameFeat>,
    segments: Vec<SegmentFeatures>,
}

impl ContentAnalyzer {
    /// A new analyser for mono input at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        let sr = f64::from(sample_rate.max(1));
        ContentAnalyzer {
            stft: Stft::new(),
            pitch: PitchTracker::new(sample_rate),
            bins: BinTables::new(sr),
            frame_rate: sr / HOP as f64,
            prev_mag: vec![0.0; BINS],
            frames: Vec::with_capacity(SEGMENT_FRAMES),
            segments: Vec::new(),
        }
    }

    /// Add mono samples.
    pub fn push(&mut self, mono: &[f32]) {
        // Split the borrows so the frame callback can update the state directly.
        let ContentAnalyzer {
            stft,
            pitch,
            bins,
            frame_rate,
            prev_mag,
            frames,
            segments,
        } = self;
        let frame_rate = *frame_rate;
        stft.push(mono, |samples, power| {
            frames.push(frame_features(samples, power, prev_mag, pitch, bins));
            if frames.len() == SEGMENT_FRAMES {
                segments.push(summarise(frames, frame_rate));
                frames.clear();
            }
        });
    }

    /// Per-segment feature summaries so far plus the trailing partial one (for calibration).
    pub fn segment_features(&self) -> Vec<SegmentFeatures> {
        let mut all = self.segments.clone();
        if self.frames.len() >= MIN_PARTIAL_FRAMES {
            all.push(summarise(&self.frames, self.frame_rate));
        }
        all
    }

    /// The probabilities for everything pushed.
    pub fn finish(self) -> Content {
        let (mut n, mut speech_sum, mut speech_count) = (0usize, 0.0, 0usize);
        let (mut vocal_sum, mut music_weight) = (0.0, 0.0);
        for seg in self
            .segment_features()
            .iter()
            .filter(|s| s.level_db >= ACTIVE_DBFS)
        {
            let ps = speech_score(seg);
            n += 1;
            speech_sum += ps;
            speech_count += usize::from(ps > 0.5);
            // Vocals are judged on the music: speech-like segments weigh less.
            vocal_sum += (1.0 - ps) * vocal_score(seg);
            music_weight += 1.0 - ps;
        }
        let ratio = |a: f64, b: f64| {
            if b > 0.0 {
                (a / b).clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        Content {
            speech_probability: ratio(speech_sum, n as f64),
            vocal_probability: ratio(vocal_sum, music_weight),
            speech_fraction: ratio(speech_count as f64, n as f64),
        }
    }
}

/// Features of one frame; updates `prev_mag` for the next frame's flux.
fn frame_features(
    samples: &[f32],
    power: &[f32],
    prev_mag: &mut [f32],
    pitch: &mut PitchTracker,
    bins: &BinTables,
) -> FrameFeat {
    let ms = f64::from(lane_dot(samples, samples)) / FRAME as f64;
    let crossings: u32 = samples
        .iter()
        .zip(samples.iter().skip(1))
        .map(|(a, b)| u32::from((*a >= 0.0) != (*b >= 0.0)))
        .sum();
    // Bin 0 (DC) is left out of every spectral sum: it says nothing about timbre.
    let spec = power.get(1..).unwrap_or(&[]);
    let p_sum = f64::from(lane_sum(spec));
    let pk_sum = f64::from(lane_dot(spec, &bins.index));
    let band = f64::from(lane_sum(
        power.get(bins.speech.0..bins.speech.1).unwrap_or(&[]),
    ));
    let (flux, mag_sum) = flux_update(spec, prev_mag.get_mut(1..).unwrap_or(&mut []));
    let (flux, mag_sum) = (f64::from(flux), f64::from(mag_sum));
    let (f0, harmonicity) = pitch.estimate(power);
    FrameFeat {
        ms,
        zcr: f64::from(crossings) / FRAME as f64,
        centroid: if p_sum > 0.0 {
            bins.hz * pk_sum / p_sum
        } else {
            0.0
        },
        flux: if mag_sum > 0.0 { flux / mag_sum } else { 0.0 },
        speech_amp: band.sqrt(),
        f0,
        harmonicity,
    }
}

/// Per-bin constants of the frame features.
struct BinTables {
    /// Width of one bin (Hz).
    hz: f64,
    /// Bin numbers 1, 2, … as f32, aligned with the spectrum without its DC bin.
    index: Vec<f32>,
    /// Bin range of the 150–4000 Hz speech band (end exclusive).
    speech: (usize, usize),
}

impl BinTables {
    fn new(sample_rate: f64) -> Self {
        let hz = sample_rate / FRAME as f64;
        let bin = |f: f64| ((f / hz) as usize).clamp(1, BINS);
        BinTables {
            hz,
            index: (1..BINS).map(|k| k as f32).collect(),
            speech: (bin(150.0), bin(4000.0) + 1),
        }
    }
}
