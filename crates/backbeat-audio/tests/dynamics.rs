//! Integration tests: dynamics (RMS, crest, dynamic complexity, energy, danceability).

use backbeat_audio::dynamics::{Dynamics, DynamicsAnalyzer};
use backbeat_audio::rhythm::Rhythm;
use backbeat_audio::ANALYSIS_RATE;
use proptest::prelude::*;
use std::f32::consts::TAU;

const SR: f32 = ANALYSIS_RATE as f32;

fn no_rhythm() -> Rhythm {
    Rhythm {
        bpm: None,
        confidence: 0.0,
        beats: Vec::new(),
        tempo_curve: vec![],
    }
}

fn analyse_chunked(signal: &[f32], chunk: usize, rhythm: &Rhythm) -> Dynamics {
    let mut a = DynamicsAnalyzer::new(ANALYSIS_RATE);
    for c in signal.chunks(chunk.max(1)) {
        a.push(c);
    }
    a.finish(rhythm)
}

fn analyse(signal: &[f32]) -> Dynamics {
    analyse_chunked(signal, 1000, &no_rhythm())
}

fn sine(freq: f32, amp: f32, seconds: f32) -> Vec<f32> {
    (0..(seconds * SR) as usize)
        .map(|i| amp * (TAU * freq * i as f32 / SR).sin())
        .collect()
}

/// Kick drum (decaying 60 Hz burst) every `period` seconds over a quiet pad.
fn beat(seconds: f32, period: f32, gain: f32) -> Vec<f32> {
    (0..(seconds * SR) as usize)
        .map(|i| {
            let t = i as f32 / SR;
            let since = t % period;
            let kick = (-since * 25.0).exp() * (TAU * 60.0 * since).sin();
            let pad = 0.05 * (TAU * 440.0 * t).sin() + 0.03 * (TAU * 3520.0 * t).sin();
            gain * (0.8 * kick + pad)
        })
        .collect()
}

#[test]
fn full_scale_sine_rms_and_crest() {
    // 1 kHz at 22.05 kHz: 441 samples = 20 periods exactly, so the mean square is exactly 0.5.
    let d = analyse(&sine(1000.0, 1.0, 2.0));
    let rms = d.rms_dbfs.unwrap_or(f64::NAN);
    let crest = d.crest_db.unwrap_or(f64::NAN);
    assert!((rms + 3.0103).abs() < 0.01, "rms {rms}");
    assert!((crest - 3.0103).abs() < 0.01, "crest {crest}");
}

#[test]
fn steady_tone_has_no_dynamic_complexity() {
    let d = analyse(&sine(440.0, 0.3, 12.0));
    assert!(d.dynamic_complexity < 0.1, "{}", d.dynamic_complexity);
}

#[test]
fn alternating_levels_have_clear_dynamic_complexity() {
    // −10 dB and −30 dB RMS (sine amplitude = √2 · 10^(dB/20)), alternating every 5 s.
    let loud = sine(440.0, 2f32.sqrt() * 10f32.powf(-0.5), 5.0);
    let soft = sine(440.0, 2f32.sqrt() * 10f32.powf(-1.5), 5.0);
    let signal: Vec<f32> = [&loud, &soft, &loud, &soft]
        .iter()
        .flat_map(|v| v.iter().copied())
        .collect();
    let d = analyse(&signal);
    // Most 2-s windows sit 10 dB from the mean of the two levels; transition windows less.
    assert!(
        d.dynamic_complexity > 6.0 && d.dynamic_complexity < 10.5,
        "{}",
        d.dynamic_complexity
    );
}

#[test]
fn silence_and_hostile_input_are_sane() {
    let d = analyse(&vec![0.0; 30_000]);
    assert_eq!((d.rms_dbfs, d.crest_db), (None, None));
    assert_eq!(
        (d.energy, d.danceability, d.dynamic_complexity),
        (0.0, 0.0, 0.0)
    );
    for signal in [
        vec![],
        vec![0.5],
        vec![f32::NAN; 5000],
        vec![f32::MAX, -f32::MAX, f32::INFINITY],
    ] {
        let d = analyse(&signal);
        for v in [d.energy, d.danceability, d.dynamic_complexity] {
            assert!(v.is_finite() && v >= 0.0, "{v}");
        }
        assert!(d.energy <= 1.0 && d.danceability <= 1.0);
        assert!(d.rms_dbfs.is_none_or(f64::is_finite));
    }
}

#[test]
fn a_regular_beat_is_more_danceable_than_a_steady_tone() {
    let beat = analyse(&beat(12.0, 0.5, 0.5));
    let tone = analyse(&sine(440.0, 0.5, 12.0));
    assert!(beat.danceability > 0.6, "{}", beat.danceability);
    assert!(tone.danceability < 0.2, "{}", tone.danceability);
}

#[test]
fn rhythm_fields_drive_danceability() {
    let signal = beat(12.0, 0.5, 0.5);
    let beats: Vec<f64> = (0..24).map(|i| i as f64 * 0.5).collect();
    let good = Rhythm {
        bpm: Some(120.0),
        confidence: 0.9,
        beats,
        tempo_curve: vec![],
    };
    let slow = Rhythm {
        bpm: Some(40.0),
        ..good.clone()
    };
    let unsure = Rhythm {
        confidence: 0.0,
        beats: vec![],
        ..good.clone()
    };
    let g = analyse_chunked(&signal, 777, &good).danceability;
    let s = analyse_chunked(&signal, 777, &slow).danceability;
    let u = analyse_chunked(&signal, 777, &unsure).danceability;
    assert!(g > 0.8 && s < 0.3 * g && u < g - 0.3, "{g} {s} {u}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn energy_grows_with_gain(g1 in 0.01f32..1.0, g2 in 0.01f32..1.0) {
        let (lo, hi) = if g1 < g2 { (g1, g2) } else { (g2, g1) };
        prop_assume!(hi / lo > 1.05);
        let e_lo = analyse(&beat(3.0, 0.5, lo)).energy;
        let e_hi = analyse(&beat(3.0, 0.5, hi)).energy;
        prop_assert!(e_hi > e_lo, "{} -> {}, {} -> {}", lo, e_lo, hi, e_hi);
    }

    #[test]
    fn chunking_does_not_change_the_result(chunk in 1usize..5000) {
        let signal = beat(4.0, 0.5, 0.4);
        let beats = vec![0.0, 0.5, 1.0, 1.5, 2.0];
        let rhythm = Rhythm { bpm: Some(120.0), confidence: 0.5, beats, tempo_curve: vec![] };
        let whole = analyse_chunked(&signal, 4096, &rhythm);
        prop_assert_eq!(analyse_chunked(&signal, chunk, &rhythm), whole);
    }
}
