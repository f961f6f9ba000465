//! Frame pitch and harmonicity from the autocorrelation (inverse FFT of the power spectrum).
//!
//! The power spectrum is band-limited to 60–3000 Hz first, where voices and most melodic
//! partials live, so cymbals and hiss do not dilute the periodicity. The autocorrelation is
//! divided by the Hann window's own autocorrelation (Boersma 1993) so that a perfectly periodic
//! frame scores ≈ 1 at its period whatever the lag.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner};

use super::frames::{BINS, FRAME};

/// F0 search range (Hz): covers speaking and singing voices.
const F0_RANGE: (f64, f64) = (70.0, 700.0);
/// Band kept for the autocorrelation (Hz).
const BAND_HZ: (f64, f64) = (60.0, 3000.0);

/// Autocorrelation pitch estimator with reused buffers.
pub(crate) struct PitchTracker {
    ifft: Arc<dyn ComplexToReal<f32>>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    acf: Vec<f32>,
    window_acf: Vec<f32>,
    band: (usize, usize),
    lags: (usize, usize),
    sample_rate: f64,
}

impl PitchTracker {
    /// A tracker for frames of [`FRAME`] samples at `sample_rate` Hz.
    pub(crate) fn new(sample_rate: u32) -> Self {
        let sr = f64::from(sample_rate.max(1));
        let ifft = RealFftPlanner::<f32>::new().plan_fft_inverse(FRAME);
        let bin_hz = sr / FRAME as f64;
        let band = (
            ((BAND_HZ.0 / bin_hz).floor() as usize).clamp(1, BINS - 1),
            ((BAND_HZ.1 / bin_hz).ceil() as usize).clamp(1, BINS - 1),
        );
        let max_lag = FRAME / 2;
        let lags = (
            ((sr / F0_RANGE.1).floor() as usize).clamp(2, max_lag - 1),
            ((sr / F0_RANGE.0).ceil() as usize).clamp(2, max_lag - 1),
        );
        // Autocorrelation of the periodic Hann window, computed directly once.
        let w: Vec<f64> = (0..FRAME)
            .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / FRAME as f64).cos())
            .collect();
        let w0: f64 = w.iter().map(|x| x * x).sum();
        let window_acf = (0..=max_lag)
            .map(|lag| (w.iter().zip(&w[lag..]).map(|(a, b)| a * b).sum::<f64>() / w0) as f32)
            .collect();
        PitchTracker {
            spectrum: ifft.make_input_vec(),
            scratch: ifft.make_scratch_vec(),
            acf: ifft.make_output_vec(),
            ifft,
            window_acf,
            band,
            lags,
            sample_rate: sr,
        }
    }

    /// `(f0_hz, harmonicity)` of one frame's power spectrum; harmonicity in [0, 1] is the
    /// window-corrected normalised autocorrelation at the best lag (0 for silence).
    pub(crate) fn estimate(&mut self, power: &[f32]) -> (f64, f64) {
        for (k, c) in self.spectrum.iter_mut().enumerate() {
            let p = if (self.band.0..=self.band.1).contains(&k) {
                power.get(k).copied().unwrap_or(0.0)
            } else {
                0.0
            };
            *c = Complex::new(p, 0.0);
        }
        if self
            .ifft
            .process_with_scratch(&mut self.spectrum, &mut self.acf, &mut self.scratch)
            .is_err()
        {
            return (0.0, 0.0);
        }
        let r0 = self.acf.first().copied().unwrap_or(0.0);
        if r0 <= 0.0 || !r0.is_finite() {
            return (0.0, 0.0);
        }
        let norm = |lag: usize| -> f32 {
            let r = self.acf.get(lag).copied().unwrap_or(0.0);
            let w = self.window_acf.get(lag).copied().unwrap_or(1.0).max(1e-3);
            r / r0 / w
        };
        let (mut best_lag, mut best) = (self.lags.0, f32::MIN);
        for lag in self.lags.0..=self.lags.1 {
            let v = norm(lag);
            if v > best {
                best = v;
                best_lag = lag;
            }
        }
        // Parabolic interpolation around the peak refines the period below one sample.
        let (a, c) = (norm(best_lag - 1), norm(best_lag + 1));
        let denom = a - 2.0 * best + c;
        let shift = if denom.abs() > 1e-9 {
            (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let period = best_lag as f64 + f64::from(shift);
        (self.sample_rate / period, f64::from(best.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::frames::Stft;

    fn pitch_of(signal: &[f32]) -> (f64, f64) {
        let mut stft = Stft::new();
        let mut tracker = PitchTracker::new(22_050);
        let mut out = (0.0, 0.0);
        stft.push(signal, |_, p| out = tracker.estimate(p));
        out
    }

    #[test]
    fn harmonic_tone_has_its_f0_and_high_harmonicity() {
        let f0 = 220.0f32;
        let sig: Vec<f32> = (0..2048)
            .map(|i| {
                let t = i as f32 / 22_050.0;
                (1..6)
                    .map(|h| (std::f32::consts::TAU * f0 * h as f32 * t).sin() / h as f32)
                    .sum()
            })
            .collect();
        let (f, h) = pitch_of(&sig);
        assert!((f - 220.0).abs() < 3.0, "{f}");
        assert!(h > 0.8, "{h}");
    }

    #[test]
    fn noise_has_low_harmonicity_and_silence_zero() {
        let mut seed = 7u32;
        let noise: Vec<f32> = (0..2048)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        assert!(pitch_of(&noise).1 < 0.5);
        assert_eq!(pitch_of(&[0.0; 2048]), (0.0, 0.0));
    }
}
