//! K-weighting (BS.1770-4 §2.1): a high-frequency shelf followed by the RLB high-pass.
//!
//! BS.1770 tabulates the two biquads only for 48 kHz. As libebur128 and ffmpeg do, we use the
//! analog prototypes (centre frequency, gain, Q) fitted to that table and redo the bilinear
//! transform at the actual rate, so 44.1, 22.05 or 11.025 kHz get the same curve, not a shifted
//! one. The filters run in f64: the RLB pole sits within 0.6 % of z = 1 and f32 state would add
//! audible-size rounding noise at low levels.

/// Coefficients of one biquad, `a0` normalised to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    /// Numerator b0, b1, b2.
    pub b: [f64; 3],
    /// Denominator a1, a2.
    pub a: [f64; 2],
}

impl Biquad {
    /// Complex gain |H(e^{jω})| at `freq` Hz for a filter running at `rate` Hz.
    pub fn magnitude(&self, freq: f64, rate: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / rate;
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let num = (
            self.b[0] + self.b[1] * c1 + self.b[2] * c2,
            -self.b[1] * s1 - self.b[2] * s2,
        );
        let den = (
            1.0 + self.a[0] * c1 + self.a[1] * c2,
            -self.a[0] * s1 - self.a[1] * s2,
        );
        (num.0.hypot(num.1)) / (den.0.hypot(den.1))
    }
}

/// Lowest rate used for the filter design: below it the shelf centre (1.68 kHz) would lie above
/// Nyquist and the prewarped design turns unstable. No music format goes that low.
const MIN_DESIGN_RATE: f64 = 8_000.0;

/// The pre-filter (shelf) and RLB high-pass for `sample_rate` Hz.
pub fn design(sample_rate: u32) -> (Biquad, Biquad) {
    let fs = f64::from(sample_rate).max(MIN_DESIGN_RATE);
    let pi = std::f64::consts::PI;

    // Shelf prototype fitted to the BS.1770 48 kHz coefficients.
    let (f0, gain_db, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
    let k = (pi * f0 / fs).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Biquad {
        b: [
            (vh + vb * k / q + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * k / q + k * k) / a0,
        ],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    };

    // RLB high-pass prototype; BS.1770 keeps its numerator at (1, -2, 1) unnormalised.
    let (f0, q) = (38.13547087602444, 0.5003270373238773);
    let k = (pi * f0 / fs).tan();
    let a0 = 1.0 + k / q + k * k;
    let rlb = Biquad {
        b: [1.0, -2.0, 1.0],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    };
    (shelf, rlb)
}

/// One sample through both stages (transposed direct form II; the RLB high-pass has
/// b = [1, -2, 1], folded in): the shelf `p`, then the high-pass `r`, updating `st`.
#[inline(always)]
fn step(p: &Biquad, r: &Biquad, st: &mut [f64; 4], x: f64) -> f64 {
    let y1 = p.b[0] * x + st[0];
    st[0] = p.b[1] * x - p.a[0] * y1 + st[1];
    st[1] = p.b[2] * x - p.a[1] * y1;
    let y2 = y1 + st[2];
    st[2] = -2.0 * y1 - r.a[0] * y2 + st[3];
    st[3] = y1 - r.a[1] * y2;
    y2
}

/// Transposed direct-form II state of the two cascaded biquads of one channel.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    s: [f64; 4],
}

/// K-weighting of interleaved audio, accumulating Σ y² per channel.
#[derive(Debug, Clone)]
pub struct KWeighting {
    shelf: Biquad,
    rlb: Biquad,
    states: Vec<State>,
}

/// States below this are flushed to zero at block boundaries: after a signal stops, the slowly
/// decaying RLB state would otherwise sink into subnormals, which are ~100× slower to compute,
/// for seconds of silence. 1e-30 is 450 dB below full scale, so results are unaffected.
const FLUSH_BELOW: f64 = 1e-30;

impl KWeighting {
    /// Filters for `channels` channels at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: usize) -> Self {
        let (shelf, rlb) = design(sample_rate);
        KWeighting {
            shelf,
            rlb,
            states: vec![State::default(); channels.max(1)],
        }
    }

    /// Filter whole frames of `frames` (interleaved) and add each channel's Σ y² to `acc`.
    pub fn process(&mut self, frames: &[f32], acc: &mut [f64]) {
        match self.states.len() {
            1 => self.process_n::<1>(frames, acc),
            2 => self.process_n::<2>(frames, acc),
            _ => self.process_strided(frames, acc),
        }
    }

    /// Zero the states that decayed to negligible size (called at block boundaries only, so the
    /// output never depends on how the input was chunked).
    pub fn flush_tiny(&mut self) {
        for st in &mut self.states {
            for v in &mut st.s {
                if v.abs() < FLUSH_BELOW {
                    *v = 0.0;
                }
            }
        }
    }

    /// Mono and stereo: all channels of a frame in one loop iteration, so the channels'
    /// independent recursions overlap in the CPU pipeline.
    fn process_n<const N: usize>(&mut self, frames: &[f32], acc: &mut [f64]) {
        let (Ok(states), Some(acc)) = (
            <&mut [State; N]>::try_from(&mut self.states[..]),
            acc.get_mut(..N),
        ) else {
            return;
        };
        let (p, r) = (self.shelf, self.rlb);
        // Continue the running sums in sample order, so chunking never changes the rounding.
        let mut sums = [0.0f64; N];
        sums.copy_from_slice(acc);
        for frame in frames.chunks_exact(N) {
            for c in 0..N {
                let y = step(&p, &r, &mut states[c].s, f64::from(frame[c]));
                sums[c] += y * y;
            }
        }
        acc.copy_from_slice(&sums);
    }

    /// Any channel count: one channel at a time over the strided samples (channels are
    /// independent, so the order of work does not change any result).
    fn process_strided(&mut self, frames: &[f32], acc: &mut [f64]) {
        let n = self.states.len();
        let (p, r) = (self.shelf, self.rlb);
        for (c, (state, a)) in self.states.iter_mut().zip(acc.iter_mut()).enumerate() {
            let st = &mut state.s;
            let mut sum = *a;
            for &x in frames.iter().skip(c).step_by(n) {
                let y = step(&p, &r, st, f64::from(x));
                sum += y * y;
            }
            *a = sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The BS.1770-4 table (48 kHz) must be reproduced by the prototype design.
    #[test]
    fn matches_bs1770_table_at_48k() {
        let (shelf, rlb) = design(48_000);
        let want_b = [1.53512485958697, -2.69169618940638, 1.19839281085285];
        let want_a = [-1.69065929318241, 0.73248077421585];
        for (g, w) in shelf.b.iter().zip(want_b) {
            assert!((g - w).abs() < 1e-9, "{g} vs {w}");
        }
        for (g, w) in shelf.a.iter().zip(want_a) {
            assert!((g - w).abs() < 1e-9, "{g} vs {w}");
        }
        let want_a = [-1.99004745483398, 0.99007225036621];
        for (g, w) in rlb.a.iter().zip(want_a) {
            assert!((g - w).abs() < 1e-9, "{g} vs {w}");
        }
    }

    /// The response is a property of frequency, not of the rate: compare 44.1 kHz with 48 kHz.
    #[test]
    fn response_is_rate_independent() {
        let (s48, r48) = design(48_000);
        for rate in [22_050.0, 44_100.0, 96_000.0] {
            let (s, r) = design(rate as u32);
            // Bilinear warping moves the curve near Nyquist; compare well below it.
            for f in [20.0, 100.0, 1000.0, 4000.0, 8000.0]
                .into_iter()
                .filter(|f| *f < rate / 5.0)
            {
                let a = s.magnitude(f, rate) * r.magnitude(f, rate);
                let b = s48.magnitude(f, 48_000.0) * r48.magnitude(f, 48_000.0);
                let db = 20.0 * (a / b).log10();
                // The RLB numerator (1, -2, 1) is kept unnormalised as in BS.1770, libebur128
                // and ffmpeg, so its pass-band gain 1 + K/Q + K² varies with the rate by up to
                // 0.06 dB between 22.05 and 48 kHz; anything more would be a design error.
                assert!(db.abs() < 0.08, "{rate} Hz, {f} Hz: {db} dB");
            }
        }
    }

    /// Stereo and strided paths agree on the same data.
    #[test]
    fn paths_agree() {
        let x: Vec<f32> = (0..2000)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
            .collect();
        let mut a2 = [0.0; 2];
        KWeighting::new(44_100, 2).process(&x, &mut a2);
        let mut k = KWeighting::new(44_100, 2);
        let mut a3 = [0.0; 2];
        k.process_strided(&x, &mut a3);
        assert_eq!(a2, a3);
        assert!(a2[0] > 0.0);
    }
}
