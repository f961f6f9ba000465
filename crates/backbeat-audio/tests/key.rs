//! Integration tests: key.
//!
//! Synthetic cadences of harmonic tones (known key by construction): transposition moves the
//! tonic by the same interval, and amplitude and chunking do not change the answer.

use backbeat_audio::key::{Key, KeyAnalyzer, Mode, NOISE_STRENGTH};
use backbeat_audio::ANALYSIS_RATE;
use proptest::prelude::*;

const SR: f64 = ANALYSIS_RATE as f64;

/// Chords as MIDI notes for I–IV–V–I (major) or i–iv–V–i (minor) with bass, tonic = `base`.
fn progression(base: f64, mode: Mode) -> Vec<Vec<f64>> {
    let third = if mode == Mode::Major { 4.0 } else { 3.0 };
    let sixth = if mode == Mode::Major { 9.0 } else { 8.0 };
    let (b, t) = (base, base + 24.0);
    vec![
        vec![b, t, t + third, t + 7.0],
        vec![b + 5.0, t + 5.0, t + sixth, t + 12.0],
        vec![b + 7.0, t + 7.0, t + 11.0, t + 14.0],
        vec![b, t, t + third, t + 7.0],
    ]
}

/// Render chords of 3-partial tones (amplitudes 1, 1/2, 1/3), `secs` per chord.
fn render(chords: &[Vec<f64>], secs: f64, gain: f32) -> Vec<f32> {
    let n = (secs * SR) as usize;
    let mut out = Vec::with_capacity(n * chords.len());
    for notes in chords {
        let freqs: Vec<f64> = notes
            .iter()
            .map(|m| 440.0 * 2f64.powf((m - 69.0) / 12.0))
            .collect();
        for i in 0..n {
            let t = i as f64 / SR;
            let env = (i.min(n - 1 - i) as f64 / 200.0).min(1.0);
            let v: f64 = freqs
                .iter()
                .flat_map(|f| {
                    (1..=3)
                        .map(move |h| (std::f64::consts::TAU * f * h as f64 * t).sin() / h as f64)
                })
                .sum();
            out.push(gain * (0.04 * env * v) as f32);
        }
    }
    out
}

fn analyse(x: &[f32], chunk: usize) -> Option<Key> {
    let mut k = KeyAnalyzer::new(ANALYSIS_RATE);
    for c in x.chunks(chunk.max(1)) {
        k.push(c);
    }
    k.finish()
}

#[test]
fn cadences_in_every_tonic_of_one_octave() {
    for tonic in 0..12u8 {
        for mode in [Mode::Major, Mode::Minor] {
            let x = render(&progression(36.0 + f64::from(tonic), mode), 0.7, 1.0);
            let k = analyse(&x, 1000).unwrap_or_else(|| panic!("no key for {tonic}"));
            assert_eq!((k.tonic_pc, k.mode), (tonic, mode), "{k:?}");
        }
    }
}

#[test]
fn noise_is_weak_and_silence_is_none() {
    let mut s = 1u32;
    let noise: Vec<f32> = (0..6 * ANALYSIS_RATE as usize)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect();
    assert!(analyse(&noise, 4096).is_none_or(|k| k.strength < NOISE_STRENGTH));
    assert!(analyse(&vec![0.0; 100_000], 1000).is_none());
    assert!(analyse(&[1.0], 1).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn transposition_moves_the_tonic_and_gain_and_chunking_do_not_matter(
        tonic in 0u8..12,
        minor in any::<bool>(),
        shift in 1u8..12,
        gain in 0.01f32..20.0,
        chunk in 1usize..5000,
    ) {
        let mode = if minor { Mode::Minor } else { Mode::Major };
        let x = render(&progression(36.0 + f64::from(tonic), mode), 0.6, 1.0);
        let base = analyse(&x, 1000);
        let base = base.ok_or_else(|| TestCaseError::fail("no key"))?;
        let y = render(&progression(36.0 + f64::from(tonic + shift), mode), 0.6, 1.0);
        let moved = analyse(&y, 1000).ok_or_else(|| TestCaseError::fail("no key"))?;
        prop_assert_eq!(moved.tonic_pc, (base.tonic_pc + shift) % 12);
        prop_assert_eq!(moved.mode, base.mode);

        let chunked = analyse(&x, chunk).ok_or_else(|| TestCaseError::fail("no key"))?;
        prop_assert_eq!(&chunked, &base);

        let scaled: Vec<f32> = x.iter().map(|v| v * gain).collect();
        let louder = analyse(&scaled, 1000).ok_or_else(|| TestCaseError::fail("no key"))?;
        prop_assert_eq!((louder.tonic_pc, louder.mode), (base.tonic_pc, base.mode));
        prop_assert!((louder.strength - base.strength).abs() < 1e-3, "{:?} {:?}", louder, base);
    }
}
