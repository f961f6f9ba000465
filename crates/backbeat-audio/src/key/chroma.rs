//! Frame-wise pitch-class energy from spectral peaks (an HPCP-like front end).
//!
//! Each frame is windowed, transformed, and its local spectral maxima that stand clearly above
//! the local spectral level are kept (tonal partials, not noise). Each peak's interpolated
//! frequency is mapped to a fine pitch-class histogram (`BINS_PER_SEMITONE` bins per semitone)
//! so that tuning can be estimated at the end from where the energy sits between semitones.

use crate::spectrum::HannFft;

/// FFT frame length at the decimated rate (4096 / 11,025 Hz = 0.37 s, 2.7 Hz bins).
pub(crate) const FRAME: usize = 4096;
/// Hop between frames (50 % overlap).
pub(crate) const HOP: usize = 2048;
/// Resolution of the fine histogram used for tuning estimation.
pub(crate) const BINS_PER_SEMITONE: usize = 5;
/// Fine histogram size: one octave.
pub(crate) const FINE: usize = 12 * BINS_PER_SEMITONE;
/// Half-width (bins) of the window over which the local spectral level is averaged.
const ENV_HALF: usize = 24;
/// Peaks more than 60 dB below the frame's strongest bin are ignored: whitening would otherwise
/// give inaudible floor noise (even float rounding) the same say as real partials.
const DYNAMIC_RANGE: f32 = 1e-3;
/// Frames with a mean square below this (−100 dBFS) are silence and are skipped.
const SILENT_MS: f32 = 1e-10;
/// Peaks below this frequency (about G3) also go to the bass histogram: the bass line dwells
/// on the tonic and the fifth, which tells a minor key from its relative major when the upper
/// voices share one scale (Mauch & Dixon's bass chroma).
pub(crate) const BASS_MAX_HZ: f32 = 200.0;

/// Tunable parameters of the chroma front end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChromaConfig {
    /// Lowest peak frequency used (Hz).
    pub min_hz: f32,
    /// Highest peak frequency used (Hz).
    pub max_hz: f32,
    /// A peak counts only if its magnitude exceeds the local mean magnitude by this factor.
    pub peak_ratio: f32,
    /// Use the peak's magnitude divided by the local mean (spectral whitening) instead of its
    /// raw magnitude.
    pub whiten: bool,
    /// Exponent applied to the (whitened) magnitude of each peak.
    pub power: f32,
    /// Each frame is normalised to unit sum and then weighted by (its raw sum)^`frame_power`:
    /// 0 gives every tonal frame the same say, 1 weights frames by their tonal energy.
    pub frame_power: f32,
}

impl Default for ChromaConfig {
    fn default() -> Self {
        ChromaConfig {
            min_hz: 55.0,
            max_hz: 4000.0,
            peak_ratio: 2.0,
            whiten: true,
            power: 1.0,
            frame_power: 0.0,
        }
    }
}

/// Accumulates the fine pitch-class histogram over frames of `FRAME` samples.
pub(crate) struct ChromaAccumulator {
    cfg: ChromaConfig,
    rate: f32,
    fft: HannFft,
    mag: Vec<f32>,
    prefix: Vec<f32>,
    frame_hist: [f32; FINE],
    frame_bass: [f32; FINE],
    /// Sum over frames of the normalised, weighted fine histograms.
    pub(crate) total: [f64; FINE],
    /// Sum over frames of the fine histograms of the bass peaks alone, each frame with bass
    /// normalised to unit sum.
    pub(crate) bass: [f64; FINE],
    /// Number of non-silent frames with at least one tonal peak.
    pub(crate) tonal_frames: usize,
}

impl ChromaAccumulator {
    /// A new accumulator for frames sampled at `rate` Hz.
    pub(crate) fn new(rate: f32, cfg: ChromaConfig) -> Self {
        ChromaAccumulator {
            cfg,
            rate,
            fft: HannFft::new(FRAME),
            mag: vec![0.0; FRAME / 2 + 1],
            prefix: vec![0.0; FRAME / 2 + 2],
            frame_hist: [0.0; FINE],
            frame_bass: [0.0; FINE],
            total: [0.0; FINE],
            bass: [0.0; FINE],
            tonal_frames: 0,
        }
    }

    /// Analyse one frame (`frame.len()` ≤ `FRAME`; a shorter frame is zero-padded).
    pub(crate) fn process(&mut self, frame: &[f32]) {
        let n = frame.len().min(FRAME);
        let ms = frame.iter().take(n).map(|x| x * x).sum::<f32>() / FRAME as f32;
        if ms.is_nan() || ms <= SILENT_MS {
            return;
        }
        let Some(spectrum) = self.fft.transform(&frame[..n]) else {
            return;
        };
        for (m, c) in self.mag.iter_mut().zip(spectrum) {
            *m = c.norm();
        }
        self.prefix[0] = 0.0;
        for i in 0..self.mag.len() {
            self.prefix[i + 1] = self.prefix[i] + self.mag[i];
        }
        self.frame_hist = [0.0; FINE];
        self.frame_bass = [0.0; FINE];
        let mut bass_sum = 0.0f32;
        let bin_hz = self.rate / FRAME as f32;
        let lo = ((self.cfg.min_hz / bin_hz).floor() as usize).max(2);
        let hi = ((self.cfg.max_hz.min(0.45 * self.rate) / bin_hz).ceil() as usize)
            .min(self.mag.len().saturating_sub(2));
        let top = self
            .mag
            .get(lo..=hi.max(lo))
            .map_or(0.0, |band| band.iter().fold(0.0f32, |m, &v| m.max(v)));
        let floor = top * DYNAMIC_RANGE;
        let mut frame_sum = 0.0f32;
        for k in lo..=hi.max(lo) {
            let (Some(&a), Some(&b), Some(&c)) =
                (self.mag.get(k - 1), self.mag.get(k), self.mag.get(k + 1))
            else {
                break;
            };
            if !(b > a && b >= c && b > floor) {
                continue;
            }
            let e0 = k.saturating_sub(ENV_HALF);
            let e1 = (k + ENV_HALF + 1).min(self.mag.len());
            let env = (self.prefix[e1] - self.prefix[e0]) / (e1 - e0) as f32;
            if b.is_nan() || b <= self.cfg.peak_ratio * env {
                continue;
            }
            // Parabolic interpolation on log magnitude: exact for a Gaussian main lobe and
            // within a few cents for Hann, which matters because tuning is estimated from it.
            let (la, lb, lc) = (a.max(1e-30).ln(), b.ln(), c.max(1e-30).ln());
            let den = la - 2.0 * lb + lc;
            let p = if den < 0.0 {
                (0.5 * (la - lc) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let amp = (lb - 0.25 * (la - lc) * p).exp();
            let freq = (k as f32 + p) * bin_hz;
            let base = if self.cfg.whiten { amp / env } else { amp };
            let w = base.powf(self.cfg.power);
            if !w.is_finite() || w <= 0.0 {
                continue;
            }
            // Position in semitones above C, folded to one octave.
            let pc = (12.0 * (freq / 440.0).log2() + 9.0).rem_euclid(12.0);
            let x = pc * BINS_PER_SEMITONE as f32;
            let j = (x.floor() as usize) % FINE;
            let frac = x - x.floor();
            self.frame_hist[j] += w * (1.0 - frac);
            self.frame_hist[(j + 1) % FINE] += w * frac;
            frame_sum += w;
            if freq < BASS_MAX_HZ {
                self.frame_bass[j] += w * (1.0 - frac);
                self.frame_bass[(j + 1) % FINE] += w * frac;
                bass_sum += w;
            }
        }
        if !frame_sum.is_finite() || frame_sum <= 0.0 {
            return;
        }
        let scale = f64::from(frame_sum).powf(f64::from(self.cfg.frame_power) - 1.0);
        for (t, h) in self.total.iter_mut().zip(self.frame_hist.iter()) {
            *t += f64::from(*h) * scale;
        }
        if bass_sum.is_finite() && bass_sum > 0.0 {
            for (t, h) in self.bass.iter_mut().zip(self.frame_bass.iter()) {
                *t += f64::from(*h / bass_sum);
            }
        }
        self.tonal_frames += 1;
    }
}
