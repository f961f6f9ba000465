//! Key profiles and template matching of a 12-bin chroma against the 24 major/minor keys.

use super::Mode;

/// Krumhansl–Kessler probe-tone ratings (1982), index 0 = tonic.
pub const KRUMHANSL: ([f64; 12], [f64; 12]) = (
    [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
    [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
);

/// Pearson correlation of two 12-vectors; 0 when either is constant.
pub(crate) fn correlation(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    let ma = a.iter().sum::<f64>() / 12.0;
    let mb = b.iter().sum::<f64>() / 12.0;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b.iter()) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    let den = (saa * sbb).sqrt();
    if den > 1e-300 && den.is_finite() {
        (sab / den).clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Best key for `chroma`: (tonic pitch class, mode, correlation).
pub(crate) fn best_key(chroma: &[f64; 12], profiles: &([f64; 12], [f64; 12])) -> (u8, Mode, f64) {
    let mut best = (0u8, Mode::Major, f64::NEG_INFINITY);
    for tonic in 0..12usize {
        for (profile, mode) in [(&profiles.0, Mode::Major), (&profiles.1, Mode::Minor)] {
            let mut rotated = [0.0; 12];
            for (i, r) in rotated.iter_mut().enumerate() {
                *r = profile[(i + 12 - tonic) % 12];
            }
            let r = correlation(chroma, &rotated);
            if r > best.2 {
                best = (tonic as u8, mode, r);
            }
        }
    }
    best
}
