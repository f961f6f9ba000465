//! The tempo curve: how the tempo moves through the track, at the metrical level of the global
//! tempo.
//!
//! Classical pieces slow down and speed up, live bands drift, a song may change tempo between
//! sections. One number cannot say that, and a beat tracker held to one period loses the beat
//! when the tempo moves far from it. So the envelope is cut into short overlapping windows;
//! each window's comb salience ([`super::tempo::comb_salience`]) scores candidate tempi within
//! ×1.46 of the global one (a little over half an octave), and a Viterbi path through the windows picks one tempo per
//! window: a tempo change costs in proportion to its size (so the path does not jump between a
//! beat and its syncopation), and a distance from the global tempo costs too (so a window
//! without a pulse keeps the tempo around it).
//!
//! The curve is then what the global tempo answers to: when it moves, the reported tempo is its
//! dominant value (the tempo most of the track is played at, ±4 %), and the beats are tracked
//! along it.

use serde::Serialize;

use super::tempo::{autocorrelation, comb_salience};

/// Window length (seconds): four to twenty-four beats between 30 and 180 BPM, short enough to
/// follow a ritardando, long enough for the comb's two multiples of a slow beat.
const WINDOW_S: f64 = 8.0;
/// Step between windows (seconds): the curve's time resolution.
const HOP_S: f64 = 2.0;
/// Candidates per octave (1.5 % apart, finer than the ±4 % accuracy window).
const STEPS_PER_OCTAVE: i32 = 48;
/// Candidates reach this many octaves either side of the global tempo (×1.46): far enough for
/// the tempo changes music makes (an accelerando from 84 to 120 BPM is 0.51 octave), short of
/// the octave levels the global decision has already chosen between. Past half an octave a
/// candidate's double or half is a candidate too, so the margin is narrow on purpose: with 0.6
/// a chorale whose second section moves from 61 to 80 BPM was followed at 40, its half notes;
/// with 0.5 the accelerando's 84 BPM start was followed at 168.
const SPAN_OCTAVES: f64 = 0.55;
/// Cost of a tempo change between consecutive windows, per octave, in units of comb salience
/// (≈ 0.3 on a clear pulse): a 10 % step costs 0.09, so it is taken when the new tempo is
/// clearly more salient for a window or two.
const CHANGE_COST: f64 = 0.6;
/// Cost of the squared distance (octaves) from the global tempo: small, so a window with no
/// pulse stays near the tempo around it rather than jumping, and the edges of the span (where
/// a candidate's double or half is a candidate too) are taken only on clear evidence.
const GLOBAL_PULL: f64 = 0.3;
/// A curve moves when some stretch of it lies this far (ratio) from its dominant tempo.
const MOVES_BEYOND: f64 = 1.08;
/// Points within this ratio count as the same tempo (the ACC1 tolerance).
const SAME_TEMPO: f64 = 1.04;

/// The local tempo at one time of the track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TempoPoint {
    /// Centre of the window, seconds from the start.
    pub time: f64,
    /// Local tempo, beats per minute.
    pub bpm: f64,
}

/// The autocorrelation of each window of `odf` (onset strength at `fps` frames per second):
/// one every 2 s, none when the envelope is shorter than one window. They do not depend
/// on the tempo, so an evaluation trying several tempo decisions computes them once. Kept as
/// f32: 2.5 MB for an hour.
pub fn local_autocorrelations(odf: &[f32], fps: f64) -> Vec<Vec<f32>> {
    let (win, hop) = window_and_hop(fps);
    if win < 8 || odf.len() < win {
        return Vec::new();
    }
    (0..=(odf.len() - win) / hop)
        .map(|k| {
            let s = k * hop;
            let acf = autocorrelation(&odf[s..s + win], fps);
            acf.into_iter().map(|v| v as f32).collect()
        })
        .collect()
}

/// Window length and hop in frames at `fps`.
fn window_and_hop(fps: f64) -> (usize, usize) {
    let win = (WINDOW_S * fps) as usize;
    (win, ((HOP_S * fps) as usize).max(1))
}

/// The tempo curve from the windows' autocorrelations ([`local_autocorrelations`] at `fps`)
/// around the global beat period `period` (frames): one point per window, empty when there
/// are no windows or the period is not usable.
pub fn follow(acfs: &[Vec<f32>], fps: f64, period: f64) -> Vec<TempoPoint> {
    let (win, hop) = window_and_hop(fps);
    if !(period.is_finite() && period > 1.0 && fps > 0.0) || acfs.is_empty() {
        return Vec::new();
    }
    let global_bpm = 60.0 * fps / period;
    let span = (SPAN_OCTAVES * f64::from(STEPS_PER_OCTAVE)).round() as i32;
    let offsets: Vec<i32> = (-span..=span).collect();
    let octave = |o: i32| f64::from(o) / f64::from(STEPS_PER_OCTAVE);
    let emissions: Vec<Vec<f64>> = acfs
        .iter()
        .map(|acf| {
            offsets
                .iter()
                .map(|&o| {
                    let tau = period / 2f64.powf(octave(o));
                    comb_salience(acf, tau).map_or(0.0, |v| v.max(0.0))
                })
                .collect()
        })
        .collect();
    let path = viterbi(&emissions, &offsets, octave);
    path.iter()
        .zip(&emissions)
        .enumerate()
        .map(|(w, (&k, e))| {
            let steps = f64::from(offsets[k]) + refine(e, k);
            TempoPoint {
                time: (w * hop + win / 2) as f64 / fps,
                bpm: global_bpm * 2f64.powf(steps / f64::from(STEPS_PER_OCTAVE)),
            }
        })
        .collect()
}

/// The best candidate index per window: emission, minus [`CHANGE_COST`] per octave changed
/// between windows, minus [`GLOBAL_PULL`] per squared octave from the global tempo. The
/// candidates are evenly spaced in octaves, so the change cost is linear in the index distance
/// and the best predecessor of every candidate comes from two sweeps (a distance transform)
/// instead of comparing all pairs.
fn viterbi(emissions: &[Vec<f64>], offsets: &[i32], octave: impl Fn(i32) -> f64) -> Vec<usize> {
    let m = offsets.len();
    let step_cost = CHANGE_COST * octave(1);
    let pull: Vec<f64> = offsets
        .iter()
        .map(|&o| GLOBAL_PULL * octave(o).powi(2))
        .collect();
    let mut score: Vec<f64> = vec![0.0; m];
    let mut best = vec![(0.0f64, 0usize); m];
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(emissions.len());
    for e in emissions {
        // best[k]: the best (score − change cost, predecessor) over every predecessor.
        for (k, b) in best.iter_mut().enumerate() {
            *b = (score[k], k);
        }
        for k in 1..m {
            let from_below = (best[k - 1].0 - step_cost, best[k - 1].1);
            if from_below.0 > best[k].0 {
                best[k] = from_below;
            }
        }
        for k in (0..m.saturating_sub(1)).rev() {
            let from_above = (best[k + 1].0 - step_cost, best[k + 1].1);
            if from_above.0 > best[k].0 {
                best[k] = from_above;
            }
        }
        for (k, s) in score.iter_mut().enumerate() {
            *s = best[k].0 + e[k] - pull[k];
        }
        back.push(best.iter().map(|b| b.1).collect());
    }
    let Some(mut k) = (0..m).max_by(|&a, &b| score[a].total_cmp(&score[b])) else {
        return Vec::new();
    };
    let mut path = vec![0usize; emissions.len()];
    for (w, from) in back.iter().enumerate().rev() {
        path[w] = k;
        k = from[k];
    }
    path
}

/// Sub-step offset (in candidate steps, within ±0.5) of the peak of the parabola through the
/// emissions at `k - 1`, `k`, `k + 1`; 0 at the edges or where `k` is not a peak.
fn refine(e: &[f64], k: usize) -> f64 {
    let (Some(&a), Some(&b), Some(&c)) = (
        k.checked_sub(1).and_then(|j| e.get(j)),
        e.get(k),
        e.get(k + 1),
    ) else {
        return 0.0;
    };
    let curvature = a - 2.0 * b + c;
    if curvature >= 0.0 || b < a || b < c {
        return 0.0;
    }
    (0.5 * (a - c) / curvature).clamp(-0.5, 0.5)
}

/// The tempo most of `curve` is played at: the point with the most points within ±4 % of it,
/// and the median of those — when they are at least half the curve. A curve that drifts
/// without holding any tempo that long gets its median instead (the points are evenly spaced
/// in time: the tempo half the track is slower than). `None` for an empty curve.
pub fn dominant(curve: &[TempoPoint]) -> Option<f64> {
    let near = |a: f64, b: f64| (a / b).ln().abs() <= SAME_TEMPO.ln();
    let centre = curve
        .iter()
        .max_by_key(|p| curve.iter().filter(|q| near(q.bpm, p.bpm)).count())?;
    let mut same: Vec<f64> = curve
        .iter()
        .map(|q| q.bpm)
        .filter(|&b| near(b, centre.bpm))
        .collect();
    if 2 * same.len() < curve.len() {
        same = curve.iter().map(|q| q.bpm).collect();
    }
    same.sort_by(f64::total_cmp);
    same.get(same.len() / 2).copied()
}

/// Whether the tempo moves: some point of `curve` lies more than 8 % from `dominant`. A curve of one point does not.
pub fn moves(curve: &[TempoPoint], dominant: f64) -> bool {
    curve
        .iter()
        .any(|p| (p.bpm / dominant).ln().abs() > MOVES_BEYOND.ln())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f64 = 22_050.0 / 256.0;

    /// An envelope of unit pulses whose tempo (BPM) at time t seconds is `bpm(t)`.
    fn pulses(secs: f64, bpm: impl Fn(f64) -> f64) -> Vec<f32> {
        let n = (secs * FPS) as usize;
        let mut e = vec![0.0f32; n];
        let mut t = 0.5;
        while t < secs {
            if let Some(v) = e.get_mut((t * FPS) as usize) {
                *v = 1.0;
            }
            t += 60.0 / bpm(t);
        }
        e
    }

    fn period(bpm: f64) -> f64 {
        60.0 * FPS / bpm
    }

    fn curve(odf: &[f32], period: f64) -> Vec<TempoPoint> {
        follow(&local_autocorrelations(odf, FPS), FPS, period)
    }

    /// The all-pairs Viterbi the distance transform replaces.
    fn viterbi_all_pairs(emissions: &[Vec<f64>], offsets: &[i32]) -> Vec<usize> {
        let octave = |o: i32| f64::from(o) / f64::from(STEPS_PER_OCTAVE);
        let m = offsets.len();
        let mut score = vec![0.0; m];
        let mut back = Vec::new();
        for e in emissions {
            let mut next = vec![0.0; m];
            let mut from = vec![0; m];
            for k in 0..m {
                let (v, j) = (0..m)
                    .map(|j| {
                        (
                            score[j] - CHANGE_COST * octave(offsets[k] - offsets[j]).abs(),
                            j,
                        )
                    })
                    .fold((f64::NEG_INFINITY, 0), |a, b| if b.0 > a.0 { b } else { a });
                next[k] = v + e[k] - GLOBAL_PULL * octave(offsets[k]).powi(2);
                from[k] = j;
            }
            score = next;
            back.push(from);
        }
        let mut k = (0..m)
            .max_by(|&a, &b| score[a].total_cmp(&score[b]))
            .unwrap();
        let mut path = vec![0; emissions.len()];
        for (w, from) in back.iter().enumerate().rev() {
            path[w] = k;
            k = from[k];
        }
        path
    }

    #[test]
    fn the_distance_transform_finds_the_all_pairs_path() {
        let offsets: Vec<i32> = (-29..=29).collect();
        let mut seed = 12345u64;
        let mut rand = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for _ in 0..20 {
            let emissions: Vec<Vec<f64>> = (0..30)
                .map(|_| offsets.iter().map(|_| 0.5 * rand()).collect())
                .collect();
            let fast = viterbi(&emissions, &offsets, |o| {
                f64::from(o) / f64::from(STEPS_PER_OCTAVE)
            });
            assert_eq!(fast, viterbi_all_pairs(&emissions, &offsets));
        }
    }

    #[test]
    fn steady_pulse_gives_a_flat_curve() {
        let curve = curve(&pulses(60.0, |_| 100.0), period(100.0));
        assert!(curve.len() >= 20, "{}", curve.len());
        for p in &curve {
            assert!((p.bpm / 100.0 - 1.0).abs() < 0.02, "{p:?}");
        }
        let d = dominant(&curve).unwrap();
        assert!((d / 100.0 - 1.0).abs() < 0.02, "{d}");
        assert!(!moves(&curve, d));
    }

    #[test]
    fn a_step_between_sections_is_followed_and_the_longer_section_dominates() {
        // 40 s at 90 BPM, then 20 s at 120; the global tempo handed in is the faster one.
        let curve = curve(
            &pulses(60.0, |t| if t < 40.0 { 90.0 } else { 120.0 }),
            period(120.0),
        );
        let at = |t: f64| {
            curve
                .iter()
                .min_by(|a, b| (a.time - t).abs().total_cmp(&(b.time - t).abs()))
                .unwrap()
                .bpm
        };
        assert!((at(20.0) / 90.0 - 1.0).abs() < 0.03, "{curve:?}");
        assert!((at(54.0) / 120.0 - 1.0).abs() < 0.03, "{curve:?}");
        let d = dominant(&curve).unwrap();
        assert!((d / 90.0 - 1.0).abs() < 0.03, "{d}");
        assert!(moves(&curve, d));
    }

    #[test]
    fn a_drift_without_a_held_tempo_reports_its_median() {
        let at = |bpm: &dyn Fn(f64) -> f64| -> Vec<TempoPoint> {
            (0..21)
                .map(|k| TempoPoint {
                    time: 4.0 + 2.0 * f64::from(k),
                    bpm: bpm(f64::from(k)),
                })
                .collect()
        };
        // 100 → 140 BPM evenly: no ±4 % band holds half of it.
        let drift = at(&|k| 100.0 + 2.0 * k);
        assert_eq!(dominant(&drift), Some(120.0));
        assert!(moves(&drift, 120.0));
        // 100 BPM held for half the track, then a ramp to 140: the held tempo.
        let held = at(&|k| {
            if k < 11.0 {
                100.0
            } else {
                100.0 + 4.0 * (k - 10.0)
            }
        });
        assert_eq!(dominant(&held), Some(100.0));
    }

    #[test]
    fn a_ramp_is_followed() {
        // 80 → 120 BPM over 60 s.
        let bpm = |t: f64| 80.0 + 40.0 * t / 60.0;
        let curve = curve(&pulses(60.0, bpm), period(100.0));
        for p in &curve {
            assert!(
                (p.bpm / bpm(p.time) - 1.0).abs() < 0.05,
                "{p:?} vs {}",
                bpm(p.time)
            );
        }
    }

    #[test]
    fn silence_and_short_or_degenerate_input_give_no_curve_or_hold() {
        assert!(curve(&[], period(120.0)).is_empty());
        assert!(curve(&[1.0; 100], period(120.0)).is_empty());
        assert!(curve(&pulses(20.0, |_| 120.0), f64::NAN).is_empty());
        assert!(curve(&pulses(20.0, |_| 120.0), 0.5).is_empty());
        // A silent stretch inside the music keeps the tempo around it.
        let mut e = pulses(60.0, |_| 120.0);
        e[(20.0 * FPS) as usize..(40.0 * FPS) as usize].fill(0.0);
        let curve = curve(&e, period(120.0));
        assert!(
            curve.iter().all(|p| (p.bpm / 120.0 - 1.0).abs() < 0.03),
            "{curve:?}"
        );
        assert_eq!(dominant(&[]), None);
    }
}
