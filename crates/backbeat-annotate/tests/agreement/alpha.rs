//! Krippendorff's α against the paper's worked example, and its edge cases.

use backbeat_annotate::agreement::{alpha, alpha_with, Level, ReliabilityData};

use super::{krippendorff_example, round4};

#[test]
fn reproduces_krippendorff_2011_at_every_level() {
    let data = krippendorff_example();
    let got: Vec<(Level, f64)> = [
        Level::Nominal,
        Level::Ordinal,
        Level::Interval,
        Level::Ratio,
    ]
    .into_iter()
    .map(|l| (l, round4(alpha(&data, l).unwrap().alpha)))
    .collect();
    println!("{got:?}");
    assert_eq!(
        got,
        vec![
            (Level::Nominal, 0.7434),
            (Level::Ordinal, 0.8154),
            (Level::Interval, 0.8491),
            (Level::Ratio, 0.7974),
        ]
    );
}

/// The pairable-values form with a custom δ must agree with the coincidence-matrix levels when
/// given the same difference function.
#[test]
fn custom_distance_matches_the_built_in_levels() {
    let data = krippendorff_example();
    let nominal = alpha_with(&data, |a, b| f64::from(u8::from(a != b))).unwrap();
    let interval = alpha_with(&data, |a, b| (a - b).powi(2)).unwrap();
    let ratio = alpha_with(&data, |a, b| ((a - b) / (a + b)).powi(2)).unwrap();
    assert_eq!(round4(nominal.alpha), 0.7434);
    assert_eq!(round4(interval.alpha), 0.8491);
    assert_eq!(round4(ratio.alpha), 0.7974);
    let built_in = alpha(&data, Level::Interval).unwrap();
    assert!((built_in.alpha - interval.alpha).abs() < 1e-12);
    assert!((built_in.observed - interval.observed).abs() < 1e-12);
}

/// The paper counts n = 40 pairable values: unit 12 has one value and drops out.
#[test]
fn counts_pairable_values_as_the_paper() {
    let data = krippendorff_example();
    assert_eq!(data.pairable_values(), 40);
    assert_eq!(alpha(&data, Level::Nominal).unwrap().pairable, 40);
}

/// Krippendorff (2011) §A: two coders, ten units, binary data, α = 0.095.
#[test]
fn reproduces_the_two_coder_binary_example() {
    let a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
    let b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
    let rows = vec![
        a.iter().map(|&x| Some(f64::from(x))).collect(),
        b.iter().map(|&x| Some(f64::from(x))).collect(),
    ];
    let data = ReliabilityData::from_rows(rows).unwrap();
    let got = alpha(&data, Level::Nominal).unwrap().alpha;
    // 1 − (n − 1)·(o_01 + o_10)/(2 n_0 n_1) = 1 − 19·8/(2·14·6).
    assert!((got - (1.0 - 152.0 / 168.0)).abs() < 1e-12, "{got}");
    assert_eq!((got * 1000.0).round() / 1000.0, 0.095);
}

#[test]
fn undefined_cases_are_none_not_nan() {
    // No data.
    assert!(alpha(&ReliabilityData::<f64>::new(0, 0), Level::Nominal).is_none());
    // One coder: nothing is pairable.
    let one = ReliabilityData::from_rows(vec![vec![Some(1.0), Some(2.0)]]).unwrap();
    assert!(alpha(&one, Level::Interval).is_none());
    // Every value the same: D_e = 0.
    let same = ReliabilityData::from_rows(vec![vec![Some(3.0); 4], vec![Some(3.0); 4]]).unwrap();
    for level in [
        Level::Nominal,
        Level::Ordinal,
        Level::Interval,
        Level::Ratio,
    ] {
        assert!(alpha(&same, level).is_none(), "{level:?}");
    }
    assert!(alpha_with(&same, |a, b| (a - b).abs()).is_none());
}

#[test]
fn non_finite_values_count_as_missing() {
    let mut data = krippendorff_example();
    let clean = alpha(&data, Level::Interval).unwrap().alpha;
    // Unit 12 has only coder B's value; a NaN and an infinity there must change nothing.
    assert!(data.set(0, 11, Some(f64::NAN)));
    assert!(data.set(2, 11, Some(f64::INFINITY)));
    assert_eq!(alpha(&data, Level::Interval).unwrap().alpha, clean);
    assert!(!data.set(4, 0, Some(1.0)), "out of range is refused");
}

#[test]
fn ragged_rows_are_refused() {
    let err = ReliabilityData::from_rows(vec![vec![Some(1.0); 3], vec![Some(1.0); 2]]);
    assert!(err.is_err());
}

/// Systematic disagreement goes below zero, as α should.
#[test]
fn systematic_disagreement_is_negative() {
    let rows = vec![
        vec![Some(1.0), Some(2.0), Some(1.0), Some(2.0)],
        vec![Some(2.0), Some(1.0), Some(2.0), Some(1.0)],
    ];
    let data = ReliabilityData::from_rows(rows).unwrap();
    assert!(alpha(&data, Level::Nominal).unwrap().alpha < 0.0);
}
