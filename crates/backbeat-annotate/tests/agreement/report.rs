//! Per-question α and per-pair agreement over a project's reliability data.

use std::collections::BTreeSet;

use backbeat_annotate::agreement::{
    alpha_with, cohen_kappa_labels, masi_distance, pair_agreements, question_agreement,
    question_alpha, Metric, PairMeasure, ReliabilityData,
};
use backbeat_annotate::answer::{Key, Mode, Value};
use backbeat_annotate::schema::{NumberDistance, QuestionKind, SetDistance};

use super::markers::markers;
use super::{krippendorff_example, round4};

fn as_values(f: impl Fn(f64) -> Value) -> ReliabilityData<Value> {
    krippendorff_example().filter_map(|&x| Some(f(x)))
}

/// The paper's example through the engine's typed values gives the paper's figures.
#[test]
fn question_alpha_uses_the_level_of_the_kind() {
    let choice = QuestionKind::SingleChoice { labels: vec![] };
    let labels = as_values(|x| Value::Choice(format!("label{x}")));
    assert_eq!(round4(question_alpha(&choice, &labels).unwrap()), 0.7434);
    let numbers = as_values(Value::Number);
    let rating = QuestionKind::Rating { min: 1, max: 5 };
    assert_eq!(round4(question_alpha(&rating, &numbers).unwrap()), 0.8154);
    let interval = QuestionKind::Number {
        min: 0.0,
        max: 10.0,
        distance: NumberDistance::Interval,
    };
    assert_eq!(round4(question_alpha(&interval, &numbers).unwrap()), 0.8491);
    let ratio = QuestionKind::Number {
        min: 0.0,
        max: 10.0,
        distance: NumberDistance::Ratio,
    };
    let q = question_agreement(&ratio, &numbers).unwrap();
    assert_eq!(q.metric, Metric::AlphaRatio);
    assert_eq!(round4(q.value.unwrap()), 0.7974);
    assert_eq!(q.pairable_values, 40);
    assert_eq!(q.items, 11);
}

/// Tempi that differ only by octave errors agree fully; a real disagreement lowers α.
#[test]
fn bpm_alpha_forgives_octave_errors() {
    let kind = QuestionKind::Number {
        min: 30.0,
        max: 300.0,
        distance: NumberDistance::Bpm,
    };
    let n = |x: f64| Some(Value::Number(x));
    let octaves = ReliabilityData::from_rows(vec![
        vec![n(120.0), n(90.0), n(70.0)],
        vec![n(60.0), n(91.0), n(140.0)],
    ])
    .unwrap();
    let q = question_agreement(&kind, &octaves).unwrap();
    assert_eq!(q.metric, Metric::AlphaBpm);
    assert_eq!(q.value, Some(1.0));
    let off = ReliabilityData::from_rows(vec![
        vec![n(120.0), n(90.0), n(70.0)],
        vec![n(60.0), n(91.0), n(100.0)],
    ])
    .unwrap();
    assert!(question_alpha(&kind, &off).unwrap() < 1.0);
}

#[test]
fn key_and_tags_use_their_distances() {
    let key = |t: u8, mode| Some(Value::Key(Key { tonic: t, mode }));
    let data = ReliabilityData::from_rows(vec![
        vec![
            key(0, Mode::Major),
            key(9, Mode::Minor),
            key(7, Mode::Major),
        ],
        vec![
            key(0, Mode::Major),
            key(9, Mode::Minor),
            key(7, Mode::Major),
        ],
    ])
    .unwrap();
    assert_eq!(question_alpha(&QuestionKind::Key, &data), Some(1.0));

    let set = |l: &[&str]| {
        l.iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<String>>()
    };
    let rows = vec![
        vec![Some(set(&["a"])), Some(set(&["a", "b"])), Some(set(&["c"]))],
        vec![Some(set(&["a", "b"])), Some(set(&["b"])), Some(set(&["c"]))],
    ];
    let tags = ReliabilityData::from_rows(rows).unwrap();
    let expected = alpha_with(&tags, masi_distance).unwrap().alpha;
    let values = tags.filter_map(|t| Some(Value::Tags(t.clone())));
    let kind = QuestionKind::MultiLabel {
        labels: vec![],
        vocabulary: None,
        distance: SetDistance::Masi,
    };
    let q = question_agreement(&kind, &values).unwrap();
    assert_eq!(q.metric, Metric::AlphaMasi);
    assert_eq!(q.value, Some(expected));
}

#[test]
fn markers_report_mean_pairwise_f1_and_text_nothing() {
    let kind = QuestionKind::Markers {
        labels: vec!["beat".into()],
    };
    let m = |t: &[f64]| Some(Value::Markers(markers(t, "beat")));
    let data = ReliabilityData::from_rows(vec![
        vec![m(&[1.0, 2.0]), m(&[1.0])],
        vec![m(&[1.0, 2.0]), m(&[3.0])],
    ])
    .unwrap();
    let q = question_agreement(&kind, &data).unwrap();
    assert_eq!(q.metric, Metric::MeanPairwiseF1);
    assert_eq!(q.value, Some(0.5));
    assert_eq!(question_alpha(&kind, &data), None);
    let text = QuestionKind::Text { max_length: 5 };
    assert_eq!(question_agreement(&text, &data), None);
    assert!(pair_agreements(&text, &data).is_empty());
}

#[test]
fn pairs_use_kappa_when_they_share_two_items() {
    let kind = QuestionKind::SingleChoice { labels: vec![] };
    let c = |s: &str| Some(Value::Choice(s.to_string()));
    let data = ReliabilityData::from_rows(vec![
        vec![c("a"), c("b"), c("a"), c("b"), None],
        vec![c("a"), c("b"), c("b"), c("b"), None],
        vec![None, None, None, c("a"), c("b")],
        vec![None, None, None, None, c("b")],
    ])
    .unwrap();
    let pairs = pair_agreements(&kind, &data);
    assert_eq!(pairs.len(), 6);
    let p01 = &pairs[0];
    assert_eq!((p01.coder_a, p01.coder_b, p01.common_items), (0, 1, 4));
    assert_eq!(p01.measure, PairMeasure::CohenKappa);
    let expected = cohen_kappa_labels(&["a", "b", "a", "b"], &["a", "b", "b", "b"]).unwrap();
    assert_eq!(p01.value, Some(expected));
    // Coders 0 and 2 share one item: mean agreement.
    let p02 = pairs
        .iter()
        .find(|p| (p.coder_a, p.coder_b) == (0, 2))
        .unwrap();
    assert_eq!(p02.measure, PairMeasure::MeanAgreement);
    assert_eq!(p02.value, Some(0.0));
    // Coders 0 and 3 share none.
    let p03 = pairs
        .iter()
        .find(|p| (p.coder_a, p.coder_b) == (0, 3))
        .unwrap();
    assert_eq!((p03.common_items, p03.value), (0, None));
}
