//! Low-frequency pulse: a running autocorrelation of the bass-band onset envelope.
//!
//! Dance music is carried by a periodic kick/bass pulse. The envelope (positive magnitude flux
//! below ~200 Hz, one value per 23 ms frame) is autocorrelated online over lags covering
//! 60–200 BPM, so only `MAX_LAG` values are kept whatever the duration.

/// Largest lag kept (frames); 64 frames = 1.49 s at 43 frames/s, beyond a 60 BPM beat.
const MAX_LAG: usize = 64;

/// Slowest and fastest tempo searched (BPM).
const BPM_RANGE: (f64, f64) = (60.0, 200.0);

/// Online autocorrelation of a smoothed onset envelope.
pub(crate) struct PulseAcf {
    frame_rate: f64,
    /// The last `MAX_LAG + 1` smoothed values, newest at `(head + MAX_LAG) % len`.
    ring: [f64; MAX_LAG + 1],
    head: usize,
    raw: [f64; 2],
    count: usize,
    sum: f64,
    acc: [f64; MAX_LAG + 1],
}

impl PulseAcf {
    /// An empty accumulator for envelopes sampled at `frame_rate` Hz.
    pub(crate) fn new(frame_rate: f64) -> Self {
        PulseAcf {
            frame_rate,
            ring: [0.0; MAX_LAG + 1],
            head: 0,
            raw: [0.0; 2],
            count: 0,
            sum: 0.0,
            acc: [0.0; MAX_LAG + 1],
        }
    }

    /// Add one envelope value.
    pub(crate) fn push(&mut self, x: f64) {
        let x = if x.is_finite() { x } else { 0.0 };
        // A [1, 2, 1]/4 smoothing spreads each onset over 3 frames, so a beat period that falls
        // between two integer lags still correlates strongly at one of them.
        let y = 0.25 * (self.raw[0] + x) + 0.5 * self.raw[1];
        self.raw = [self.raw[1], x];
        let n = self.ring.len();
        self.ring[self.head] = y;
        for (lag, acc) in self
            .acc
            .iter_mut()
            .enumerate()
            .take(self.count.min(MAX_LAG) + 1)
        {
            *acc += y * self.ring[(self.head + n - lag) % n];
        }
        self.head = (self.head + 1) % n;
        self.count += 1;
        self.sum += y;
    }

    /// The mean-removed, normalised autocorrelation in [−1, 1] at every lag of 60–200 BPM, as
    /// `(bpm, clarity)` pairs; empty without enough frames or variance.
    pub(crate) fn curve(&self) -> Vec<(f64, f64)> {
        let lo = ((60.0 / BPM_RANGE.1) * self.frame_rate).floor().max(1.0) as usize;
        let hi = (((60.0 / BPM_RANGE.0) * self.frame_rate).ceil() as usize).min(MAX_LAG);
        if self.count <= 2 * hi || lo > hi {
            return Vec::new();
        }
        let mean = self.sum / self.count as f64;
        let cov = |lag: usize| self.acc[lag] / (self.count - lag) as f64 - mean * mean;
        let var = cov(0);
        // A near-constant envelope (steady tone, start-up transient only) has no pulse; the
        // relative floor also absorbs the rounding of `acc / n - mean²`.
        if var <= 1e-3 * mean * mean + 1e-30 || !var.is_finite() {
            return Vec::new();
        }
        (lo..=hi)
            .map(|lag| {
                (
                    60.0 * self.frame_rate / lag as f64,
                    (cov(lag) / var).clamp(-1.0, 1.0),
                )
            })
            .collect()
    }

    /// The strongest pulse as `(clarity, bpm)`; `None` when [`PulseAcf::curve`] is empty.
    pub(crate) fn strongest(&self) -> Option<(f64, f64)> {
        self.curve()
            .into_iter()
            .map(|(b, c)| (c, b))
            .max_by(|a, b| a.0.total_cmp(&b.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_clicks_have_clear_pulse_at_their_tempo() {
        let rate = 43.0;
        let mut acf = PulseAcf::new(rate);
        // An onset every 21.5 frames = 120 BPM at 43 frames/s.
        for i in 0..2000 {
            let phase = (i as f64 / 21.5).fract();
            acf.push(if phase < 1.0 / 21.5 { 1.0 } else { 0.0 });
        }
        let (clarity, bpm) = acf.strongest().unwrap_or((0.0, 0.0));
        assert!(clarity > 0.5, "{clarity}");
        // 21.5 frames is not an integer lag, so two periods (60 BPM) may align best.
        assert!(
            (bpm - 120.0).abs() < 6.0 || (bpm - 60.0).abs() < 3.0,
            "{bpm}"
        );
        let at_120 = acf
            .curve()
            .iter()
            .filter(|(b, _)| (b - 120.0).abs() < 6.0)
            .fold(0.0, |m: f64, p| m.max(p.1));
        assert!(at_120 > 0.3, "{at_120}");
    }

    #[test]
    fn noise_has_weak_pulse_and_constant_has_none() {
        let mut acf = PulseAcf::new(43.0);
        let mut seed = 1u32;
        for _ in 0..3000 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            acf.push(f64::from(seed >> 8) / f64::from(1u32 << 24));
        }
        let (clarity, _) = acf.strongest().unwrap_or((1.0, 0.0));
        assert!(clarity < 0.3, "{clarity}");
        let mut flat = PulseAcf::new(43.0);
        (0..3000).for_each(|_| flat.push(0.5));
        assert!(flat.strongest().is_none());
    }
}
