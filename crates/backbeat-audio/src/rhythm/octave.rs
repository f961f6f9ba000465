//! The metrical-accent check: is the tempo the comb chose really the beat, or its eighth notes?
//!
//! A comb with a prior towards 125 BPM often answers twice the beat of a slow piece (a 75 BPM
//! song whose eighth notes are sounded comes out at 150): on the dev set, 9 of the 12 octave
//! errors were such doublings. At the doubled level the "beats" alternate between the real
//! beats (kick, snare, chord changes) and the weaker off-beats; at the right level they do not.
//! So, for a fast answer, the beats are tracked and their onset strengths compared by parity:
//! when the even and odd beats differ clearly, the tempo is halved.
//!
//! A rock beat at its right tempo alternates too: kick, snare, kick, snare, and the snare's flux
//! is often the stronger. There the low bands (below 200 Hz, the kick) say the opposite of the
//! whole: the beat the whole calls weak is the strong one down there. A beat and its off-beat
//! eighth do not disagree that way, as the kick sits on the beat. So the check halves only when
//! the low bands do not alternate the other way.

/// The check runs on answers at or above this tempo (BPM): below, half the tempo would be
/// slower than the music people annotate at (the slowest correct dev-set answer is 62 BPM).
pub const CHECK_FROM_BPM: f64 = 130.0;
/// Frames either side of a beat searched for its onset peak: the tracker's beat can sit a frame
/// off the peak of the onset strength.
const PEAK_RADIUS: usize = 1;
/// Fewer beats than this per parity give a median too noisy to decide on.
const MIN_BEATS_PER_PARITY: usize = 4;

/// Whether `beats` (frames) alternate strong and weak: the alternation of the whole envelope
/// `all` is at least `threshold` in size, and that of the low bands `low` is not the other way
/// round by more than [`CONTRADICTION`].
pub fn accented(all: &[f32], low: &[f32], beats: &[usize], threshold: f64) -> bool {
    let Some(a) = alternation(all, beats).filter(|a| a.abs() >= threshold) else {
        return false;
    };
    alternation(low, beats).is_none_or(|l| l * a.signum() > -CONTRADICTION)
}

/// Low bands alternating the other way by more than this (signed alternation) mark a
/// kick/snare pattern rather than beats and off-beats.
pub const CONTRADICTION: f64 = 0.1;

/// The signed accent alternation of `beats` (frames) in `odf`: `(E − O) / (E + O)` where E and
/// O are the median onset peaks of the even and of the odd beats. 0 when every other beat is as
/// strong as its neighbours, towards ±1 when every other beat is silent. `None` when there are
/// too few beats or no onsets at them. Medians, not means: one loud fill or a break in a
/// single bar must not decide the metre.
pub fn alternation(odf: &[f32], beats: &[usize]) -> Option<f64> {
    let peak = |f: usize| {
        let lo = f.saturating_sub(PEAK_RADIUS);
        let hi = (f + PEAK_RADIUS + 1).min(odf.len());
        odf.get(lo..hi)
            .map(|s| s.iter().fold(0.0f32, |m, &v| m.max(v)))
            .map(f64::from)
    };
    let mut even = Vec::with_capacity(beats.len() / 2 + 1);
    let mut odd = Vec::with_capacity(beats.len() / 2 + 1);
    for (i, &f) in beats.iter().enumerate() {
        let s = peak(f)?;
        if i % 2 == 0 {
            even.push(s);
        } else {
            odd.push(s);
        }
    }
    if odd.len() < MIN_BEATS_PER_PARITY {
        return None;
    }
    let (e, o) = (median(&mut even), median(&mut odd));
    (e + o > 0.0).then(|| (e - o) / (e + o))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odf_with(beats: &[usize], strength: impl Fn(usize) -> f32) -> Vec<f32> {
        let mut odf = vec![0.0f32; beats.last().map_or(0, |b| b + 10)];
        for (i, &b) in beats.iter().enumerate() {
            odf[b] = strength(i);
        }
        odf
    }

    #[test]
    fn even_beats_give_no_alternation_and_strong_weak_beats_do() {
        let beats: Vec<usize> = (0..32).map(|k| 10 + 20 * k).collect();
        let even = odf_with(&beats, |_| 1.0);
        assert_eq!(alternation(&even, &beats), Some(0.0));
        let strong_weak = odf_with(&beats, |i| if i % 2 == 0 { 1.0 } else { 0.25 });
        assert!((alternation(&strong_weak, &beats).unwrap() - 0.6).abs() < 1e-9);
        // The odd beats may be the strong ones (a pickup): the same size, the other sign.
        let weak_strong = odf_with(&beats, |i| if i % 2 == 1 { 1.0 } else { 0.25 });
        assert!((alternation(&weak_strong, &beats).unwrap() + 0.6).abs() < 1e-9);
        assert!(accented(&strong_weak, &strong_weak, &beats, 0.2));
        assert!(accented(&weak_strong, &weak_strong, &beats, 0.2));
        assert!(!accented(&strong_weak, &strong_weak, &beats, 0.7));
        // No low-band onsets at all (no kick, no bass): nothing contradicts.
        assert!(accented(&strong_weak, &[], &beats, 0.2));
    }

    #[test]
    fn kick_and_snare_alternating_is_not_an_accent() {
        let beats: Vec<usize> = (0..32).map(|k| 10 + 20 * k).collect();
        // The whole flux: snare (odd) stronger; low bands: kick (even) stronger.
        let all = odf_with(&beats, |i| if i % 2 == 1 { 1.0 } else { 0.4 });
        let low = odf_with(&beats, |i| if i % 2 == 0 { 0.5 } else { 0.05 });
        assert!(!accented(&all, &low, &beats, 0.2));
        // A beat and its off-beat eighth: the beat is the stronger down there too.
        let low = odf_with(&beats, |i| if i % 2 == 1 { 0.5 } else { 0.0 });
        assert!(accented(&all, &low, &beats, 0.2));
    }

    #[test]
    fn one_loud_bar_does_not_make_a_metre() {
        let beats: Vec<usize> = (0..32).map(|k| 10 + 20 * k).collect();
        let fill = odf_with(&beats, |i| if i == 6 || i == 8 { 50.0 } else { 1.0 });
        assert_eq!(alternation(&fill, &beats), Some(0.0));
    }

    #[test]
    fn too_few_beats_or_no_onsets_decide_nothing() {
        let beats = [10, 30, 50, 70, 90, 110];
        assert_eq!(alternation(&odf_with(&beats, |_| 1.0), &beats), None);
        let many: Vec<usize> = (0..20).map(|k| 10 + 20 * k).collect();
        assert_eq!(alternation(&vec![0.0; 500], &many), None);
        // Beats past the end of the envelope are not an index error.
        assert_eq!(alternation(&[1.0; 5], &many), None);
    }
}
