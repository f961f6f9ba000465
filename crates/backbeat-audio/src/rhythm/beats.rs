//! Beat tracking: Viterbi decoding over a (beat interval, phase) state space.
//!
//! The idea of madmom's DBN beat tracker in additive (log-score) form. A state is a beat
//! interval `i` (frames, limited to a band around the global period) and the frames elapsed
//! since the last beat. The phase advances by one per frame; when it completes an interval a
//! beat is placed, which earns the onset strength of that frame, and the next interval may
//! differ from the last for a penalty proportional to `|ln(j/i)|`. So the path follows the
//! onsets, follows gradual tempo changes, and holds the pulse through breaks.
//!
//! Only beat states have a choice of predecessor, so the back-pointers are one byte per
//! (frame, interval): a few MB for an hour of audio, never per (frame, state).

/// Penalty per unit of `|ln(next/previous interval)|`, in units of the onset strength's
/// standard deviation. 40 makes a 2.5 % tempo step cost one typical onset (10–160 tried on the dev
/// set: within ±0.015 F-measure).
const TEMPO_CHANGE_PENALTY: f64 = 40.0;
/// Weight of the squared log-deviation of each beat interval from the global period (Ellis's
/// "tightness", same value as his default 100): keeps the path from wandering to a syncopated
/// pseudo-tempo while the change penalty allows gradual drift.
const GLOBAL_PULL: f64 = 100.0;
/// Interval band around the global period: the tracker may drift this far (ratio).
const DRIFT: f64 = 1.2;
/// Largest interval change between consecutive beats (frames).
const MAX_STEP: usize = 3;
/// Back-pointer meaning "this beat has no tracked predecessor" (the path started here).
const START: u8 = u8::MAX;

/// Beat frames of the best path through `reward` (per-frame reward of placing a beat there)
/// for a global beat period of `period` frames.
pub fn track(reward: &[f64], period: f64) -> Vec<usize> {
    if !period.is_finite() || period < 2.0 {
        return Vec::new();
    }
    decode(reward, (period, period), |_| period.ln())
}

/// Beat frames of the best path through `reward` when the beat period moves: `periods[t]` is
/// the period (frames) the pull draws towards at frame `t` (the last one holds beyond).
pub fn track_along(reward: &[f64], periods: &[f64]) -> Vec<usize> {
    let usable = |p: &f64| p.is_finite() && *p >= 2.0;
    if periods.is_empty() || !periods.iter().all(usable) {
        return Vec::new();
    }
    let lo = periods.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = periods.iter().copied().fold(0.0, f64::max);
    let last = periods.len() - 1;
    decode(reward, (lo, hi), |t| periods[t.min(last)].ln())
}

/// The Viterbi decoding over intervals from `range.0 / DRIFT` to `range.1 * DRIFT`, each beat
/// pulled towards the period whose logarithm `ln_period(t)` gives at its frame.
fn decode(reward: &[f64], range: (f64, f64), ln_period: impl Fn(usize) -> f64) -> Vec<usize> {
    let n = reward.len();
    if n == 0 {
        return Vec::new();
    }
    let lo = ((range.0 / DRIFT).floor() as usize).max(2);
    let hi = ((range.1 * DRIFT).ceil() as usize).max(lo);
    // At most 255 intervals so a back-pointer fits in a byte (period ≤ ~1000 frames).
    let hi = hi.min(lo + 254);
    let intervals: Vec<usize> = (lo..=hi).collect();
    let m = intervals.len();
    // score[k][s]: best score of a path in interval intervals[k] whose last beat was at a frame
    // ≡ s (mod interval). Every phase shifts by one per frame, so nothing moves in memory.
    let mut score: Vec<Vec<f64>> = intervals.iter().map(|&i| vec![0.0; i]).collect();
    let mut back = vec![START; n * m];
    let mut fresh = vec![0.0f64; m];
    // Ellis's pull towards the global tempo (or the curve's tempo at the frame): squared
    // log-deviation of the interval, per beat.
    let ln_intervals: Vec<f64> = intervals.iter().map(|&j| (j as f64).ln()).collect();
    let mut pull = vec![0.0f64; m];
    let mut pulled_to = f64::NAN;
    let mut ending = vec![0.0f64; m];
    let width = 2 * MAX_STEP + 1;
    // penalty[kj * width + d]: cost of reaching interval kj from kj + d - MAX_STEP.
    let penalty: Vec<f64> = (0..m * width)
        .map(|x| {
            let (kj, d) = (x / width, x % width);
            let ki = (kj + d).checked_sub(MAX_STEP).filter(|&ki| ki < m);
            ki.map_or(f64::INFINITY, |ki| {
                TEMPO_CHANGE_PENALTY * (intervals[ki] as f64 / intervals[kj] as f64).ln().abs()
            })
        })
        .collect();
    for (t, &r) in reward.iter().enumerate() {
        let lp = ln_period(t);
        if lp != pulled_to {
            for (p, &lj) in pull.iter_mut().zip(&ln_intervals) {
                *p = GLOBAL_PULL * (lj - lp).powi(2);
            }
            pulled_to = lp;
        }
        // Score of each interval's path whose beat interval completes at frame t (its last
        // beat was at t - i); paths not started yet begin here at no cost.
        for ((e, row), &i) in ending.iter_mut().zip(&score).zip(&intervals) {
            *e = if t >= i { row[t % i] } else { 0.0 };
        }
        for (kj, (f, pens)) in fresh
            .iter_mut()
            .zip(penalty.chunks_exact(width))
            .enumerate()
        {
            let mut best = f64::NEG_INFINITY;
            let mut arg = START;
            for (d, &pen) in pens.iter().enumerate() {
                let Some(ki) = (kj + d).checked_sub(MAX_STEP).filter(|&ki| ki < m) else {
                    continue;
                };
                let v = ending[ki] - pen;
                if v > best {
                    best = v;
                    arg = if t >= intervals[ki] { ki as u8 } else { START };
                }
            }
            *f = best + r - pull[kj];
            if let Some(b) = back.get_mut(t * m + kj) {
                *b = arg;
            }
        }
        for ((row, &j), &v) in score.iter_mut().zip(&intervals).zip(&fresh) {
            row[t % j] = v;
        }
    }
    backtrack(&score, &intervals, &back, n)
}

/// Beat frames of the best final state, followed back to the start.
fn backtrack(score: &[Vec<f64>], intervals: &[usize], back: &[u8], n: usize) -> Vec<usize> {
    let m = intervals.len();
    // The final state is the best (interval, last-beat frame) with the last beat in the last
    // interval's span of frames.
    let mut best: Option<(f64, usize, usize)> = None;
    for (k, (row, &i)) in score.iter().zip(intervals).enumerate() {
        for back_by in 0..i.min(n) {
            let t = n - 1 - back_by;
            let v = row[t % i];
            if best.is_none_or(|b| v > b.0) {
                best = Some((v, k, t));
            }
        }
    }
    let Some((_, mut k, mut t)) = best else {
        return Vec::new();
    };
    let mut beats = vec![t];
    // Each beat's back-pointer names the interval that led to it; START ends the chain.
    while let Some(&p) = back.get(t * m + k).filter(|&&p| p != START) {
        let Some(prev) = intervals
            .get(usize::from(p))
            .and_then(|&i| t.checked_sub(i))
        else {
            break;
        };
        beats.push(prev);
        k = usize::from(p);
        t = prev;
    }
    beats.reverse();
    beats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_pulse_train() {
        let period = 43usize;
        let reward: Vec<f64> = (0..2000)
            .map(|t| if t % period == 17 { 3.0 } else { -0.1 })
            .collect();
        let beats = track(&reward, 43.3);
        let expected: Vec<usize> = (0..2000).filter(|t| t % period == 17).collect();
        assert_eq!(beats, expected);
    }

    #[test]
    fn follows_a_slowing_pulse_along_its_periods() {
        // Intervals grow from 30 to 60 frames, beyond the ±20 % a single period allows.
        let mut expected = vec![10usize];
        while let Some(&last) = expected.last().filter(|&&f| f < 2500) {
            expected.push(last + 30 + last * 30 / 2600);
        }
        let n = *expected.last().unwrap_or(&0) + 5;
        let mut reward = vec![-0.1f64; n];
        for &f in &expected {
            reward[f] = 3.0;
        }
        let periods: Vec<f64> = (0..n).map(|t| 30.0 + 30.0 * t as f64 / 2600.0).collect();
        assert_eq!(track_along(&reward, &periods), expected);
        assert_ne!(track(&reward, 45.0), expected);
    }

    #[test]
    fn degenerate_inputs_give_no_beats() {
        assert!(track_along(&[1.0; 10], &[]).is_empty());
        assert!(track_along(&[1.0; 10], &[40.0, f64::NAN]).is_empty());
        assert!(track(&[], 40.0).is_empty());
        assert!(track(&[1.0; 10], f64::NAN).is_empty());
        assert!(track(&[1.0; 10], 1.0).is_empty());
    }
}
