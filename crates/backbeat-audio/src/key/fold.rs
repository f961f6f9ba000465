//! From the fine pitch-class histogram to a tuning-corrected 12-bin chroma.

use super::chroma::{BINS_PER_SEMITONE, FINE};

/// Tuning-corrected 12-bin chroma (index 0 = C) and how the histogram sits between semitones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Folded {
    /// Pitch-class energy, normalised to unit sum.
    pub chroma: [f64; 12],
    /// Estimated tuning offset from A = 440 Hz, in cents (−50 … 50).
    pub tuning_cents: f64,
    /// Concentration of the energy on the tuning grid, 0 (spread evenly, e.g. noise) … 1.
    pub concentration: f64,
}

/// Fold `fine` to 12 bins; `None` when it holds no energy.
pub(crate) fn fold(fine: &[f64; FINE]) -> Option<Folded> {
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
    Some(Folded {
        chroma,
        tuning_cents: offset * 100.0,
        concentration,
    })
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
        let f = fold(&fine).unwrap_or_else(|| panic!("energy present"));
        assert!((f.tuning_cents - 40.0).abs() < 1e-9, "{}", f.tuning_cents);
        assert!((f.chroma[4] - 0.5).abs() < 1e-9 && (f.chroma[7] - 0.5).abs() < 1e-9);
        assert!((f.concentration - 1.0).abs() < 1e-9);
    }

    #[test]
    fn flat_histogram_has_no_concentration_and_empty_gives_none() {
        let f = fold(&[1.0; FINE]).unwrap_or_else(|| panic!("energy present"));
        assert!(f.concentration < 1e-9);
        assert!(f.chroma.iter().all(|c| (c - 1.0 / 12.0).abs() < 1e-9));
        assert!(fold(&[0.0; FINE]).is_none());
    }
}
