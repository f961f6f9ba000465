//! The distances music needs, as δ ∈ [0, 1] (0 = same) for α and as agreement = 1 − δ for one
//! item.
//!
//! - Tempo: Gouyon et al., "An experimental comparison of audio tempo induction algorithms",
//!   IEEE TASLP 14(5), 2006 — the ACC2 rule of the ISMIR 2004 contest and MIREX: equal within
//!   ±4 %, also at the metrical levels ×2, ×3, ×1/2, ×1/3 ("octave errors"). Between two
//!   annotators neither is the reference, so the rule is applied both ways (agreement if either
//!   value is within 4 % of a multiple of the other): the distance is symmetric. The tolerance
//!   matches `backbeat_audio::eval::tempo` so that a model scored against a person and two
//!   people scored against each other use one rule. Binary on purpose: tempo annotators either
//!   tap the same pulse or they do not, and "how far off" a wrong pulse is means nothing.
//! - Key: MIREX Audio Key Detection weights
//!   (<https://www.music-ir.org/mirex/wiki/2005:Audio_and_Symbolic_Key>): same key 1, perfect
//!   fifth up or down in the same mode 0.5, relative major/minor 0.3, parallel major/minor 0.2,
//!   otherwise 0; δ = 1 − score. Both fifths count, as in `backbeat_audio::eval::keys`, which
//!   also makes the score symmetric.
//! - Tag sets: Jaccard distance `1 − |A ∩ B| / |A ∪ B|`, and MASI (R. Passonneau, "Measuring
//!   Agreement on Set-valued Items (MASI) for Semantic and Pragmatic Annotation", LREC 2006):
//!   `1 − J·M` with monotonicity M = 1 for identical sets, 2/3 when one contains the other,
//!   1/3 when they overlap otherwise, 0 when disjoint. Two empty sets ("none of these" twice)
//!   are identical: distance 0.

use std::collections::BTreeSet;

use crate::answer::{Key, Mode};

/// Relative tempo tolerance (4 %, MIREX ACC1/ACC2).
pub const BPM_TOLERANCE: f64 = 0.04;

/// The metrical levels that count as the same tempo.
const BPM_FACTORS: [f64; 5] = [1.0, 2.0, 0.5, 3.0, 1.0 / 3.0];

/// Whether two tempi agree: within 4 % of each other at a factor of 1, 2, 1/2, 3 or 1/3, in
/// either direction. Equal values always agree; otherwise non-finite or non-positive tempi do
/// not.
pub fn bpm_agree(a: f64, b: f64) -> bool {
    if a == b {
        return true;
    }
    let valid = |x: f64| x.is_finite() && x > 0.0;
    if !valid(a) || !valid(b) {
        return false;
    }
    // The slack keeps a value at exactly 4 % (104 against 100) from being lost to rounding.
    let within =
        |x: f64, reference: f64| (x - reference).abs() <= BPM_TOLERANCE * reference * (1.0 + 1e-9);
    BPM_FACTORS
        .iter()
        .any(|f| within(a, b * f) || within(b, a * f))
}

/// Tempo distance: 0 when [`bpm_agree`], else 1.
pub fn bpm_distance(a: f64, b: f64) -> f64 {
    if bpm_agree(a, b) {
        0.0
    } else {
        1.0
    }
}

/// The MIREX weighted key score of two keys (symmetric).
pub fn mirex_key_score(a: Key, b: Key) -> f64 {
    let (ta, tb) = (i32::from(a.tonic % 12), i32::from(b.tonic % 12));
    // Semitones from a's tonic up to b's.
    let up = (tb - ta).rem_euclid(12);
    match (a.mode, b.mode, up) {
        (_, _, 0) if a.mode == b.mode => 1.0,
        (ma, mb, 5 | 7) if ma == mb => 0.5,
        // The relative minor lies three semitones below the major tonic (C major, A minor).
        (Mode::Major, Mode::Minor, 9) | (Mode::Minor, Mode::Major, 3) => 0.3,
        (_, _, 0) => 0.2,
        _ => 0.0,
    }
}

/// Key distance `1 − MIREX score`.
pub fn key_distance(a: Key, b: Key) -> f64 {
    1.0 - mirex_key_score(a, b)
}

/// Jaccard distance of two tag sets; two empty sets are identical (0).
pub fn jaccard_distance(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    1.0 - jaccard(a, b)
}

/// MASI distance `1 − J·M` (Passonneau 2006); two empty sets are identical (0).
pub fn masi_distance(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let common = a.intersection(b).count();
    let monotonicity = if a == b {
        1.0
    } else if common == a.len() || common == b.len() {
        2.0 / 3.0
    } else if common > 0 {
        1.0 / 3.0
    } else {
        0.0
    };
    1.0 - jaccard(a, b) * monotonicity
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let common = a.intersection(b).count();
    let union = a.len() + b.len() - common;
    if union == 0 {
        1.0
    } else {
        common as f64 / union as f64
    }
}
