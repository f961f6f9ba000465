//! The two tiny per-segment logistic models. Weights: see `docs/DESCRIPTORS.md` for what was
//! fitted on which data.

use super::features::SegmentFeatures;

/// Speech model: intercept then one weight per feature of [`speech_inputs`]. Fitted (L2
/// logistic regression, C = 1, balanced classes) on the 1-s segments of the labelled dev files
/// plus 48 synthetic espeak-ng clips (40 clean, 8 over a −18 dB music bed).
const SPEECH_W: [f64; 4] = [0.8509, 1.9397, 4.7885, 5.4652];
/// Vocal model: intercept then one weight per feature of [`vocal_inputs`]. Hand-set: sung
/// voices are voiced most of the time but never hold a pitch as steadily as a synthesizer;
/// the intercept was chosen on the dev set's 31 vocal-labelled files (only 2 positives).
const VOCAL_W: [f64; 3] = [2.0, -8.0, 4.0];

/// The speech model's inputs, in weight order.
pub fn speech_inputs(s: &SegmentFeatures) -> [f64; 3] {
    [s.mod4, s.low_energy, s.pitch_wiggle]
}

/// The vocal model's inputs, in weight order.
pub fn vocal_inputs(s: &SegmentFeatures) -> [f64; 2] {
    [s.pitch_steady, s.voiced]
}

fn logit<const N: usize>(w: &[f64], x: [f64; N]) -> f64 {
    let z = w.first().copied().unwrap_or(0.0)
        + w.iter().skip(1).zip(x).map(|(w, x)| w * x).sum::<f64>();
    if z.is_nan() {
        0.0
    } else {
        1.0 / (1.0 + (-z).exp())
    }
}

/// Probability in [0, 1] that one segment is speech.
pub fn speech_score(s: &SegmentFeatures) -> f64 {
    logit(&SPEECH_W, speech_inputs(s))
}

/// Probability in [0, 1] that one (music) segment has a singing voice.
pub fn vocal_score(s: &SegmentFeatures) -> f64 {
    logit(&VOCAL_W, vocal_inputs(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_like_segment_beats_music_like_segment() {
        let speech = SegmentFeatures {
            mod4: -1.3,
            low_energy: 0.5,
            pitch_wiggle: 0.5,
            ..Default::default()
        };
        let music = SegmentFeatures {
            mod4: -4.5,
            low_energy: 0.1,
            pitch_wiggle: 0.1,
            ..Default::default()
        };
        assert!(speech_score(&speech) > 0.9 && speech_score(&music) < 0.1);
    }

    #[test]
    fn nan_features_give_zero_not_nan() {
        let bad = SegmentFeatures {
            mod4: f64::NAN,
            ..Default::default()
        };
        assert_eq!(speech_score(&bad), 0.0);
        assert!(vocal_score(&bad).is_finite());
    }
}
