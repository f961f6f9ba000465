//! The musicnn log-mel front end, streaming.
//!
//! musicnn's reference computes
//! `librosa.feature.melspectrogram(y, sr=16000, n_fft=512, hop_length=256, n_mels=96)` and then
//! `log10(10000 * mel + 1)`. With librosa's defaults (checked in 0.11.0) that is: centred frames
//! with `n_fft / 2` zeros of padding at both ends (`pad_mode='constant'`, the default since
//! librosa 0.9), a periodic Hann window, the squared magnitude of the real FFT, and a Slaney-style
//! mel filterbank (Slaney mel scale, `norm='slaney'`, 0 Hz to 8 kHz). An input of `n` samples
//! gives `1 + n / 256` frames. Everything here is float32 except the window and the filterbank,
//! which are built in float64 the way librosa builds them and then stored as float32.
//!
//! musicnn's own `extractor.py` differs in two ways deliberately not copied: it predates librosa
//! 0.9, so its default `pad_mode='reflect'` gave a different first and last frame; and it casts
//! the mel to float16 before the log, which rounds by up to ~2e-4 in log-mel and, as
//! `10000 * mel` is then computed in float16, overflows to infinity for any band above 6.55.
//! The golden fixture is librosa's current float64 computation.
//!
//! [`MelFrontEnd`] takes samples in chunks of any size, so an hour-long file never has to sit in
//! memory as samples; its frames are identical, bit for bit, to those of the one-shot [`log_mel`].

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// The sample rate the front end expects; resampling is the caller's job.
pub const SAMPLE_RATE: u32 = 16_000;
/// FFT and window length in samples.
pub const N_FFT: usize = 512;
/// Hop between frames in samples.
pub const HOP: usize = 256;
/// Mel bands per frame.
pub const N_MELS: usize = 96;

/// Bins of the real FFT.
const N_BINS: usize = N_FFT / 2 + 1;
/// librosa centres frame `t` on sample `t * HOP` by padding this many zeros at both ends.
const PAD: usize = N_FFT / 2;

/// One frame of log-mel features, lowest band first.
pub type MelFrame = [f32; N_MELS];

/// Why the front end refused to produce features.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MelError {
    /// A NaN or infinite sample; features computed from it would be NaN and poison the tagger.
    #[error("input sample {index} is not finite ({value})")]
    NonFiniteInput {
        /// Position of the sample counted from the start of the stream.
        index: u64,
        /// The offending value.
        value: f32,
    },
    /// A feature overflowed, which takes finite samples of absurd magnitude (around 1e15).
    #[error("log-mel frame {frame} is not finite; the input is far outside audio range")]
    NonFiniteOutput {
        /// Index of the frame, counted from the start of the stream.
        frame: u64,
    },
    /// realfft rejected its buffers; cannot happen as their sizes come from the plan.
    #[error("FFT failed: {0}")]
    Fft(String),
}

/// The number of frames [`log_mel`] (or a [`MelFrontEnd`] fed `n_samples`) produces.
pub fn frame_count(n_samples: u64) -> u64 {
    1 + n_samples / HOP as u64
}

/// The log-mel features of a whole signal of 16 kHz mono samples, one [`MelFrame`] per hop.
///
/// Returns `1 + samples.len() / 256` frames; an empty signal gives one frame of zeros, as librosa
/// does. Prefer [`MelFrontEnd`] for long inputs that arrive in pieces.
pub fn log_mel(samples: &[f32]) -> Result<Vec<MelFrame>, MelError> {
    let mut frames = Vec::with_capacity(frame_count(samples.len() as u64) as usize);
    let mut front = MelFrontEnd::new();
    front.push(samples, |f| frames.push(*f))?;
    front.finish(|f| frames.push(*f))?;
    Ok(frames)
}

/// A streaming log-mel front end: push 16 kHz mono samples in chunks of any size, receive each
/// frame as soon as the samples it covers have arrived, then [`finish`](Self::finish) for the
/// frame that reaches into the end padding.
///
/// Frame `t` covers samples `t * 256 - 256 .. t * 256 + 256` (zeros outside the signal), so it
/// is emitted once sample `t * 256 + 255` has been pushed. After an error the front end should be
/// dropped; a rejected chunk (non-finite input) leaves it unchanged, though.
pub struct MelFrontEnd {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    filterbank: Filterbank,
    /// The centre-padded signal not yet fully consumed; shorter than `N_FFT` between calls.
    pending: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f32>,
    samples_pushed: u64,
    frames_emitted: u64,
}

impl Default for MelFrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl MelFrontEnd {
    /// A front end at the start of a stream; plans the FFT and builds the filterbank.
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        // scipy's get_window('hann', N_FFT, fftbins=True): the periodic Hann window.
        let window = (0..N_FFT)
            .map(|i| {
                let x = std::f64::consts::TAU * i as f64 / N_FFT as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        let mut pending = Vec::with_capacity(N_FFT);
        pending.resize(PAD, 0.0);
        MelFrontEnd {
            window,
            filterbank: Filterbank::slaney(),
            pending,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            power: vec![0.0; N_BINS],
            fft,
            samples_pushed: 0,
            frames_emitted: 0,
        }
    }

    /// Feeds the next `samples` of the stream, calling `emit` with each frame they complete.
    ///
    /// A chunk holding a NaN or infinity is rejected whole, before any of it is consumed.
    pub fn push(
        &mut self,
        samples: &[f32],
        mut emit: impl FnMut(&MelFrame),
    ) -> Result<(), MelError> {
        if let Some(i) = samples.iter().position(|s| !s.is_finite()) {
            return Err(MelError::NonFiniteInput {
                index: self.samples_pushed + i as u64,
                value: samples[i],
            });
        }
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (N_FFT - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == N_FFT {
                self.emit_frame(&mut emit)?;
            }
        }
        self.samples_pushed += samples.len() as u64;
        Ok(())
    }

    /// Ends the stream: pads the end with zeros as librosa does and emits the remaining frame.
    /// Returns the total number of frames emitted, `1 + samples / 256`.
    pub fn finish(mut self, mut emit: impl FnMut(&MelFrame)) -> Result<u64, MelError> {
        self.pending.resize(self.pending.len() + PAD, 0.0);
        // With a hop of half the window this runs exactly once; the loop keeps it right anyway.
        while self.pending.len() >= N_FFT {
            self.emit_frame(&mut emit)?;
        }
        Ok(self.frames_emitted)
    }

    /// Frames emitted so far.
    pub fn frames_emitted(&self) -> u64 {
        self.frames_emitted
    }

    /// Computes the frame in `pending[..N_FFT]`, emits it and advances by one hop.
    fn emit_frame(&mut self, emit: &mut impl FnMut(&MelFrame)) -> Result<(), MelError> {
        for ((dst, &s), &w) in self.input.iter_mut().zip(&self.pending).zip(&self.window) {
            *dst = s * w;
        }
        self.pending.copy_within(HOP.., 0);
        self.pending.truncate(self.pending.len() - HOP);
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .map_err(|e| MelError::Fft(e.to_string()))?;
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.re * c.re + c.im * c.im;
        }
        let mut frame = [0.0; N_MELS];
        self.filterbank.apply(&self.power, &mut frame);
        for v in &mut frame {
            *v = (10_000.0 * *v + 1.0).log10();
        }
        if !frame.iter().all(|v| v.is_finite()) {
            return Err(MelError::NonFiniteOutput {
                frame: self.frames_emitted,
            });
        }
        emit(&frame);
        self.frames_emitted += 1;
        Ok(())
    }
}

/// librosa's `filters.mel(sr=16000, n_fft=512, n_mels=96)` kept sparse: each triangle touches
/// only a few bins (1 in the lowest band, 15 in the highest), so storing each band's nonzero run
/// leaves 502 multiply-adds per frame instead of the dense 96 x 257 = 24,672.
struct Filterbank {
    /// Per band: the first bin with a nonzero weight and the end of its run in `weights`.
    bands: Vec<(usize, std::ops::Range<usize>)>,
    weights: Vec<f32>,
}

impl Filterbank {
    /// Follows librosa 0.11 `filters.mel` step by step in float64, rounding where librosa
    /// rounds: the triangle is stored into a float32 array, then scaled in place by the float64
    /// Slaney normalisation `2 / (f_hi - f_lo)` and rounded to float32 again.
    fn slaney() -> Self {
        let sr = f64::from(SAMPLE_RATE);
        // np.fft.rfftfreq(n, d=1/sr): k * (1 / (n * d)).
        let bin_hz = 1.0 / (N_FFT as f64 * (1.0 / sr));
        let fftfreqs: Vec<f64> = (0..N_BINS).map(|k| k as f64 * bin_hz).collect();
        // mel_frequencies(n_mels + 2, fmin=0, fmax=sr/2): band edges evenly spaced in mels,
        // with np.linspace's arithmetic (i * step + start, last point set to stop exactly).
        let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
        let n_edges = N_MELS + 2;
        let step = (hi - lo) / (n_edges - 1) as f64;
        let mel_f: Vec<f64> = (0..n_edges)
            .map(|i| {
                let m = if i == n_edges - 1 {
                    hi
                } else {
                    i as f64 * step + lo
                };
                mel_to_hz(m)
            })
            .collect();

        let mut bands = Vec::with_capacity(N_MELS);
        let mut weights = Vec::new();
        for i in 0..N_MELS {
            let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
            let band: Vec<f32> = fftfreqs
                .iter()
                .map(|&f| {
                    let lower = -(mel_f[i] - f) / (mel_f[i + 1] - mel_f[i]);
                    let upper = (mel_f[i + 2] - f) / (mel_f[i + 2] - mel_f[i + 1]);
                    let tri = lower.min(upper).max(0.0) as f32;
                    (f64::from(tri) * enorm) as f32
                })
                .collect();
            let first = band.iter().position(|&w| w > 0.0).unwrap_or(0);
            let end = band.iter().rposition(|&w| w > 0.0).map_or(first, |k| k + 1);
            let start = weights.len();
            weights.extend_from_slice(&band[first..end]);
            bands.push((first, start..weights.len()));
        }
        Filterbank { bands, weights }
    }

    /// `out[m] = sum_k weights[m][k] * power[k]`, over each band's nonzero run only.
    fn apply(&self, power: &[f32], out: &mut MelFrame) {
        for (o, (first, run)) in out.iter_mut().zip(&self.bands) {
            let w = &self.weights[run.clone()];
            *o = w.iter().zip(&power[*first..]).map(|(w, p)| w * p).sum();
        }
    }

    /// The dense `N_MELS x N_BINS` matrix, row-major, for comparison with librosa's.
    #[cfg(test)]
    fn dense(&self) -> Vec<f32> {
        let mut dense = vec![0.0; N_MELS * N_BINS];
        for (m, (first, run)) in self.bands.iter().enumerate() {
            let row = &mut dense[m * N_BINS + first..][..run.len()];
            row.copy_from_slice(&self.weights[run.clone()]);
        }
        dense
    }
}

/// Slaney's mel scale (librosa `hz_to_mel`, `htk=False`): linear below 1 kHz, log above.
fn hz_to_mel(hz: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

/// The inverse of [`hz_to_mel`] (librosa `mel_to_hz`, `htk=False`).
fn mel_to_hz(mel: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_f32(name: &str) -> Vec<f32> {
        let path = format!(
            "{}/../../testdata/musicnn/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    #[test]
    fn filterbank_matches_librosa_to_the_last_bit_or_two() {
        let ours = Filterbank::slaney().dense();
        let librosa = read_f32("mel_filterbank.f32");
        assert_eq!(ours.len(), librosa.len());
        let mut max_ulps = 0;
        for (i, (&a, &b)) in ours.iter().zip(&librosa).enumerate() {
            // Zero where librosa is zero, so the sparse runs drop nothing.
            assert_eq!(a == 0.0, b == 0.0, "band {} bin {}", i / N_BINS, i % N_BINS);
            if a != 0.0 {
                max_ulps = max_ulps.max(a.to_bits().abs_diff(b.to_bits()));
            }
        }
        // libm's ln/exp and numpy's may differ in the last bit of a band edge.
        assert!(
            max_ulps <= 2,
            "filterbank differs from librosa by {max_ulps} ulps"
        );
    }

    #[test]
    fn every_band_has_weight_and_runs_are_short() {
        let fb = Filterbank::slaney();
        assert_eq!(fb.bands.len(), N_MELS);
        assert!(fb.bands.iter().all(|(_, run)| !run.is_empty()));
        // The sparse form is what makes the mel product cheap; guard against it going dense.
        assert!(
            fb.weights.len() < N_MELS * N_BINS / 8,
            "{} weights",
            fb.weights.len()
        );
    }

    #[test]
    fn slaney_scale_is_linear_below_1khz_and_continuous_at_it() {
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        for hz in [0.0, 440.0, 999.0, 1000.0, 3000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9 * (1.0 + hz));
        }
    }
}
