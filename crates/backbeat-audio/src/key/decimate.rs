//! Streaming 2:1 decimation: key estimation needs nothing above ~4 kHz, and halving the rate
//! halves the FFT work for the same frequency resolution.

/// Number of FIR taps (odd, so the filter is symmetric around a sample).
const TAPS: usize = 31;
/// Cut-off as a fraction of the input rate (0.2 × 22,050 Hz ≈ 4.4 kHz).
const CUTOFF: f64 = 0.2;

/// Low-pass FIR followed by keeping every second sample, exact across chunk boundaries.
pub(crate) struct HalfRate {
    taps: [f32; TAPS],
    /// Input not yet fully consumed; the next output is centred at `buf[TAPS / 2]`.
    buf: Vec<f32>,
}

impl HalfRate {
    /// A new decimator with an empty history.
    pub(crate) fn new() -> Self {
        let mut taps = [0.0f32; TAPS];
        let m = (TAPS / 2) as f64;
        let mut sum = 0.0f64;
        let mut raw = [0.0f64; TAPS];
        for (n, r) in raw.iter_mut().enumerate() {
            let x = n as f64 - m;
            let sinc = if x == 0.0 {
                1.0
            } else {
                let a = std::f64::consts::PI * 2.0 * CUTOFF * x;
                a.sin() / a
            };
            // Blackman window: ~74 dB stop band, so aliases of cymbals stay far below partials.
            let t = 2.0 * std::f64::consts::PI * n as f64 / (TAPS - 1) as f64;
            let w = 0.42 - 0.5 * t.cos() + 0.08 * (2.0 * t).cos();
            *r = sinc * w;
            sum += *r;
        }
        for (t, r) in taps.iter_mut().zip(raw.iter()) {
            *t = (r / sum) as f32;
        }
        HalfRate {
            taps,
            buf: Vec::with_capacity(4096),
        }
    }

    /// Filter `input` (already sanitised) and append the decimated samples to `out`.
    pub(crate) fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.buf.extend_from_slice(input);
        let mut pos = 0;
        while pos + TAPS <= self.buf.len() {
            let window = &self.buf[pos..pos + TAPS];
            let y: f32 = window
                .iter()
                .zip(self.taps.iter())
                .map(|(x, h)| x * h)
                .sum();
            out.push(y);
            pos += 2;
        }
        self.buf.drain(..pos.min(self.buf.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: &[f32], chunk: usize) -> Vec<f32> {
        let mut d = HalfRate::new();
        let mut out = Vec::new();
        for c in x.chunks(chunk.max(1)) {
            d.push(c, &mut out);
        }
        out
    }

    #[test]
    fn chunking_does_not_change_output() {
        let x: Vec<f32> = (0..5000)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let a = run(&x, 5000);
        let b = run(&x, 1);
        let c = run(&x, 333);
        assert_eq!(a.len(), (5000 - TAPS) / 2 + 1);
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn passes_low_and_blocks_high_frequencies() {
        let tone = |f: f32| -> f32 {
            let x: Vec<f32> = (0..22050)
                .map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / 22050.0).sin())
                .collect();
            let y = run(&x, 1000);
            (y.iter().map(|v| v * v).sum::<f32>() / y.len() as f32).sqrt()
        };
        let pass = tone(440.0);
        let stop = tone(8000.0);
        assert!(
            (pass - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.01,
            "pass {pass}"
        );
        assert!(stop < 0.001, "stop {stop}");
    }
}
