//! Integration tests: content (speech and vocal probabilities).

use backbeat_audio::content::{Content, ContentAnalyzer};
use backbeat_audio::ANALYSIS_RATE;
use proptest::prelude::*;
use std::f32::consts::TAU;

const SR: f32 = ANALYSIS_RATE as f32;

fn analyse_chunked(signal: &[f32], chunk: usize) -> Content {
    let mut a = ContentAnalyzer::new(ANALYSIS_RATE);
    for c in signal.chunks(chunk.max(1)) {
        a.push(c);
    }
    a.finish()
}

/// Speech-like: a harmonic source whose pitch glides (intonation), amplitude-modulated at
/// ~4 Hz (syllables), with a 0.4 s pause every 2 s and noisy "consonant" bursts.
fn speech_like(seconds: f32) -> Vec<f32> {
    let mut phase = 0.0f32;
    let mut seed = 12345u32;
    (0..(seconds * SR) as usize)
        .map(|i| {
            let t = i as f32 / SR;
            let f0 = 140.0 + 40.0 * (TAU * 0.7 * t).sin() + 15.0 * (TAU * 2.3 * t).sin();
            phase = (phase + TAU * f0 / SR) % TAU;
            let voiced: f32 = (1..12).map(|h| (phase * h as f32).sin() / h as f32).sum();
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let syllable = (TAU * 4.0 * t).sin().max(0.0).powi(2);
            let consonant = if (t * 4.0).fract() > 0.85 {
                0.3 * noise
            } else {
                0.0
            };
            let pause = if t % 2.0 > 1.6 { 0.0 } else { 1.0 };
            0.3 * pause * (syllable * voiced + consonant)
        })
        .collect()
}

/// Music-like: a steady C-major chord with harmonics plus a kick drum every 0.5 s.
fn chord_with_beat(seconds: f32) -> Vec<f32> {
    (0..(seconds * SR) as usize)
        .map(|i| {
            let t = i as f32 / SR;
            let chord: f32 = [261.63f32, 329.63, 392.0]
                .iter()
                .flat_map(|&f| (1..5).map(move |h| (TAU * f * h as f32 * t).sin() / h as f32))
                .sum();
            let since = t % 0.5;
            let kick = (-since * 25.0).exp() * (TAU * 60.0 * since).sin();
            0.1 * chord + 0.4 * kick
        })
        .collect()
}

fn assert_sane(c: &Content) {
    for v in [c.speech_probability, c.vocal_probability, c.speech_fraction] {
        assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{c:?}");
    }
}

#[test]
fn speech_like_signal_scores_above_chord_with_beat() {
    let speech = analyse_chunked(&speech_like(8.0), 1000);
    let music = analyse_chunked(&chord_with_beat(8.0), 1000);
    assert_sane(&speech);
    assert_sane(&music);
    assert!(speech.speech_probability > 0.5, "{speech:?}");
    assert!(music.speech_probability < 0.5, "{music:?}");
    assert!(speech.speech_fraction > music.speech_fraction);
}

#[test]
fn silence_and_hostile_input_are_sane() {
    let silent = analyse_chunked(&vec![0.0; 50_000], 1000);
    assert_eq!(
        (silent.speech_probability, silent.vocal_probability),
        (0.0, 0.0)
    );
    for signal in [
        vec![],
        vec![0.5],
        vec![f32::NAN; 30_000],
        vec![f32::MAX; 30_000],
    ] {
        assert_sane(&analyse_chunked(&signal, 333));
    }
    let mut mixed = chord_with_beat(3.0);
    mixed
        .iter_mut()
        .step_by(97)
        .for_each(|s| *s = f32::INFINITY);
    assert_sane(&analyse_chunked(&mixed, 1000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn chunking_does_not_change_the_result(chunk in 1usize..5000) {
        let signal = speech_like(2.5);
        prop_assert_eq!(analyse_chunked(&signal, chunk), analyse_chunked(&signal, 4096));
    }
}

#[test]
fn odd_sample_rates_do_not_panic() {
    let signal = chord_with_beat(2.0);
    for rate in [0, 1, 8000, 96_000] {
        let mut a = ContentAnalyzer::new(rate);
        a.push(&signal);
        assert_sane(&a.finish());
        let mut d = backbeat_audio::dynamics::DynamicsAnalyzer::new(rate);
        d.push(&signal);
        let rhythm = backbeat_audio::rhythm::Rhythm {
            bpm: None,
            confidence: 0.0,
            beats: vec![],
            tempo_curve: vec![],
        };
        let r = d.finish(&rhythm);
        assert!(
            r.energy.is_finite() && r.danceability.is_finite() && r.dynamic_complexity.is_finite()
        );
    }
}
