//! Short-time Fourier framing shared by the content and dynamics analysers.
//!
//! Both need only a coarse spectrum (1024-point Hann frames, hop 512, i.e. 46 ms frames every
//! 23.2 ms at 22.05 kHz), so one small framer with reused buffers serves both.

use crate::spectrum::HannFft;

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
    fft: HannFft,
    pending: Vec<f32>,
    power: Vec<f32>,
}

impl Stft {
    /// A framer with a periodic Hann window.
    pub(crate) fn new() -> Self {
        Stft {
            fft: HannFft::new(FRAME),
            pending: Vec::with_capacity(FRAME),
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
            let start = self.pending.len();
            self.pending.resize(start + take, 0.0);
            for (dst, &s) in self.pending[start..].iter_mut().zip(now) {
                *dst = sanitize(s);
            }
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
        match self.fft.transform(&self.pending) {
            Some(spectrum) => {
                for (p, c) in self.power.iter_mut().zip(spectrum) {
                    *p = c.norm_sqr();
                }
            }
            // Cannot happen (buffer sizes are fixed); a silent frame is the safe fallback.
            None => self.power.iter_mut().for_each(|p| *p = 0.0),
        }
    }
}

/// Lanes of the vectorisable reductions below: independent accumulators let the compiler use
/// SIMD without reassociating floating-point sums itself (which it may not do).
const LANES: usize = 8;

/// Dot product of two slices (the shorter length), summed in [`LANES`] lanes.
pub(crate) fn lane_dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    for (ca, cb) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] += ca[i] * cb[i];
        }
    }
    let tail = n - n % LANES;
    let rest: f32 = a[tail..].iter().zip(&b[tail..]).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + rest
}

/// Sum of a slice, in [`LANES`] lanes.
pub(crate) fn lane_sum(a: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = a.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + rest
}

/// Replace `prev` by the magnitudes √power and return (Σ positive rise, Σ magnitude): the
/// spectral flux and its normaliser, in [`LANES`] lanes.
pub(crate) fn flux_update(power: &[f32], prev: &mut [f32]) -> (f32, f32) {
    let n = power.len().min(prev.len());
    let (power, prev) = (&power[..n], &mut prev[..n]);
    let (mut rise, mut mags) = ([0.0f32; LANES], [0.0f32; LANES]);
    for (cp, cm) in power.chunks_exact(LANES).zip(prev.chunks_exact_mut(LANES)) {
        for i in 0..LANES {
            let m = cp[i].sqrt();
            rise[i] += (m - cm[i]).max(0.0);
            mags[i] += m;
            cm[i] = m;
        }
    }
    let (mut r, mut s) = (rise.iter().sum::<f32>(), mags.iter().sum::<f32>());
    let tail = n - n % LANES;
    for (&p, m_prev) in power[tail..].iter().zip(&mut prev[tail..]) {
        let m = p.sqrt();
        r += (m - *m_prev).max(0.0);
        s += m;
        *m_prev = m;
    }
    (r, s)
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
    fn lane_reductions_match_plain_sums() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.01).collect();
        let dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((lane_dot(&a, &b) - dot).abs() < 1e-3);
        assert!((lane_sum(&a) - a.iter().sum::<f32>()).abs() < 1e-3);
        let mut prev = vec![1.0f32; 37];
        let power: Vec<f32> = (0..37).map(|i| (i % 3) as f32).collect();
        let (rise, mags) = flux_update(&power, &mut prev);
        let want_mags: f32 = power.iter().map(|p| p.sqrt()).sum();
        let want_rise: f32 = power.iter().map(|p| (p.sqrt() - 1.0).max(0.0)).sum();
        assert!((mags - want_mags).abs() < 1e-4 && (rise - want_rise).abs() < 1e-4);
        assert!(prev
            .iter()
            .zip(&power)
            .all(|(m, p)| (m - p.sqrt()).abs() < 1e-6));
    }

    #[test]
    fn hostile_samples_stay_finite() {
        let signal = [f32::NAN, f32::INFINITY, f32::MAX, -f32::MAX, 1.0];
        let frames = frames_of(&signal.repeat(400), 3);
        assert!(!frames.is_empty());
        assert!(frames.iter().flatten().all(|v| v.is_finite()));
    }
}
