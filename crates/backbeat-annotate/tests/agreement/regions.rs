//! Region matching on IoU: conventions, eligibility, and a case greedy pairing gets wrong.

use backbeat_annotate::agreement::regions::iou;
use backbeat_annotate::agreement::{match_regions, region_scores, DEFAULT_IOU_THRESHOLD};
use backbeat_annotate::answer::Region;

pub fn region(start: f64, end: f64, label: &str) -> Region {
    Region {
        start,
        end,
        label: label.to_string(),
        attributes: Default::default(),
    }
}

#[test]
fn iou_of_spans() {
    assert_eq!(iou(&region(0.0, 10.0, "a"), &region(0.0, 10.0, "a")), 1.0);
    assert_eq!(
        iou(&region(0.0, 10.0, "a"), &region(5.0, 15.0, "a")),
        5.0 / 15.0
    );
    assert_eq!(iou(&region(0.0, 1.0, "a"), &region(2.0, 3.0, "a")), 0.0);
    // Reversed endpoints are the same span; non-finite ones match nothing.
    assert_eq!(iou(&region(10.0, 0.0, "a"), &region(0.0, 10.0, "a")), 1.0);
    assert_eq!(
        iou(&region(f64::NAN, 1.0, "a"), &region(0.0, 1.0, "a")),
        0.0
    );
    assert_eq!(iou(&region(2.0, 2.0, "a"), &region(2.0, 2.0, "a")), 1.0);
    assert_eq!(iou(&region(2.0, 2.0, "a"), &region(3.0, 3.0, "a")), 0.0);
}

#[test]
fn empty_lists_convention() {
    let one = [region(0.0, 1.0, "verse")];
    let both = region_scores(&[], &[], DEFAULT_IOU_THRESHOLD);
    assert_eq!((both.precision, both.recall, both.f1), (1.0, 1.0, 1.0));
    let left = region_scores(&one, &[], DEFAULT_IOU_THRESHOLD);
    assert_eq!((left.precision, left.recall, left.f1), (0.0, 0.0, 0.0));
    let right = region_scores(&[], &one, DEFAULT_IOU_THRESHOLD);
    assert_eq!(right.f1, 0.0);
}

#[test]
fn labels_must_match_and_threshold_is_inclusive() {
    let a = [region(0.0, 10.0, "verse"), region(10.0, 20.0, "chorus")];
    let b = [region(0.0, 10.0, "chorus"), region(10.0, 20.0, "verse")];
    assert_eq!(region_scores(&a, &b, 0.5).f1, 0.0);
    // IoU exactly 0.5: [0, 10] against [0, 5].
    let half = region_scores(&[region(0.0, 10.0, "x")], &[region(0.0, 5.0, "x")], 0.5);
    assert_eq!(half.f1, 1.0);
    assert_eq!(half.pairs, vec![(0, 0, 0.5)]);
    let below = region_scores(&[region(0.0, 10.0, "x")], &[region(0.0, 4.9, "x")], 0.5);
    assert_eq!(below.f1, 0.0);
}

#[test]
fn precision_recall_f1() {
    let reference = [
        region(0.0, 10.0, "verse"),
        region(10.0, 20.0, "chorus"),
        region(20.0, 30.0, "verse"),
    ];
    let estimate = [region(0.5, 10.0, "verse"), region(10.0, 19.0, "chorus")];
    let s = region_scores(&reference, &estimate, 0.5);
    assert_eq!(s.precision, 1.0);
    assert!((s.recall - 2.0 / 3.0).abs() < 1e-12);
    assert!((s.f1 - 0.8).abs() < 1e-12);
    assert_eq!(s.pairs.len(), 2);
    // F1 is symmetric in the two annotators.
    assert_eq!(region_scores(&estimate, &reference, 0.5).f1, s.f1);
}

/// Best-IoU-first pairing takes e1–r1 (0.9) and leaves e2 and r2 apart (IoU 0.3); the
/// matching pairs e1–r2 (0.67) and e2–r1 (0.7).
#[test]
fn beats_best_first_greedy() {
    let reference = [region(0.0, 10.0, "g"), region(0.0, 6.0, "g")];
    let estimate = [region(0.0, 9.0, "g"), region(3.0, 10.0, "g")];
    let pairs = match_regions(&reference, &estimate, 0.5);
    assert_eq!(
        pairs.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        vec![(0, 1), (1, 0)]
    );
    assert_eq!(region_scores(&reference, &estimate, 0.5).f1, 1.0);
}

/// Overlapping regions of one label (two guitars): maximising total IoU alone would keep the
/// two perfect pairs (IoU 2.0) and leave r3 and e3 unmatched; the module's objective takes
/// the three pairs at IoU 1/3 each, so every region is matched and F1 is 1.
#[test]
fn more_pairs_win_over_more_iou() {
    let reference = [
        region(0.0, 10.0, "guitar"),
        region(5.0, 15.0, "guitar"),
        region(-5.0, 5.0, "guitar"),
    ];
    let estimate = [
        region(0.0, 10.0, "guitar"),
        region(5.0, 15.0, "guitar"),
        region(10.0, 20.0, "guitar"),
    ];
    let pairs = match_regions(&reference, &estimate, 0.3);
    assert_eq!(
        pairs.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
        vec![(0, 1), (1, 2), (2, 0)]
    );
    assert_eq!(region_scores(&reference, &estimate, 0.3).f1, 1.0);
}
