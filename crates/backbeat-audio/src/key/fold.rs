//! From the fine pitch-class histogram to a tuning-corrected 12-bin chroma.

use serde::Serialize;

use super::chroma::{BINS_PER_SEMITONE, FINE};

/// Tuning-corrected 12-bin chroma (index 0 = C) and how the histogram sits between semitones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Folded {
    /// Pitch-class energy, normalised to unit sum.
    pub chroma: [f64; 12],
    /// Pitch classes of the bass (peaks below 200 Hz), each frame with bass counted alike,
    /// normalised to unit sum; all zero when there is no bass.
    pub bass: [f64; 12],
    /// Estimated tuning offset from A = 440 Hz, in cents (−50 … 50).
    pub tuning_cents: f64,
    /// Concentration of the energy on the tuning grid, 0 (spread evenly, e.g. noise) … 1.
    pub concentration: f64,
}

/// Fold `fine` to 12 bins, and `bass` at the tuning `fine` shows; `None` when `fine` holds no
/// energy.
pub(crate) fn fold(fine: &[f64; FINE], bass: &[f64; FINE]) -> Option<Folded> {
    let total: f64 = fine.iter().sum();
    if !total.is_finite() || total <= 0.0 {
        return None;
    }
    // The circular mean of the position within a semitone is the tuning offset; its length
    // says how much of the energy lies on a common semitone grid at all.
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (j, v) in fine.iter().enumerate() {
        let theta =
            std::f64::consts::TAU * (j % BINS_PER_SEMITONE) as f64 / BINS_PER_SEMITONE as f64;
        re += v * theta.cos();
        im += v * theta.sin();
    }
    let offset = im.atan2(re) / std::f64::consts::TAU; // semitones, in (−0.5, 0.5]
    let concentration = (re.hypot(im) / total).clamp(0.0, 1.0);
    let chroma = to_pitch_classes(fine, offset)?;
    let bass = to_pitch_classes(bass, offset).unwrap_or([0.0; 12]);
    Some(Folded {
        chroma,
        bass,
        tuning_cents: offset * 100.0,
        concentration,
    })
}

/// `fine` folded to 12 pitch classes with the grid shifted by `offset` semitones, normalised to
/// unit sum; `None` when it holds no energy.
fn to_pitch_classes(fine: &[f64; FINE], offset: f64) -> Option<[f64; 12]> {
    let total: f64 = fine.iter().sum();
    if !total.is_finite() || total <= 0.0 {
        return None;
    }
    let mut chroma = [0.0f64; 12];
    for (j, v) in fine.iter().enumerate() {
        let s = j as f64 / BINS_PER_SEMITONE as f64 - offset;
        let below = s.floor();
        let d = s - below; // distance above pitch class `below`, in [0, 1)
                           // cos² / sin² split: a partition of unity, so no energy is lost or doubled.
        let w = (std::f64::consts::FRAC_PI_2 * d).cos().powi(2);
        let k = (below as i64).rem_euclid(12) as usize;
        if let Some(c) = chroma.get_mut(k) {
            *c += v * w;
        }
        if let Some(c) = chroma.get_mut((k + 1) % 12) {
            *c += v * (1.0 - w);
        }
    }
    for c in chroma.iter_mut() {
        *c /= total;
    }
    Some(chroma)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detuned_energy_folds_to_the_right_pitch_class_and_tuning() {
        // Energy 2 bins (40 cents) above E and above G, nothing else.
        let mut fine = [0.0; FINE];
        fine[4 * BINS_PER_SEMITONE + 2] = 1.0;
        fine[7 * BINS_PER_SEMITONE + 2] = 1.0;
        let f = fold(&fine, &fine).unwrap_or_else(|| panic!("energy present"));
        assert!((f.tuning_cents - 40.0).abs() < 1e-9, "{}", f.tuning_cents);
        assert!((f.chroma[4] - 0.5).abs() < 1e-9 && (f.chroma[7] - 0.5).abs() < 1e-9);
        assert_eq!(f.bass, f.chroma, "the bass is folded at the same tuning");
        assert!((f.concentration - 1.0).abs() < 1e-9);
    }

    #[test]
    fn flat_histogram_has_no_concentration_and_empty_gives_none() {
        let f = fold(&[1.0; FINE], &[0.0; FINE]).unwrap_or_else(|| panic!("energy present"));
        assert!(f.concentration < 1e-9);
        assert!(f.chroma.iter().all(|c| (c - 1.0 / 12.0).abs() < 1e-9));
        assert_eq!(f.bass, [0.0; 12], "no bass peaks: no bass profile");
        assert!(fold(&[0.0; FINE], &[1.0; FINE]).is_none());
    }
}
