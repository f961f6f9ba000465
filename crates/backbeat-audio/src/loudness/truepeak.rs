//! True peak (BS.1770-4 Annex 2): polyphase windowed-sinc oversampling, max |x| over all
//! channels, plus the plain sample peak.
//!
//! Speed without approximation: an interpolated value is a dot product of `TAPS` samples with
//! one phase of the filter, so |y| ≤ max|x| over the window × Σ|h| of that phase. When that
//! bound cannot beat the running maximum, the whole run of windows is skipped; the maximum is
//! then provably the same as with every window computed, and therefore also independent of
//! how the input was chunked. Quiet passages and most of any piece cost one `max` per sample.

/// Filter taps per phase (BS.1770 asks for ≥ 12 per phase at 4×). With the Kaiser window
/// below, every phase is flat within 0.01 dB up to 0.8 × Nyquist and within -0.5…-1 dB at
/// 0.9 × Nyquist. On two 22.05 kHz clips with content up to Nyquist, 16 taps under-read the
/// true peak of a near-ideal (long-filter) interpolator by 0.14 dB; 24 taps are within 0.05 dB.
const TAPS: usize = 24;
/// Kaiser window shape: a compromise between pass-band flatness and the width of the roll-off.
const KAISER_BETA: f64 = 6.0;
/// Windows per skip test: short runs keep the local maximum local, so more runs are skipped;
/// 16 keeps the test itself cheap (each sample is read about 2.4×) and fills 4 SIMD vectors.
const RUN: usize = 16;
/// Samples (per channel) that one run of windows reads.
const SPAN: usize = RUN + TAPS - 1;
/// BS.1770-4 Annex 2: the oversampled rate must reach 4 × 44.1 kHz.
const MIN_OVERSAMPLED_RATE: u32 = 176_400;
/// Cap for absurdly low rates, where the factor would grow without bound.
const MAX_FACTOR: u32 = 32;

/// Oversampling factor for `sample_rate`: 4× at 44.1/48 kHz, 8× at 22.05/24 kHz, 1× from 176.4 kHz.
pub fn oversampling_factor(sample_rate: u32) -> usize {
    MIN_OVERSAMPLED_RATE
        .div_ceil(sample_rate.max(1))
        .clamp(1, MAX_FACTOR) as usize
}

/// Streaming true-peak and sample-peak meter over interleaved frames.
#[derive(Debug, Clone)]
pub struct TruePeak {
    /// Interpolation phases at fractions 1/L … (L-1)/L (phase 0 is the sample itself).
    phases: Vec<[f32; TAPS]>,
    /// Σ|h| of each phase, with a margin covering f32 rounding of the dot product: the phases
    /// near the samples have smaller sums than the midpoint, so they are skipped more often.
    bounds: Vec<f32>,
    /// The largest of `bounds`.
    bound: f32,
    channels: usize,
    /// Interleaved: the last `TAPS - 1` frames, then the frames of the current push. Kept
    /// interleaved because the skip test covers all channels at once and most runs are skipped,
    /// so only the runs that are interpolated get de-interleaved.
    buf: Vec<f32>,
    /// Max |value| over samples and interpolated points so far.
    peak: f32,
    /// Max |sample| so far.
    sample_peak: f32,
}

impl TruePeak {
    /// A meter for `channels` channels at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: usize) -> Self {
        let phases = design(oversampling_factor(sample_rate));
        let sum_abs = |h: &[f32; TAPS]| h.iter().map(|v| v.abs()).sum::<f32>() * (1.0 + 1e-4);
        let bounds: Vec<f32> = phases.iter().map(sum_abs).collect();
        let bound = bounds.iter().copied().fold(0.0, f32::max);
        let channels = channels.max(1);
        TruePeak {
            phases,
            bounds,
            bound,
            channels,
            buf: vec![0.0; (TAPS - 1) * channels],
            peak: 0.0,
            sample_peak: 0.0,
        }
    }

    /// Add whole interleaved frames of finite samples.
    pub fn push(&mut self, frames: &[f32]) {
        let chunk_peak = max_abs(frames);
        self.sample_peak = self.sample_peak.max(chunk_peak);
        // Samples are points of the reconstruction too: raising the bar first lets the skip
        // test work from the first window of the chunk.
        self.peak = self.peak.max(chunk_peak);
        self.buf.extend_from_slice(frames);
        self.scan();
        let keep_from = self.buf.len().saturating_sub((TAPS - 1) * self.channels);
        self.buf.drain(..keep_from);
    }

    /// (true peak, sample peak), both linear, after flushing the interpolation tail.
    pub fn finish(mut self) -> (f32, f32) {
        // The points between the last sample and the (zero) continuation are part of the
        // signal's reconstruction; half a filter of zeros brings them into the windows.
        self.push(&vec![0.0; self.channels * (TAPS / 2)]);
        (self.peak, self.sample_peak)
    }

    /// Interpolate every run of windows of `buf` that could exceed `peak`, raising `peak`.
    fn scan(&mut self) {
        let n = self.channels;
        let windows = (self.buf.len() / n).saturating_sub(TAPS - 1);
        let mut start = 0;
        while start < windows {
            let end = (start + RUN).min(windows);
            let Some(span) = self.buf.get(start * n..(end + TAPS - 1) * n) else {
                return;
            };
            let local = max_abs(span);
            if local * self.bound > self.peak {
                for c in 0..n {
                    // A short last run is zero-padded; only its `end - start` real windows count.
                    let mut x = [0.0f32; SPAN];
                    for (d, s) in x.iter_mut().zip(span.iter().skip(c).step_by(n)) {
                        *d = *s;
                    }
                    for (h, bound) in self.phases.iter().zip(&self.bounds) {
                        if local * bound > self.peak {
                            self.peak = self.peak.max(run_max(h, &x, end - start));
                        }
                    }
                }
            }
            start = end;
        }
    }
}

/// max |y| over the first `valid` of the `RUN` interpolated points of one phase. Written as
/// `RUN` parallel FIR sums (vectorised across windows, no horizontal adds); each sum runs over
/// the taps in the same order whatever the run, so a point always gets the same value.
#[inline]
fn run_max(h: &[f32; TAPS], x: &[f32; SPAN], valid: usize) -> f32 {
    let mut acc = [0.0f32; RUN];
    for (k, &hk) in h.iter().enumerate() {
        let Some(xs) = x.get(k..k + RUN) else {
            continue;
        };
        for (a, &v) in acc.iter_mut().zip(xs) {
            *a += hk * v;
        }
    }
    acc.get(..valid).map_or(0.0, max_abs)
}

/// max |x| of finite samples. For non-negative floats the IEEE bit patterns order like the
/// values, so an integer max (which vectorises, unlike NaN-aware `f32::max`) gives the result.
#[inline]
fn max_abs(x: &[f32]) -> f32 {
    f32::from_bits(x.iter().fold(0u32, |m, v| m.max(v.to_bits() & 0x7fff_ffff)))
}

/// Kaiser-windowed sinc phases for `factor`× oversampling, each normalised to unit DC gain.
///
/// Window `x[s..s + TAPS]` is interpolated between its samples `TAPS/2 - 1` and `TAPS/2`.
fn design(factor: usize) -> Vec<[f32; TAPS]> {
    let half = (TAPS / 2) as f64;
    (1..factor)
        .map(|p| {
            let frac = p as f64 / factor as f64;
            let mut h = [0.0f64; TAPS];
            for (k, v) in h.iter_mut().enumerate() {
                let t = half - 1.0 + frac - k as f64;
                *v = sinc(t) * kaiser(t / half, KAISER_BETA);
            }
            let sum: f64 = h.iter().sum();
            h.map(|v| (v / sum) as f32)
        })
        .collect()
}

fn sinc(t: f64) -> f64 {
    if t.abs() < 1e-12 {
        1.0
    } else {
        let x = std::f64::consts::PI * t;
        x.sin() / x
    }
}

/// Kaiser window at `u` ∈ [-1, 1].
fn kaiser(u: f64, beta: f64) -> f64 {
    bessel_i0(beta * (1.0 - u * u).max(0.0).sqrt()) / bessel_i0(beta)
}

/// Modified Bessel function I0 by its power series (converges fast for the small β used).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..50 {
        let r = x / (2.0 * k as f64);
        term *= r * r;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors() {
        assert_eq!(oversampling_factor(44_100), 4);
        assert_eq!(oversampling_factor(48_000), 4);
        assert_eq!(oversampling_factor(22_050), 8);
        assert_eq!(oversampling_factor(24_000), 8);
        assert_eq!(oversampling_factor(11_025), 16);
        assert_eq!(oversampling_factor(192_000), 1);
        assert_eq!(oversampling_factor(0), MAX_FACTOR as usize);
    }

    /// The skip test must never change the answer: compare with exhaustive interpolation of
    /// each channel, on stereo pushed in odd chunks (partial runs, history across pushes).
    #[test]
    fn skipping_is_exact() {
        let chan = |c: f32| -> Vec<f32> {
            (0..5000)
                .map(|i| {
                    let t = i as f32;
                    (0.3 - 0.1 * c) * (t * (0.91 + c)).sin()
                        + 0.2 * (t * 2.7).sin() * (t * 0.001).cos()
                })
                .collect()
        };
        let (l, r) = (chan(0.0), chan(1.0));
        let x: Vec<f32> = l.iter().zip(&r).flat_map(|(a, b)| [*a, *b]).collect();
        let mut meter = TruePeak::new(22_050, 2);
        for chunk in x.chunks(2 * 37) {
            meter.push(chunk);
        }
        let (tp, _) = meter.finish();
        let phases = design(8);
        let mut full = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for ch in [l, r] {
            let mut padded = vec![0.0; TAPS - 1];
            padded.extend(&ch);
            padded.extend([0.0; TAPS / 2]);
            for w in padded.windows(TAPS) {
                for h in &phases {
                    let y: f32 = h.iter().zip(w).fold(0.0, |acc, (h, x)| acc + h * x);
                    full = full.max(y.abs());
                }
            }
        }
        assert!(full > x.iter().fold(0.0f32, |m, v| m.max(v.abs())));
        assert_eq!(tp, full);
    }

    /// A sine well inside the passband is reconstructed to within 0.05 dB at every phase.
    #[test]
    fn interpolates_a_sine() {
        let rate = 44_100.0f32;
        let f = 7_000.0f32;
        let x: Vec<f32> = (0..4410)
            .map(|i| {
                // Fade in and out: an abrupt edge would ring (Gibbs) above the sine's peak.
                let fade = (i.min(4409 - i) as f32 / 300.0).min(1.0);
                fade * (2.0 * std::f32::consts::PI * f * i as f32 / rate + 0.3).sin()
            })
            .collect();
        let mut meter = TruePeak::new(44_100, 1);
        meter.push(&x);
        let (tp, sp) = meter.finish();
        assert!(tp >= sp);
        let db = 20.0 * tp.log10();
        assert!(db.abs() < 0.05, "{db}");
    }
}
