//! Marker F-measure: window, labels, conventions, and a case nearest-first pairing gets wrong.

use backbeat_annotate::agreement::markers::max_matching;
use backbeat_annotate::agreement::{marker_f_measure, MARKER_WINDOW_SECS};
use backbeat_annotate::answer::Marker;

pub fn markers(times: &[f64], label: &str) -> Vec<Marker> {
    times
        .iter()
        .map(|&time| Marker {
            time,
            label: label.to_string(),
        })
        .collect()
}

#[test]
fn empty_lists_convention() {
    let some = markers(&[1.0], "beat");
    assert_eq!(marker_f_measure(&[], &[], MARKER_WINDOW_SECS), 1.0);
    assert_eq!(marker_f_measure(&some, &[], MARKER_WINDOW_SECS), 0.0);
    assert_eq!(marker_f_measure(&[], &some, MARKER_WINDOW_SECS), 0.0);
}

#[test]
fn window_is_70_ms_inclusive() {
    let a = markers(&[1.0], "beat");
    assert_eq!(
        marker_f_measure(&a, &markers(&[1.07], "beat"), MARKER_WINDOW_SECS),
        1.0
    );
    assert_eq!(
        marker_f_measure(&a, &markers(&[0.93], "beat"), MARKER_WINDOW_SECS),
        1.0
    );
    assert_eq!(
        marker_f_measure(&a, &markers(&[1.0701], "beat"), MARKER_WINDOW_SECS),
        0.0
    );
}

#[test]
fn labels_are_matched_separately() {
    let a = markers(&[1.0, 2.0], "beat");
    let b = markers(&[1.0, 2.0], "downbeat");
    assert_eq!(marker_f_measure(&a, &b, MARKER_WINDOW_SECS), 0.0);
    let mut mixed = markers(&[1.0], "beat");
    mixed.extend(markers(&[2.0], "downbeat"));
    // One of two matches on each side: F = 2·1/(2 + 2).
    assert_eq!(marker_f_measure(&a, &mixed, MARKER_WINDOW_SECS), 0.5);
}

#[test]
fn f_measure_value_and_symmetry() {
    let reference = markers(&[0.5, 1.0, 1.5, 2.0], "beat");
    let estimate = markers(&[0.52, 1.2, 1.49], "beat");
    let f = marker_f_measure(&reference, &estimate, MARKER_WINDOW_SECS);
    assert!((f - 4.0 / 7.0).abs() < 1e-12, "{f}");
    assert_eq!(
        marker_f_measure(&estimate, &reference, MARKER_WINDOW_SECS),
        f
    );
    // Each marker pairs once: three estimates around one beat count once.
    let crowd = markers(&[0.99, 1.0, 1.01], "beat");
    let single = markers(&[1.0], "beat");
    assert_eq!(marker_f_measure(&single, &crowd, MARKER_WINDOW_SECS), 0.5);
}

/// Nearest-first pairing takes 0.06–0.05 and strands 0.00 and 0.11; the matching pairs both.
#[test]
fn beats_nearest_first_greedy() {
    assert_eq!(
        max_matching(&[0.0, 0.06], &[0.05, 0.11], MARKER_WINDOW_SECS),
        2
    );
    let f = marker_f_measure(
        &markers(&[0.0, 0.06], "beat"),
        &markers(&[0.05, 0.11], "beat"),
        MARKER_WINDOW_SECS,
    );
    assert_eq!(f, 1.0);
}

#[test]
fn non_finite_times_are_dropped() {
    let a = markers(&[1.0, f64::NAN, f64::INFINITY], "beat");
    let b = markers(&[1.0], "beat");
    assert_eq!(marker_f_measure(&a, &b, MARKER_WINDOW_SECS), 1.0);
    let only_nan = markers(&[f64::NAN], "beat");
    assert_eq!(marker_f_measure(&only_nan, &[], MARKER_WINDOW_SECS), 1.0);
}
