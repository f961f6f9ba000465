//! Agreement on time regions: one-to-one matching on intersection over union (IoU), then
//! precision, recall and F1 at an IoU threshold.
//!
//! The scheme is that of object detection (PASCAL VOC, M. Everingham et al., IJCV 88, 2010:
//! a detection counts when IoU ≥ 0.5 with a ground-truth object, each object matched once) in
//! one dimension, the form sound-event evaluation uses (A. Mesaros et al., "Metrics for
//! polyphonic sound event detection", Applied Sciences 6(6), 2016). Only regions with the same
//! label and IoU ≥ the threshold may pair.
//!
//! The matching is solved exactly with the Hungarian algorithm ([`super::hungarian`]), per
//! label. Its objective is *the most pairs, and among those the largest total IoU*: eligible
//! pairs weigh `C + IoU` with `C` larger than any number of pairs, so no trade of pairs for IoU
//! can win. Maximising total IoU alone can, below a threshold of 1, prefer fewer pairs (an
//! alternating chain of k pairs at IoU ≈ 1 against k + 1 pairs at the threshold), and F1 counts
//! pairs; the IoU tie-break keeps the chosen pairs the best-fitting ones. When regions of one
//! label do not overlap within an annotator and the threshold exceeds 0.5, each region has at
//! most one eligible partner and both objectives give the same pairs.
//!
//! Empty lists: both empty → precision = recall = F1 = 1 (they agree there is nothing); one
//! empty and the other not → all 0.

use std::collections::BTreeMap;

use serde::Serialize;

use super::hungarian::max_weight_assignment;
use crate::answer::Region;

/// The IoU a pair of regions needs to count as the same region (PASCAL VOC's 0.5).
pub const DEFAULT_IOU_THRESHOLD: f64 = 0.5;

/// Precision, recall and F1 of `estimate` against `reference`, with the matched pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionScores {
    /// Matched pairs / estimated regions.
    pub precision: f64,
    /// Matched pairs / reference regions.
    pub recall: f64,
    /// Harmonic mean of precision and recall (symmetric in the two lists).
    pub f1: f64,
    /// `(reference index, estimate index, IoU)` of each matched pair, by reference index.
    pub pairs: Vec<(usize, usize, f64)>,
}

/// Intersection over union of two regions' time spans. Endpoints may come in either order; a
/// non-finite endpoint gives 0, and two identical zero-length regions give 1.
pub fn iou(a: &Region, b: &Region) -> f64 {
    if ![a.start, a.end, b.start, b.end]
        .iter()
        .all(|x| x.is_finite())
    {
        return 0.0;
    }
    let (a0, a1) = (a.start.min(a.end), a.start.max(a.end));
    let (b0, b1) = (b.start.min(b.end), b.start.max(b.end));
    let inter = (a1.min(b1) - a0.max(b0)).max(0.0);
    let union = (a1 - a0) + (b1 - b0) - inter;
    if union > 0.0 {
        inter / union
    } else if a0 == b0 && a1 == b1 {
        1.0
    } else {
        0.0
    }
}

/// The one-to-one matching described in the module: same label, IoU ≥ `threshold`, most pairs
/// then largest total IoU. Returns `(reference index, estimate index, IoU)`, by reference index.
pub fn match_regions(
    reference: &[Region],
    estimate: &[Region],
    threshold: f64,
) -> Vec<(usize, usize, f64)> {
    let mut by_label: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, r) in reference.iter().enumerate() {
        by_label.entry(r.label.as_str()).or_default().0.push(i);
    }
    for (j, e) in estimate.iter().enumerate() {
        by_label.entry(e.label.as_str()).or_default().1.push(j);
    }
    let mut pairs = Vec::new();
    for (refs, ests) in by_label.values() {
        if refs.is_empty() || ests.is_empty() {
            continue;
        }
        let ious: Vec<Vec<f64>> = refs
            .iter()
            .map(|&i| {
                ests.iter()
                    .map(|&j| match (reference.get(i), estimate.get(j)) {
                        (Some(r), Some(e)) => iou(r, e),
                        _ => 0.0,
                    })
                    .collect()
            })
            .collect();
        let bonus = (refs.len().min(ests.len()) + 1) as f64;
        let weights: Vec<Vec<f64>> = ious
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&x| {
                        if x >= threshold && x > 0.0 {
                            bonus + x
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        for (ri, assigned) in max_weight_assignment(&weights).into_iter().enumerate() {
            let Some(ei) = assigned else { continue };
            let x = ious.get(ri).and_then(|r| r.get(ei)).copied().unwrap_or(0.0);
            if x >= threshold && x > 0.0 {
                if let (Some(&i), Some(&j)) = (refs.get(ri), ests.get(ei)) {
                    pairs.push((i, j, x));
                }
            }
        }
    }
    pairs.sort_by_key(|p| p.0);
    pairs
}

/// Precision, recall and F1 at `threshold` (see the module for the empty-list convention).
pub fn region_scores(reference: &[Region], estimate: &[Region], threshold: f64) -> RegionScores {
    if reference.is_empty() || estimate.is_empty() {
        let both = reference.is_empty() && estimate.is_empty();
        let s = if both { 1.0 } else { 0.0 };
        return RegionScores {
            precision: s,
            recall: s,
            f1: s,
            pairs: Vec::new(),
        };
    }
    let pairs = match_regions(reference, estimate, threshold);
    let matched = pairs.len() as f64;
    RegionScores {
        precision: matched / estimate.len() as f64,
        recall: matched / reference.len() as f64,
        f1: 2.0 * matched / (reference.len() + estimate.len()) as f64,
        pairs,
    }
}
