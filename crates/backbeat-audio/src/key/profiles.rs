//! Key profiles and template matching of a 12-bin chroma against the 24 major/minor keys.

use super::Mode;

/// Albrecht & Shanahan (2013) corpus-derived pitch-class distributions, index 0 = tonic:
/// (major, minor). Chosen over Krumhansl–Kessler, Temperley, Aarden, Bellman–Budge and Sapp
/// profiles on the dev set (it was the best or near-best for every chroma variant tried).
pub const ALBRECHT_SHANAHAN: ([f64; 12], [f64; 12]) = (
    [
        0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081,
    ],
    [
        0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052,
    ],
);

/// Krumhansl & Kessler (1982) probe-tone ratings: (major, minor). A candidate of the
/// leave-one-source-out evaluation, not the default.
pub const KRUMHANSL_KESSLER: ([f64; 12], [f64; 12]) = (
    [
        6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
    ],
    [
        6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
    ],
);

/// Temperley (1999) profiles: (major, minor). A candidate of the leave-one-source-out
/// evaluation, not the default.
pub const TEMPERLEY: ([f64; 12], [f64; 12]) = (
    [5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0],
    [5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0],
);

/// Pitch class (semitones above the fundamental, mod 12) of harmonics 1 … 6.
const HARMONIC_PC: [usize; 6] = [0, 0, 7, 0, 4, 7];
/// Amplitude decay per harmonic (essentia's default polyphony slope; not tuned here).
pub const HARMONIC_SLOPE: f64 = 0.6;

/// A symbolic profile as audio chroma would show it: each scale degree also lights up the
/// pitch classes of its first six harmonics (octaves, fifth, major third) with decaying weight.
pub fn with_harmonics(profile: &[f64; 12]) -> [f64; 12] {
    with_harmonics_sloped(profile, HARMONIC_SLOPE)
}

/// [`with_harmonics`] with harmonic `k` weighted `slope^(k-1)` (0: the symbolic profile).
pub fn with_harmonics_sloped(profile: &[f64; 12], slope: f64) -> [f64; 12] {
    let mut out = [0.0; 12];
    let mut w = 1.0;
    for &shift in HARMONIC_PC.iter() {
        for (degree, value) in profile.iter().enumerate() {
            if let Some(o) = out.get_mut((degree + shift) % 12) {
                *o += w * value;
            }
        }
        w *= slope;
    }
    out
}

/// Pearson correlation of two 12-vectors; 0 when either is constant.
pub fn correlation(a: &[f64; 12], b: &[f64; 12]) -> f64 {
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

/// Best of the 24 keys for `chroma` against `(major, minor)` profiles:
/// (tonic pitch class, mode, correlation). Ties go to the lowest tonic, major first.
pub fn best_key(chroma: &[f64; 12], profiles: &([f64; 12], [f64; 12])) -> (u8, Mode, f64) {
    let mut best = (0u8, Mode::Major, f64::NEG_INFINITY);
    for (profile, mode) in [(&profiles.0, Mode::Major), (&profiles.1, Mode::Minor)] {
        for tonic in 0..12usize {
            let mut rotated = [0.0; 12];
            for (i, r) in rotated.iter_mut().enumerate() {
                *r = profile[(i + 12 - tonic) % 12];
            }
            let r = correlation(chroma, &rotated);
            if r > best.2 || (r == best.2 && mode == Mode::Major && best.1 == Mode::Minor) {
                best = (tonic as u8, mode, r);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_matches_its_own_rotation() {
        let (maj, min) = ALBRECHT_SHANAHAN;
        for tonic in 0..12 {
            for (p, mode) in [(maj, Mode::Major), (min, Mode::Minor)] {
                let chroma: [f64; 12] = std::array::from_fn(|i| p[(i + 12 - tonic) % 12]);
                let (t, m, r) = best_key(&chroma, &ALBRECHT_SHANAHAN);
                assert_eq!((usize::from(t), m), (tonic, mode));
                assert!((r - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn harmonics_add_the_fifth_and_third_of_each_degree() {
        let mut tonic_only = [0.0; 12];
        tonic_only[0] = 1.0;
        let h = with_harmonics(&tonic_only);
        assert!(h[0] > h[7] && h[7] > h[4] && h[4] > 0.0);
        assert!(h
            .iter()
            .enumerate()
            .all(|(i, v)| [0, 4, 7].contains(&i) || *v == 0.0));
    }

    #[test]
    fn correlation_of_constant_is_zero() {
        assert_eq!(correlation(&[1.0; 12], &ALBRECHT_SHANAHAN.0), 0.0);
    }
}
