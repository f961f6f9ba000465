//! The music distances: tempo with octave errors, MIREX key weights, MASI and Jaccard.

use std::collections::BTreeSet;

use backbeat_annotate::agreement::{
    bpm_agree, bpm_distance, jaccard_distance, key_distance, masi_distance, mirex_key_score,
};
use backbeat_annotate::answer::{Key, Mode};

fn key(name: &str) -> Key {
    let (tonic, mode) = name.split_once(' ').unwrap();
    let tonic = backbeat_annotate::answer::TONICS
        .iter()
        .position(|t| *t == tonic)
        .unwrap() as u8;
    let mode = if mode == "major" {
        Mode::Major
    } else {
        Mode::Minor
    };
    Key { tonic, mode }
}

fn tags(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn tempo_within_four_percent_and_at_octaves() {
    assert!(bpm_agree(100.0, 104.0));
    assert!(bpm_agree(100.0, 96.0));
    assert!(!bpm_agree(100.0, 104.5));
    assert!(!bpm_agree(100.0, 95.0));
    assert!(bpm_agree(120.0, 60.0));
    assert!(bpm_agree(60.0, 120.0));
    assert!(bpm_agree(40.0, 120.0));
    assert!(bpm_agree(180.0, 61.0));
    assert!(!bpm_agree(100.0, 150.0), "3:2 is not an octave error");
    assert!(!bpm_agree(100.0, 400.0), "x4 is not accepted");
    assert!(!bpm_agree(f64::NAN, 100.0));
    assert!(!bpm_agree(-100.0, 100.0));
    assert!(!bpm_agree(0.0, 100.0));
    assert_eq!(bpm_distance(100.0, 100.0), 0.0);
    assert_eq!(bpm_distance(100.0, 130.0), 1.0);
}

/// Neither annotator is the reference: the rule holds both ways.
#[test]
fn tempo_is_symmetric() {
    for a in (30..300).step_by(7) {
        for b in (30..300).step_by(5) {
            let (a, b) = (f64::from(a), f64::from(b));
            assert_eq!(bpm_agree(a, b), bpm_agree(b, a), "{a} {b}");
        }
    }
}

#[test]
fn mirex_weights() {
    let cases = [
        ("C major", "C major", 1.0),
        ("C major", "G major", 0.5),
        ("C major", "F major", 0.5),
        ("A minor", "E minor", 0.5),
        ("A minor", "D minor", 0.5),
        ("C major", "A minor", 0.3),
        ("A minor", "C major", 0.3),
        ("F# major", "D# minor", 0.3),
        ("C major", "C minor", 0.2),
        ("C minor", "C major", 0.2),
        ("C major", "D major", 0.0),
        ("C major", "E minor", 0.0),
        ("C major", "G minor", 0.0),
    ];
    for (a, b, score) in cases {
        assert_eq!(mirex_key_score(key(a), key(b)), score, "{a} / {b}");
        assert_eq!(key_distance(key(a), key(b)), 1.0 - score, "{a} / {b}");
    }
}

#[test]
fn mirex_is_symmetric_over_all_24_keys() {
    let all: Vec<Key> = (0..12)
        .flat_map(|t| [Mode::Major, Mode::Minor].map(|mode| Key { tonic: t, mode }))
        .collect();
    for &a in &all {
        let related = all.iter().filter(|&&b| mirex_key_score(a, b) > 0.0).count();
        // Itself, two fifths, the relative and the parallel key.
        assert_eq!(related, 5, "{a:?}");
        for &b in &all {
            assert_eq!(mirex_key_score(a, b), mirex_key_score(b, a));
        }
    }
}

/// Passonneau (2006): J·M with M = 1, 2/3, 1/3, 0.
#[test]
fn masi_by_kind_of_overlap() {
    let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
    assert_eq!(masi_distance(&tags(&["a", "b"]), &tags(&["b", "a"])), 0.0);
    // Subset: J = 1/2, M = 2/3.
    assert!(close(
        masi_distance(&tags(&["a"]), &tags(&["a", "b"])),
        1.0 - 1.0 / 3.0
    ));
    assert!(close(
        masi_distance(&tags(&["a", "b"]), &tags(&["a"])),
        1.0 - 1.0 / 3.0
    ));
    // Overlap: J = 1/3, M = 1/3.
    assert!(close(
        masi_distance(&tags(&["a", "b"]), &tags(&["b", "c"])),
        1.0 - 1.0 / 9.0
    ));
    assert_eq!(masi_distance(&tags(&["a"]), &tags(&["b"])), 1.0);
    assert_eq!(masi_distance(&tags(&[]), &tags(&[])), 0.0);
    assert_eq!(masi_distance(&tags(&[]), &tags(&["a"])), 1.0);
}

#[test]
fn jaccard_distance_of_tag_sets() {
    assert_eq!(jaccard_distance(&tags(&["a"]), &tags(&["a", "b"])), 0.5);
    assert!((jaccard_distance(&tags(&["a", "b"]), &tags(&["b", "c"])) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(jaccard_distance(&tags(&[]), &tags(&[])), 0.0);
    assert_eq!(jaccard_distance(&tags(&[]), &tags(&["x"])), 1.0);
    assert_eq!(jaccard_distance(&tags(&["x"]), &tags(&["y"])), 1.0);
}
