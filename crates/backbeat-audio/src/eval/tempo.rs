//! Tempo accuracy ACC1 and ACC2.
//!
//! Gouyon et al., "An experimental comparison of audio tempo induction algorithms", IEEE TASLP
//! 14(5), 2006 (the ISMIR 2004 tempo contest, later MIREX): ACC1 counts an estimate as correct
//! within ±4 % of the annotated tempo; ACC2 also accepts the "octave errors" 2, 3, 1/2 and 1/3 of
//! the annotated tempo (each with the same ±4 % relative tolerance).

/// Relative tolerance of ACC1 and ACC2 (4 %).
pub const TEMPO_TOLERANCE: f64 = 0.04;

/// The metrical-level factors that ACC2 also accepts.
const ACC2_FACTORS: [f64; 5] = [1.0, 2.0, 3.0, 0.5, 1.0 / 3.0];

/// ACC1: `estimate` within ±4 % of `reference` (false for non-finite or non-positive values).
pub fn tempo_acc1(reference: f64, estimate: f64) -> bool {
    within(reference, estimate)
}

/// ACC2: `estimate` within ±4 % of `reference` times 1, 2, 3, 1/2 or 1/3.
pub fn tempo_acc2(reference: f64, estimate: f64) -> bool {
    ACC2_FACTORS.iter().any(|f| within(reference * f, estimate))
}

/// Half-width (s) of the stretch of annotated beats a tempo-curve point is compared with: the
/// curve's analysis window is 8 s.
const CURVE_HALF_WINDOW_S: f64 = 4.0;

/// How many points of a tempo curve (`(time, bpm)`) lie within ±4 % of the local tempo of the
/// annotated `beats`, of how many could be scored: the local tempo at a point is 60 over the
/// median interval of the annotated beats within ±4 s of it, and points with fewer than three
/// such intervals (before the music, in a break) are not scored.
pub fn curve_hits(curve: impl IntoIterator<Item = (f64, f64)>, beats: &[f64]) -> (usize, usize) {
    let (mut hits, mut scored) = (0, 0);
    for (time, bpm) in curve {
        let mut intervals: Vec<f64> = beats
            .windows(2)
            .filter(|w| {
                (w[0] - time).abs() <= CURVE_HALF_WINDOW_S
                    && (w[1] - time).abs() <= CURVE_HALF_WINDOW_S
            })
            .map(|w| w[1] - w[0])
            .filter(|&d| d > 0.0)
            .collect();
        if intervals.len() < 3 {
            continue;
        }
        intervals.sort_by(f64::total_cmp);
        let local = 60.0 / intervals[intervals.len() / 2];
        scored += 1;
        hits += usize::from(within(local, bpm));
    }
    (hits, scored)
}

fn within(reference: f64, estimate: f64) -> bool {
    let valid = |x: f64| x.is_finite() && x > 0.0;
    // A tiny slack so that a value at exactly 4 % (e.g. 104 for 100) is not lost to rounding.
    valid(reference)
        && valid(estimate)
        && (estimate - reference).abs() <= TEMPO_TOLERANCE * reference * (1.0 + 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acc1_tolerance_edges() {
        assert!(tempo_acc1(100.0, 100.0));
        assert!(tempo_acc1(100.0, 104.0));
        assert!(tempo_acc1(100.0, 96.0));
        assert!(!tempo_acc1(100.0, 104.5));
        assert!(!tempo_acc1(100.0, 95.5));
        assert!(!tempo_acc1(100.0, 200.0));
    }

    #[test]
    fn acc2_accepts_metrical_factors_only() {
        for est in [200.0, 300.0, 50.0, 100.0 / 3.0, 206.0, 49.0] {
            assert!(tempo_acc2(100.0, est), "{est}");
        }
        // 4/3, 3/2 and 4 are not accepted; nor is 2 x 105 % = 210.
        for est in [133.3, 150.0, 400.0, 210.0, 25.0] {
            assert!(!tempo_acc2(100.0, est), "{est}");
        }
    }

    #[test]
    fn curve_points_are_scored_against_the_local_annotated_tempo() {
        // Beats at 120 BPM for 20 s, then at 90 BPM for 20 s.
        let mut beats: Vec<f64> = (0..40).map(|k| f64::from(k) * 0.5).collect();
        beats.extend((0..30).map(|k| 20.0 + f64::from(k) * 60.0 / 90.0));
        let curve = [
            (5.0, 121.0),
            (15.0, 120.0),
            (30.0, 120.0),
            (36.0, 91.0),
            (60.0, 90.0),
        ];
        // 60 s has no beats near it; 30 s is in the 90 BPM section.
        assert_eq!(curve_hits(curve, &beats), (3, 4));
        assert_eq!(curve_hits(curve, &[]), (0, 0));
        assert_eq!(
            curve_hits([(1.0, 100.0)], &[1.0, 1.0, 1.0, 1.0, 1.0]),
            (0, 0)
        );
    }

    #[test]
    fn invalid_values_are_never_correct() {
        for (r, e) in [
            (f64::NAN, 100.0),
            (100.0, f64::NAN),
            (100.0, f64::INFINITY),
            (0.0, 0.0),
            (-100.0, -100.0),
        ] {
            assert!(!tempo_acc1(r, e) && !tempo_acc2(r, e), "{r} {e}");
        }
    }
}
