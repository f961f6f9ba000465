//! Key profiles and template matching of a 12-bin chroma against the 24 major/minor keys.

use super::Mode;

/// Albrecht & Shanahan (2013) corpus-derived pitch-class distributions, index 0 = tonic:
/// (major, minor). Chosen over Krumhansl–Kessler, Temperley, Aarden, Bellman–Budge and Sapp
/// profiles on the dev set (it was the best or near-best for every chroma variant tried); the
/// default before the corpus profiles ([`CORPUS`]), now a candidate.
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

/// Audio pitch-class profiles fitted on the generated corpus (`bench/corpus.sh`: 120 renders of
/// 40 pieces through three soundfonts, every key): the mean tuning-corrected profile rotated to
/// the labelled tonic, per mode (`bench/key_profiles.py`, which prints these). Fitted on audio
/// chroma, so the harmonics are in them already (slope 0). (major, minor), index 0 = tonic.
pub const CORPUS: ([f64; 12], [f64; 12]) = (
    [
        0.1274, 0.0479, 0.1108, 0.0419, 0.1093, 0.0787, 0.0617, 0.1349, 0.0462, 0.1056, 0.0445,
        0.0909,
    ],
    [
        0.1428, 0.0381, 0.1005, 0.0991, 0.0595, 0.0963, 0.0489, 0.1345, 0.0666, 0.0619, 0.0921,
        0.0596,
    ],
);

/// Bass pitch-class profiles (peaks below 200 Hz) fitted on the generated corpus like
/// [`CORPUS`]: the bass dwells on the tonic and the fifth. (major, minor), index 0 = tonic.
pub const CORPUS_BASS: ([f64; 12], [f64; 12]) = (
    [
        0.2509, 0.0386, 0.1110, 0.0219, 0.0623, 0.1005, 0.0336, 0.1752, 0.0204, 0.0933, 0.0314,
        0.0610,
    ],
    [
        0.2490, 0.0140, 0.0559, 0.0758, 0.0136, 0.1423, 0.0164, 0.1897, 0.0913, 0.0169, 0.1132,
        0.0217,
    ],
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

/// Bass evidence for [`best_key`]: the bass pitch classes, the (major, minor) bass profiles and
/// the weight of their correlation.
#[derive(Debug, Clone, Copy)]
pub struct Bass<'a> {
    pub pitch_classes: &'a [f64; 12],
    pub profiles: &'a ([f64; 12], [f64; 12]),
    pub weight: f64,
}

/// Best of the 24 keys for `chroma` against `(major, minor)` profiles, plus `bass.weight` times
/// the bass's correlation with the key's bass profile: (tonic pitch class, mode, correlation of
/// the chroma alone). Ties go to the lowest tonic, major first.
pub fn best_key(
    chroma: &[f64; 12],
    profiles: &([f64; 12], [f64; 12]),
    bass: Option<Bass>,
) -> (u8, Mode, f64) {
    let rotated = |profile: &[f64; 12], tonic: usize| -> [f64; 12] {
        std::array::from_fn(|i| profile[(i + 12 - tonic) % 12])
    };
    let mut best = (0u8, Mode::Major, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (m, mode) in [Mode::Major, Mode::Minor].into_iter().enumerate() {
        let profile = if m == 0 { &profiles.0 } else { &profiles.1 };
        for tonic in 0..12usize {
            let r = correlation(chroma, &rotated(profile, tonic));
            let score = r + bass.map_or(0.0, |b| {
                let bass_profile = if m == 0 { &b.profiles.0 } else { &b.profiles.1 };
                b.weight * correlation(b.pitch_classes, &rotated(bass_profile, tonic))
            });
            if score > best.3 || (score == best.3 && mode == Mode::Major && best.1 == Mode::Minor) {
                best = (tonic as u8, mode, r, score);
            }
        }
    }
    (best.0, best.1, best.2)
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
                let (t, m, r) = best_key(&chroma, &ALBRECHT_SHANAHAN, None);
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
    fn the_bass_tells_a_minor_key_from_its_relative_major() {
        // The upper voices alone: the notes of C major / A minor, weighted evenly.
        let mut chroma = [0.0; 12];
        for pc in [0, 2, 4, 5, 7, 9, 11] {
            chroma[pc] = 1.0 / 7.0;
        }
        // A bass on A and E says A minor.
        let mut bass = [0.0; 12];
        bass[9] = 0.6;
        bass[4] = 0.4;
        let with = |weight| Bass {
            pitch_classes: &bass,
            profiles: &CORPUS_BASS,
            weight,
        };
        let (t, m, _) = best_key(&chroma, &CORPUS, Some(with(0.35)));
        assert_eq!((t, m), (9, Mode::Minor));
        // No bass, or weight 0: the profile alone decides, as without bass evidence.
        let alone = best_key(&chroma, &CORPUS, None);
        assert_eq!(best_key(&chroma, &CORPUS, Some(with(0.0))), alone);
        let silent = Bass {
            pitch_classes: &[0.0; 12],
            ..with(0.35)
        };
        assert_eq!(best_key(&chroma, &CORPUS, Some(silent)), alone);
    }

    #[test]
    fn correlation_of_constant_is_zero() {
        assert_eq!(correlation(&[1.0; 12], &ALBRECHT_SHANAHAN.0), 0.0);
    }
}
