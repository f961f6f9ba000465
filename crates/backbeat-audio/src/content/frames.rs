//! Short-time Fourier framing shared by the content and dynamics analysers.
//!
//! Both need only a coarse spectrum (1024-point Hann frames, hop 512, i.e. 46 ms frames every
//! 23.2 ms at 22.05 kHz), so one small framer with reused buffers serves both.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// Frame length in samples.
pub(crate) const FRAME: usize = 1024;
/// Hop between frames in samples.
pub(crate) const HOP: usize = 512;
/// Number of spectrum bins of one frame.
pub(crate) const BINS: usize = FRAME / 2 + 1;

/// Samples beyond this magnitude are clamped: far above full scale (1.0), yet small enough that
/// every power sum of a frame stays finite in `f32` (hostile files can hold 1e38).
const SAMPLE_LIMIT: f32 = 1.0e4;

/// Clean one input sample: non-finite values become silence, huge ones are clamped.
#[inline]
pub(crate) fn sanitize(s: f32) -> f32 {
    if s.is_finite() {
        s.clamp(-SAMPLE_LIMIT, SAMPLE_LIMIT)
    } else {
        0.0
    }
}

/// Streaming framer: buffers pushed samples and hands each complete frame's samples and power
/// spectrum to a callback, so the result does not depend on how the input is chunked.
pub(crate) struct Stft {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    pending: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f32>,
}

impl Stft {
    /// A framer with a periodic Hann window.
    pub(crate) fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FRAME);
        let window = (0..FRAME)
            .map(|i| {
                let x = std::f32::consts::TAU * i as f32 / FRAME as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Stft {
            fft,
            window,
            pending: Vec::with_capacity(FRAME),
            input: vec![0.0; FRAME],
            spectrum,
            scratch,
            power: vec![0.0; BINS],
        }
    }

    /// Add samples; `on_frame(samples, power)` runs once per complete frame, where `samples` are
    /// the sanitised, unwindowed frame and `power` the |X|² of its Hann-windowed spectrum.
    pub(crate) fn push(&mut self, mono: &[f32], mut on_frame: impl FnMut(&[f32], &[f32])) {
        let mut rest = mono;
        while !rest.is_empty() {
            let take = (FRAME - self.pending.len()).min(rest.len());
            let (now, later) = rest.split_at(take);
            self.pending.extend(now.iter().map(|&s| sanitize(s)));
            rest = later;
            if self.pending.len() == FRAME {
                self.transform();
                on_frame(&self.pending, &self.power);
                self.pending.copy_within(HOP.., 0);
                self.pending.truncate(FRAME - HOP);
            }
        }
    }

    fn transform(&mut self) {
        for ((dst, &s), &w) in self.input.iter_mut().zip(&self.pending).zip(&self.window) {
            *dst = s * w;
        }
        let ok = self
            .fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .is_ok();
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            // Lengths are fixed at construction, so the FFT cannot fail; zeros are the safe
            // fallback rather than a panic.
            *p = if ok { c.norm_sqr() } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames_of(signal: &[f32], chunk: usize) -> Vec<Vec<f32>> {
        let mut stft = Stft::new();
        let mut out = Vec::new();
        for c in signal.chunks(chunk.max(1)) {
            stft.push(c, |_, p| out.push(p.to_vec()));
        }
        out
    }

    #[test]
    fn frame_count_and_chunking_invariance() {
        let signal: Vec<f32> = (0..5000).map(|i| (i as f32 * 0.05).sin()).collect();
        let a = frames_of(&signal, 5000);
        let b = frames_of(&signal, 7);
        // Frames start every HOP samples while a full frame fits: (5000 - 1024) / 512 + 1 = 8.
        assert_eq!(a.len(), 8);
        assert_eq!(a, b);
    }

    #[test]
    fn sine_peaks_in_its_bin() {
        let bin = 40;
        let f = bin as f32 / FRAME as f32;
        let signal: Vec<f32> = (0..FRAME)
            .map(|i| (std::f32::consts::TAU * f * i as f32).sin())
            .collect();
        let frames = frames_of(&signal, 100);
        let p = &frames[0];
        let argmax = (0..BINS)
            .max_by(|&a, &b| p[a].total_cmp(&p[b]))
            .unwrap_or(0);
        assert_eq!(argmax, bin);
    }

    #[test]
    fn hostile_samples_stay_finite() {
        let signal = vec![f32::NAN, f32::INFINITY, f32::MAX, -f32::MAX, 1.0];
        let frames = frames_of(&signal.repeat(400), 3);
        assert!(!frames.is_empty());
        assert!(frames.iter().flatten().all(|v| v.is_finite()));
    }
}
