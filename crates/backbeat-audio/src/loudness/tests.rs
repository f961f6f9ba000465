//! Unit and property tests of the whole meter on synthetic signals with known answers.

use super::*;
use proptest::prelude::*;

/// Interleaved `channels`-channel sine, `dbfs` peak amplitude, same signal on every channel.
fn sine(rate: u32, channels: usize, freq: f64, dbfs: f64, secs: f64) -> Vec<f32> {
    let amp = 10f64.powf(dbfs / 20.0);
    let n = (secs * f64::from(rate)) as usize;
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    (0..n)
        .flat_map(|i| std::iter::repeat_n((amp * (w * i as f64).sin()) as f32, channels))
        .collect()
}

/// Deterministic white-ish noise in [-amp, amp] (xorshift), interleaved.
fn noise(len: usize, amp: f32, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            amp * ((s >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
        })
        .collect()
}

fn measure(rate: u32, channels: usize, x: &[f32]) -> Loudness {
    let mut m = LoudnessMeter::new(rate, channels);
    m.push_interleaved(x);
    m.finish()
}

#[test]
fn mono_is_one_channel_weighted_one() {
    // One channel carries half the power of the same sine on two: -3.01 LU.
    let l = measure(48_000, 1, &sine(48_000, 1, 1000.0, -23.0, 5.0));
    let i = l.integrated_lufs.unwrap();
    assert!((i + 26.01).abs() < 0.05, "{i}");
}

#[test]
fn rate_independent_at_1khz() {
    for rate in [11_025, 22_050, 44_100, 96_000] {
        let l = measure(rate, 2, &sine(rate, 2, 1000.0, -23.0, 3.0));
        let i = l.integrated_lufs.unwrap();
        assert!((i + 23.0).abs() < 0.05, "{rate} Hz: {i}");
    }
}

#[test]
fn surround_weights_and_lfe() {
    let rate = 48_000;
    let tone = sine(rate, 1, 1000.0, -23.0, 3.0);
    let only = |ch: usize| -> Vec<f32> {
        tone.iter()
            .flat_map(|&v| (0..6).map(move |c| if c == ch { v } else { 0.0 }))
            .collect()
    };
    let front = measure(rate, 6, &only(0)).integrated_lufs.unwrap();
    let surround = measure(rate, 6, &only(4)).integrated_lufs.unwrap();
    assert!((surround - front - 10.0 * 1.41f64.log10()).abs() < 0.01);
    assert_eq!(measure(rate, 6, &only(3)).integrated_lufs, None);
}

#[test]
fn silence_and_empty() {
    for x in [vec![], vec![0.0; 96_000], vec![0.5]] {
        let l = measure(48_000, 2, &x);
        assert_eq!(l.integrated_lufs, None);
        assert_eq!(l.replaygain_track_gain_db, None);
        assert_eq!(l.loudness_range_lu, 0.0);
    }
    let l = measure(48_000, 2, &[0.0; 1000]);
    assert_eq!((l.true_peak_dbtp, l.sample_peak_dbfs), (None, None));
    assert_eq!(l.replaygain_track_peak, 0.0);
}

#[test]
fn non_finite_samples_count_as_silence() {
    let mut x = sine(48_000, 2, 1000.0, -23.0, 3.0);
    let clean = measure(48_000, 2, &x);
    for (i, v) in x.iter_mut().enumerate().step_by(97) {
        *v = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3];
    }
    let dirty = measure(48_000, 2, &x);
    let (a, b) = (
        clean.integrated_lufs.unwrap(),
        dirty.integrated_lufs.unwrap(),
    );
    assert!((a - b).abs() < 0.1, "{a} vs {b}");
    assert!(dirty.true_peak_dbtp.unwrap().is_finite());
    let all_nan = measure(44_100, 1, &[f32::NAN; 44_100]);
    assert_eq!(all_nan.integrated_lufs, None);
    assert_eq!(all_nan.true_peak_dbtp, None);
}

#[test]
fn huge_and_degenerate_inputs_stay_finite() {
    let l = measure(44_100, 2, &vec![f32::MAX; 44_100]);
    assert!(l.integrated_lufs.unwrap().is_finite());
    assert!(l.true_peak_dbtp.unwrap().is_finite());
    // Zero rate / zero channels must not panic and must still measure something sane.
    let l = measure(0, 0, &sine(8_000, 1, 100.0, -10.0, 1.0));
    assert!(l.integrated_lufs.is_none_or(f64::is_finite));
}

#[test]
fn replaygain_is_minus_18_minus_integrated() {
    let l = measure(44_100, 2, &sine(44_100, 2, 1000.0, -23.0, 3.0));
    let (i, g) = (
        l.integrated_lufs.unwrap(),
        l.replaygain_track_gain_db.unwrap(),
    );
    assert!((g - (-18.0 - i)).abs() < 1e-12);
    let tp = l.true_peak_dbtp.unwrap();
    assert!((20.0 * l.replaygain_track_peak.log10() - tp).abs() < 1e-9);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// A gain of g dB moves the integrated loudness by g while all blocks stay above the gates.
    #[test]
    fn gain_shifts_loudness(seed in 1u64..u64::MAX, gain_db in -20.0f64..10.0) {
        let x = noise(2 * 16_000 * 2, 0.1, seed);
        let g = 10f64.powf(gain_db / 20.0) as f32;
        let y: Vec<f32> = x.iter().map(|v| v * g).collect();
        let a = measure(16_000, 2, &x).integrated_lufs.unwrap();
        let b = measure(16_000, 2, &y).integrated_lufs.unwrap();
        prop_assert!((b - a - gain_db).abs() < 0.01, "{} vs {}", b - a, gain_db);
    }

    /// Interpolated points include the samples, so the true peak is never below the sample peak.
    #[test]
    fn true_peak_at_least_sample_peak(
        seed in 1u64..u64::MAX,
        rate in prop::sample::select(vec![22_050u32, 44_100, 48_000]),
    ) {
        let l = measure(rate, 2, &noise(8_000, 0.7, seed));
        prop_assert!(l.true_peak_dbtp.unwrap() >= l.sample_peak_dbfs.unwrap());
    }

    /// Arbitrary garbage (NaN, ±inf, huge, tiny) on any layout and rate: no panic, and every
    /// reported figure is finite.
    #[test]
    fn garbage_never_panics(
        bits in prop::collection::vec(any::<u32>(), 0..3000),
        channels in 0usize..9,
        rate in prop::sample::select(vec![0u32, 1, 8_000, 11_025, 44_100, 192_000, 1_000_000]),
    ) {
        let x: Vec<f32> = bits.into_iter().map(f32::from_bits).collect();
        let l = measure(rate, channels, &x);
        prop_assert!(l.integrated_lufs.is_none_or(f64::is_finite));
        prop_assert!(l.true_peak_dbtp.is_none_or(f64::is_finite));
        prop_assert!(l.sample_peak_dbfs.is_none_or(f64::is_finite));
        prop_assert!(l.loudness_range_lu.is_finite() && l.replaygain_track_peak.is_finite());
    }

    /// Any chunking, even one that splits frames, gives the identical result.
    #[test]
    fn chunking_invariance(
        seed in 1u64..u64::MAX,
        sizes in prop::collection::vec(1usize..5000, 1..20),
        rate in prop::sample::select(vec![11_025u32, 22_050]),
    ) {
        let x: Vec<f32> = noise(4 * rate as usize * 2, 0.5, seed)
            .iter()
            .enumerate()
            .map(|(i, v)| v * (1.0 + (i as f32 / 20_000.0).sin()))
            .collect();
        let whole = measure(rate, 2, &x);
        let mut m = LoudnessMeter::new(rate, 2);
        let mut rest = &x[..];
        for s in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (now, later) = rest.split_at((*s).min(rest.len()));
            m.push_interleaved(now);
            rest = later;
        }
        prop_assert_eq!(m.finish(), whole);
    }
}
