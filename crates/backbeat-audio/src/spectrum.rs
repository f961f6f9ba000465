//! The spectral front end the analysers share: a periodic-Hann-windowed real FFT with its
//! buffers planned once. Each analyser frames the signal its own way (rhythm: 1024/256 at
//! 22.05 kHz, content: 1024/512, key: 4096 at 11.025 kHz) and hands frames here.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// A Hann-windowed FFT of a fixed length, reusing its buffers for every frame.
pub(crate) struct HannFft {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl HannFft {
    /// An FFT of `len` samples (even) with a periodic Hann window.
    pub(crate) fn new(len: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(len);
        let window = (0..len)
            .map(|i| {
                let x = std::f32::consts::TAU * i as f32 / len as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        HannFft {
            window,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
        }
    }

    /// The `len / 2 + 1` bins of the windowed `frame` (zero-padded when shorter than the FFT,
    /// truncated when longer). `None` only if realfft rejected its own buffers, which cannot
    /// happen since their sizes are fixed at construction; callers treat it as a silent frame.
    pub(crate) fn transform(&mut self, frame: &[f32]) -> Option<&[Complex<f32>]> {
        for (i, (dst, &w)) in self.input.iter_mut().zip(&self.window).enumerate() {
            *dst = frame.get(i).map_or(0.0, |&s| s * w);
        }
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .ok()?;
        Some(&self.spectrum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bin_centred_sine_lands_in_its_bin_with_hann_gain() {
        let n = 1024;
        let mut fft = HannFft::new(n);
        let k = 37;
        let frame: Vec<f32> = (0..n)
            .map(|i| (std::f32::consts::TAU * k as f32 * i as f32 / n as f32).sin())
            .collect();
        let spec = fft.transform(&frame).unwrap();
        assert_eq!(spec.len(), n / 2 + 1);
        let peak = (0..spec.len()).max_by(|&a, &b| spec[a].norm().total_cmp(&spec[b].norm()));
        assert_eq!(peak, Some(k));
        // A unit sine through a periodic Hann window peaks at n/4.
        assert!((spec[k].norm() - n as f32 / 4.0).abs() < 0.01 * n as f32);
    }

    #[test]
    fn short_frames_are_zero_padded() {
        let mut fft = HannFft::new(16);
        let spec = fft.transform(&[]).unwrap();
        assert!(spec.iter().all(|c| c.norm() == 0.0));
    }
}
