//! The calibrated probability that a track has sung vocals, from the MTT model's voice tags.
//!
//! A logistic regression on two inputs: the mean logit of the tags that say a voice is heard
//! and the mean logit of those that say none is. Fitted on the voice set of `bench/voices.sh`
//! (synthetic singing, rap and speech over the generated corpus's beds, and the beds alone)
//! by `bench/vocal_model.py`, which prints `VOCAL_W` and judges it leave-one-source-out and
//! on the dev set's real recordings (docs/DESCRIPTORS.md, "Vocal"). Both inputs rise together
//! on voices in that data: the "no vocal" tags fire on speech and singing too, so their weight
//! is positive; the two together tell speech (both high) from singing.

use crate::tagger::RawTags;
use crate::ModelKind;

/// MTT tags that say a voice is heard.
const VOICE_PRESENT: [&str; 6] = [
    "vocal",
    "vocals",
    "singing",
    "voice",
    "female vocal",
    "male vocal",
];
/// MTT tags that say no voice is heard.
const VOICE_ABSENT: [&str; 3] = ["no vocal", "no vocals", "no voice"];
/// Intercept, then the weights of the mean voice-present and voice-absent tag logits.
const VOCAL_W: [f64; 3] = [10.4047, 1.7791, 1.1768];
/// Tag probabilities are clamped to [ε, 1 − ε] before the logit, as in the fit.
const EPSILON: f64 = 1e-4;

/// Probability in [0, 1] that the tagged track has sung vocals.
pub fn vocal_probability(r: &RawTags) -> f32 {
    let mean_logit = |tags: &[&str]| {
        let sum: f64 = tags
            .iter()
            .map(|t| {
                let p = f64::from(mtt(r, t)).clamp(EPSILON, 1.0 - EPSILON);
                (p / (1.0 - p)).ln()
            })
            .sum();
        sum / tags.len() as f64
    };
    let z = VOCAL_W[0]
        + VOCAL_W[1] * mean_logit(&VOICE_PRESENT)
        + VOCAL_W[2] * mean_logit(&VOICE_ABSENT);
    let p = 1.0 / (1.0 + (-z).exp());
    if p.is_finite() {
        p as f32
    } else {
        0.0
    }
}

/// The MTT probability of `label` (0 when the model has no such label or the output is short).
fn mtt(r: &RawTags, label: &str) -> f32 {
    ModelKind::Mtt
        .labels()
        .iter()
        .position(|l| *l == label)
        .and_then(|i| r.mtt.get(i).copied())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw tags with the voice-present tags at `present` and the voice-absent ones at
    /// `absent` (in the order of `VOICE_PRESENT` and `VOICE_ABSENT`).
    fn raw(present: [f32; 6], absent: [f32; 3]) -> RawTags {
        let set: Vec<_> = VOICE_PRESENT
            .iter()
            .zip(present)
            .chain(VOICE_ABSENT.iter().zip(absent))
            .map(|(t, p)| (ModelKind::Mtt, *t, p))
            .collect();
        crate::groups::tests::raw_with(&set)
    }

    #[test]
    fn every_tag_is_an_mtt_label() {
        for t in VOICE_PRESENT.iter().chain(&VOICE_ABSENT) {
            assert!(ModelKind::Mtt.labels().contains(t), "{t}");
        }
    }

    #[test]
    fn real_singers_score_above_an_instrumental_bed() {
        // Tags as measured (rounded) on a corpus bed (gen-fluidr3/swing_000) and on the dev
        // set's real singers (essentia_singing_female, vocadito_1).
        let bed = vocal_probability(&raw(
            [0.04, 0.02, 0.03, 0.01, 0.01, 0.04],
            [0.03, 0.04, 0.02],
        ));
        let female = vocal_probability(&raw(
            [0.19, 0.09, 0.13, 0.08, 0.18, 0.001],
            [0.01, 0.01, 0.01],
        ));
        let male = vocal_probability(&raw(
            [0.19, 0.11, 0.12, 0.12, 0.02, 0.17],
            [0.02, 0.03, 0.01],
        ));
        // 0.37, 0.52 and 0.86 with the shipped weights.
        assert!(bed < 0.5, "{bed}");
        assert!(female > 0.5 && male > 0.8, "{female} {male}");
    }

    #[test]
    fn degenerate_outputs_stay_in_range() {
        for (v, n) in [(0.0, 0.0), (1.0, 1.0), (f32::NAN, 0.5), (2.0, -1.0)] {
            let p = vocal_probability(&raw([v; 6], [n; 3]));
            assert!((0.0..=1.0).contains(&p), "{v} {n}: {p}");
        }
        let mut short = raw([0.5; 6], [0.5; 3]);
        short.mtt.truncate(3);
        assert!((0.0..=1.0).contains(&vocal_probability(&short)));
    }
}
