//! Loudness per ITU-R BS.1770-4 / EBU R128 (integrated, range, true peak) and ReplayGain 2.0.
//!
//! One streaming pass over the interleaved source samples:
//! K-weighting ([`kweight`]) → per-channel Σy² over 100 ms sub-blocks → channel weights →
//! 400 ms / 3 s blocks ([`blocks`]) → gates ([`gating`]); in parallel the oversampled true
//! peak ([`truepeak`]). State is O(channels) plus two fixed ~120 KB histograms, whatever the
//! duration.

pub mod blocks;
pub mod gating;
pub mod kweight;
pub mod truepeak;

use serde::Serialize;

use blocks::{Blocks, Geometry, SubBlock};
use kweight::KWeighting;
use truepeak::TruePeak;

/// ReplayGain 2.0 reference level (LUFS).
pub const REPLAYGAIN_REFERENCE_LUFS: f64 = -18.0;

/// Loudness descriptors of one file.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
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
    channels: usize,
    weights: Vec<f64>,
    kweight: KWeighting,
    /// Per-channel Σy² of the current sub-block.
    acc: Vec<f64>,
    /// Frames per 100 ms sub-block, and frames already in the current one.
    hop: usize,
    in_hop: usize,
    /// Where the short-term and momentary tails of a sub-block begin, and the weighted sum of
    /// the current sub-block at those points.
    tail_starts: [usize; 2],
    at_tail_start: [f64; 2],
    blocks: Blocks,
    peaks: TruePeak,
    /// Samples of an incomplete frame left over from the previous push.
    pending: Vec<f32>,
    /// Scratch: sanitised whole frames of the current push.
    clean: Vec<f32>,
}

/// Samples are clamped to this magnitude so that no f32 sum downstream can overflow; it is
/// 600 dB above full scale, so no real signal is affected.
const MAX_SAMPLE: f32 = 1e30;

impl LoudnessMeter {
    /// A meter for `channels` interleaved channels at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: usize) -> Self {
        let channels = channels.max(1);
        let geometry = Geometry::new(sample_rate);
        LoudnessMeter {
            channels,
            weights: channel_weights(channels),
            kweight: KWeighting::new(sample_rate, channels),
            acc: vec![0.0; channels],
            hop: geometry.hop,
            in_hop: 0,
            tail_starts: geometry.tail_starts(),
            at_tail_start: [0.0; 2],
            blocks: Blocks::new(geometry),
            peaks: TruePeak::new(sample_rate, channels),
            pending: Vec::new(),
            clean: Vec::new(),
        }
    }

    /// Add interleaved samples.
    pub fn push_interleaved(&mut self, samples: &[f32]) {
        let mut clean = std::mem::take(&mut self.clean);
        clean.clear();
        clean.append(&mut self.pending);
        // NaN/inf would poison every sum and filter state from here on: they count as silence.
        clean.extend(samples.iter().map(|&x| {
            if x.is_finite() {
                x.clamp(-MAX_SAMPLE, MAX_SAMPLE)
            } else {
                0.0
            }
        }));
        let whole = clean.len() - clean.len() % self.channels;
        self.pending.extend(clean.drain(whole..));

        self.peaks.push(&clean);
        let mut rest = &clean[..];
        while !rest.is_empty() {
            // Stop at the next tail start or at the end of the sub-block.
            let stop = self
                .tail_starts
                .iter()
                .copied()
                .filter(|&t| t > self.in_hop)
                .fold(self.hop, usize::min);
            let take = (stop - self.in_hop).min(rest.len() / self.channels);
            let (now, later) = rest.split_at(take * self.channels);
            self.kweight.process(now, &mut self.acc);
            self.in_hop += take;
            rest = later;
            for (start, sum) in self.tail_starts.iter().zip(&mut self.at_tail_start) {
                if self.in_hop == *start {
                    *sum = weighted(&self.acc, &self.weights);
                }
            }
            if self.in_hop == self.hop {
                let total = weighted(&self.acc, &self.weights);
                let [short, momentary] = self.at_tail_start;
                self.blocks.push(SubBlock {
                    total,
                    tail_short: (total - short).max(0.0),
                    tail_momentary: (total - momentary).max(0.0),
                });
                self.acc.fill(0.0);
                self.in_hop = 0;
                self.kweight.flush_tiny();
            }
        }
        self.clean = clean;
    }

    /// The descriptors of everything pushed.
    pub fn finish(self) -> Loudness {
        // The last partial sub-block is dropped: BS.1770 gates complete blocks only.
        let (integrated, range) = self.blocks.finish();
        let (true_peak, sample_peak) = self.peaks.finish();
        let db = |linear: f32| (linear > 0.0).then(|| 20.0 * f64::from(linear).log10());
        Loudness {
            integrated_lufs: integrated,
            loudness_range_lu: range,
            true_peak_dbtp: db(true_peak),
            sample_peak_dbfs: db(sample_peak),
            replaygain_track_gain_db: integrated.map(|i| REPLAYGAIN_REFERENCE_LUFS - i),
            replaygain_track_peak: f64::from(true_peak),
        }
    }
}

/// Σ over channels of weight × Σy².
fn weighted(acc: &[f64], weights: &[f64]) -> f64 {
    acc.iter().zip(weights).map(|(a, w)| a * w).sum()
}

/// BS.1770 channel weights for WAV/SMPTE channel order: 1.0 for front channels, 1.41 (+1.5 dB)
/// for surrounds, 0 for the LFE (not measured). Layouts we cannot infer weigh 1.0 everywhere.
pub fn channel_weights(channels: usize) -> Vec<f64> {
    const S: f64 = 1.41;
    match channels {
        // Quad: L R Ls Rs.
        4 => vec![1.0, 1.0, S, S],
        // 5.0: L R C Ls Rs.
        5 => vec![1.0, 1.0, 1.0, S, S],
        // 5.1: L R C LFE Ls Rs.
        6 => vec![1.0, 1.0, 1.0, 0.0, S, S],
        // 6.1: L R C LFE Cs Ls Rs.
        7 => vec![1.0, 1.0, 1.0, 0.0, S, S, S],
        // 7.1: L R C LFE Lb Rb Ls Rs.
        8 => vec![1.0, 1.0, 1.0, 0.0, S, S, S, S],
        n => vec![1.0; n.max(1)],
    }
}

#[cfg(test)]
mod tests;
