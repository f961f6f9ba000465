//! Energy and danceability scores: documented logistic maps of a few measured features.
//! Definitions and calibration are in `docs/DESCRIPTORS.md`.

use crate::rhythm::Rhythm;

/// Track-level features that the scores are built from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DynamicsFeatures {
    /// RMS level (dBFS); `None` for digital silence.
    pub rms_dbfs: Option<f64>,
    /// Mean over non-silent frames of the positive spectral magnitude flux divided by the
    /// frame's magnitude sum (gain-invariant onset density; 0 for a steady tone).
    pub flux: f64,
    /// Share of spectral power above 2 kHz (gain-invariant brightness) in [0, 1].
    pub hf_share: f64,
    /// Low-frequency pulse clarity in [−1, 1] (see `pulse.rs`); `None` when undetermined.
    pub pulse_clarity: Option<f64>,
    /// Tempo (BPM) of the strongest low-frequency pulse lag, if any.
    pub pulse_bpm: Option<f64>,
    /// `(bpm, clarity)` at every autocorrelation lag of 60–200 BPM.
    pub pulse_curve: Vec<(f64, f64)>,
    /// Bass-band (< 200 Hz) positive magnitude flux over the total magnitude, non-silent frames.
    pub bass_onset: f64,
}

/// Logistic map `1 / (1 + e^{-(x - center) / scale})`.
pub fn logistic(x: f64, center: f64, scale: f64) -> f64 {
    let z = (x - center) / scale;
    if z.is_nan() {
        0.0
    } else {
        1.0 / (1.0 + (-z).exp())
    }
}

/// Energy in [0, 1]: `0.5·L + 0.25·F + 0.25·H` with L = logistic(RMS dBFS; −20, 3.5),
/// F = logistic(ln flux; ln 0.22, 0.2), H = logistic(ln HF share; ln 0.05, 0.7); 0 for
/// silence. Centres are the dev-set medians, scales put its quartiles near 0.25 and 0.75.
/// Only L depends on gain, so energy grows with level for a given signal.
pub fn energy(f: &DynamicsFeatures) -> f64 {
    let Some(rms) = f.rms_dbfs else {
        return 0.0;
    };
    let level = logistic(rms, -20.0, 3.5);
    let flux = logistic(f.flux.max(1e-6).ln(), 0.22f64.ln(), 0.2);
    let bright = logistic(f.hf_share.max(1e-6).ln(), 0.05f64.ln(), 0.7);
    (0.5 * level + 0.25 * flux + 0.25 * bright).clamp(0.0, 1.0)
}

/// Tempo suitability in [0, 1]: 1 within 90–140 BPM, Gaussian fall-off (σ = 0.3 octave)
/// in log-tempo outside it; 0 for no or invalid tempo.
pub fn tempo_weight(bpm: Option<f64>) -> f64 {
    let Some(bpm) = bpm.filter(|b| b.is_finite() && *b > 0.0) else {
        return 0.0;
    };
    let octaves = if bpm < 90.0 {
        (90.0 / bpm).log2()
    } else if bpm > 140.0 {
        (bpm / 140.0).log2()
    } else {
        0.0
    };
    (-0.5 * (octaves / 0.3).powi(2)).exp()
}

/// Beat regularity in [0, 1] from the inter-beat intervals: `1 / (1 + (cv / 0.08)²)` with cv
/// the coefficient of variation of the intervals; `None` with fewer than 4 beats.
pub fn beat_regularity(beats: &[f64]) -> Option<f64> {
    let ibis: Vec<f64> = beats
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| d.is_finite() && *d > 0.0)
        .collect();
    if ibis.len() < 3 {
        return None;
    }
    let n = ibis.len() as f64;
    let mean = ibis.iter().sum::<f64>() / n;
    let var = ibis.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n;
    let cv = var.sqrt() / mean;
    Some(1.0 / (1.0 + (cv / 0.08).powi(2)))
}

/// Bass-pulse strength in [0, 1]: logistic(clarity; 0.4, 0.14) (dev-set median and quartiles)
/// times min(1, bass onset / 0.01): a periodic but faint bass (a chorale) is not a dance pulse.
fn pulse_score(clarity: f64, bass_onset: f64) -> f64 {
    logistic(clarity, 0.4, 0.14) * (bass_onset / 0.01).clamp(0.0, 1.0)
}

/// Danceability in [0, 1]: `T · (0.5·P + 0.25·C + 0.25·R)` where T = [`tempo_weight`] of
/// `rhythm.bpm`, P = `pulse_score` of the bass-onset autocorrelation at that tempo's lag (best
/// of the lags within ±4 %), C = rhythm confidence, R = [`beat_regularity`]. Without a rhythm
/// tempo it falls back to `max over lags of T(lag tempo) · P(lag)`.
pub fn danceability(f: &DynamicsFeatures, rhythm: &Rhythm) -> f64 {
    let score = match rhythm.bpm.filter(|b| b.is_finite() && *b > 0.0) {
        Some(bpm) => {
            let near = f
                .pulse_curve
                .iter()
                .filter(|(b, _)| (b / bpm - 1.0).abs() <= 0.04);
            let clarity = near.map(|&(_, c)| c).fold(f64::NEG_INFINITY, f64::max);
            let pulse = if clarity.is_finite() {
                pulse_score(clarity, f.bass_onset)
            } else {
                0.0
            };
            let conf = if rhythm.confidence.is_finite() {
                rhythm.confidence.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let reg = beat_regularity(&rhythm.beats).unwrap_or(0.0);
            tempo_weight(Some(bpm)) * (0.5 * pulse + 0.25 * conf + 0.25 * reg)
        }
        None => f
            .pulse_curve
            .iter()
            .map(|&(b, c)| tempo_weight(Some(b)) * pulse_score(c, f.bass_onset))
            .fold(0.0, f64::max),
    };
    score.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_is_half_at_center_and_safe_on_nan() {
        assert!((logistic(3.0, 3.0, 2.0) - 0.5).abs() < 1e-12);
        assert_eq!(logistic(f64::NAN, 0.0, 1.0), 0.0);
        assert!(logistic(1e300, 0.0, 1e-300) <= 1.0);
    }

    #[test]
    fn tempo_weight_is_flat_in_dance_range_and_falls_outside() {
        assert_eq!(tempo_weight(Some(120.0)), 1.0);
        assert!(tempo_weight(Some(60.0)) < 0.5);
        assert!(tempo_weight(Some(200.0)) < tempo_weight(Some(150.0)));
        assert_eq!(tempo_weight(None), 0.0);
        assert_eq!(tempo_weight(Some(f64::NAN)), 0.0);
    }

    #[test]
    fn regular_beats_beat_jittered_ones() {
        let steady: Vec<f64> = (0..20).map(|i| i as f64 * 0.5).collect();
        let jitter: Vec<f64> = (0..20)
            .map(|i| i as f64 * 0.5 + if i % 2 == 0 { 0.1 } else { 0.0 })
            .collect();
        let s = beat_regularity(&steady).unwrap_or(0.0);
        let j = beat_regularity(&jitter).unwrap_or(1.0);
        assert!(s > 0.99 && j < 0.5, "{s} {j}");
        assert_eq!(beat_regularity(&[0.0, 1.0]), None);
    }

    #[test]
    fn danceability_uses_rhythm_when_present() {
        let f = DynamicsFeatures {
            pulse_clarity: Some(0.9),
            pulse_bpm: Some(120.0),
            pulse_curve: vec![(50.0, 0.9), (60.0, 0.1), (120.0, 0.9), (180.0, 0.1)],
            bass_onset: 0.05,
            ..Default::default()
        };
        let none = Rhythm {
            bpm: None,
            confidence: 0.0,
            beats: vec![],
            tempo_curve: vec![],
        };
        let beats: Vec<f64> = (0..40).map(|i| i as f64 * 0.5).collect();
        let good = Rhythm {
            bpm: Some(120.0),
            confidence: 0.9,
            beats,
            tempo_curve: vec![],
        };
        let slow = Rhythm {
            bpm: Some(50.0),
            ..good.clone()
        };
        let off = Rhythm {
            bpm: Some(180.0),
            ..good.clone()
        };
        let d_none = danceability(&f, &none);
        let d_good = danceability(&f, &good);
        assert!(d_good > 0.9 && d_none > 0.9, "{d_good} {d_none}");
        assert!(danceability(&f, &slow) < 0.5 * d_good);
        // At 180 BPM the bass pulse is weak: the score drops although tempo weight is 0.48.
        assert!(danceability(&f, &off) < 0.6 * d_good);
    }
}
