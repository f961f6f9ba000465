//! Properties: α's invariances, κ's symmetry, and the exact matchings against brute force.

use backbeat_annotate::agreement::hungarian::max_weight_assignment;
use backbeat_annotate::agreement::markers::max_matching;
use backbeat_annotate::agreement::regions::iou;
use backbeat_annotate::agreement::{
    alpha, alpha_with, cohen_kappa_labels, match_regions, Level, ReliabilityData,
};
use backbeat_annotate::answer::Region;
use proptest::prelude::*;

use super::regions::region;

const LEVELS: [Level; 4] = [
    Level::Nominal,
    Level::Ordinal,
    Level::Interval,
    Level::Ratio,
];

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => false,
    }
}

fn table(rows: &[Vec<Option<u8>>]) -> ReliabilityData<f64> {
    ReliabilityData::from_rows(
        rows.iter()
            .map(|r| r.iter().map(|c| c.map(f64::from)).collect())
            .collect(),
    )
    .unwrap()
}

/// Coders × units with missing cells, values 1–5.
fn reliability_rows() -> impl Strategy<Value = Vec<Vec<Option<u8>>>> {
    (2usize..5, 2usize..12).prop_flat_map(|(coders, units)| {
        prop::collection::vec(
            prop::collection::vec(prop::option::weighted(0.8, 1u8..=5), units),
            coders,
        )
    })
}

/// Maximum total weight over all partial one-to-one assignments (weights are ≥ 0).
fn brute_assignment(w: &[Vec<f64>], row: usize, used: &mut Vec<bool>) -> f64 {
    if row == w.len() {
        return 0.0;
    }
    let mut best = brute_assignment(w, row + 1, used);
    for j in 0..used.len() {
        if !used[j] {
            used[j] = true;
            best = best.max(w[row][j] + brute_assignment(w, row + 1, used));
            used[j] = false;
        }
    }
    best
}

/// (pairs, total IoU) of the best eligible matching: most pairs, then most IoU.
fn brute_regions(
    a: &[Region],
    b: &[Region],
    t: f64,
    i: usize,
    used: &mut Vec<bool>,
) -> (usize, f64) {
    if i == a.len() {
        return (0, 0.0);
    }
    let mut best = brute_regions(a, b, t, i + 1, used);
    for j in 0..b.len() {
        let x = iou(&a[i], &b[j]);
        if !used[j] && a[i].label == b[j].label && x >= t && x > 0.0 {
            used[j] = true;
            let (n, s) = brute_regions(a, b, t, i + 1, used);
            used[j] = false;
            let cand = (n + 1, s + x);
            if cand.0 > best.0 || (cand.0 == best.0 && cand.1 > best.1 + 1e-12) {
                best = cand;
            }
        }
    }
    best
}

/// Kuhn's augmenting-path maximum matching on the window graph.
fn kuhn(a: &[f64], b: &[f64], window: f64) -> usize {
    fn augment(
        u: usize,
        a: &[f64],
        b: &[f64],
        w: f64,
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for v in 0..b.len() {
            if (a[u] - b[v]).abs() <= w + 1e-9 && !seen[v] {
                seen[v] = true;
                if owner[v].is_none_or(|o| augment(o, a, b, w, seen, owner)) {
                    owner[v] = Some(u);
                    return true;
                }
            }
        }
        false
    }
    let mut owner = vec![None; b.len()];
    (0..a.len())
        .filter(|&u| augment(u, a, b, window, &mut vec![false; b.len()], &mut owner))
        .count()
}

fn regions() -> impl Strategy<Value = Vec<Region>> {
    prop::collection::vec((0u8..20, 1u8..10, prop::bool::ANY), 0..5).prop_map(|v| {
        v.into_iter()
            .map(|(s, len, l)| {
                region(
                    f64::from(s),
                    f64::from(s) + f64::from(len),
                    if l { "a" } else { "b" },
                )
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn alpha_is_one_for_identical_coders(
        units in prop::collection::vec(1u8..=5, 2..15),
        coders in 2usize..5,
    ) {
        prop_assume!(units.iter().any(|&u| u != units[0]));
        let row: Vec<Option<u8>> = units.iter().map(|&u| Some(u)).collect();
        let data = table(&vec![row; coders]);
        for level in LEVELS {
            let a = alpha(&data, level).unwrap().alpha;
            prop_assert!((a - 1.0).abs() < 1e-12, "{:?} {}", level, a);
        }
    }

    #[test]
    fn alpha_ignores_coder_and_unit_order(
        rows in reliability_rows(),
        unit_seed in any::<u64>(),
    ) {
        let units = rows[0].len();
        // A permutation of the units from the seed (Fisher–Yates with a xorshift).
        let mut order: Vec<usize> = (0..units).collect();
        let mut s = unit_seed | 1;
        for i in (1..units).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut shuffled: Vec<Vec<Option<u8>>> = rows
            .iter()
            .map(|r| order.iter().map(|&u| r[u]).collect())
            .collect();
        shuffled.reverse();
        shuffled.rotate_left(1);
        let (a, b) = (table(&rows), table(&shuffled));
        for level in LEVELS {
            let x = alpha(&a, level).map(|r| r.alpha);
            let y = alpha(&b, level).map(|r| r.alpha);
            prop_assert!(same(x, y), "{:?}: {:?} vs {:?}", level, x, y);
        }
    }

    /// The closed forms of D_e (nominal, ordinal via mid-ranks, interval) equal the paper's
    /// pair sums, here evaluated the slow way through `alpha_with`.
    #[test]
    fn closed_forms_equal_pair_sums(rows in reliability_rows(), shift in 0.0f64..1e6) {
        let data = table(&rows);
        let n_g = |v: f64| -> f64 {
            (0..data.units())
                .filter(|&u| data.unit_values(u).count() >= 2)
                .flat_map(|u| data.unit_values(u))
                .filter(|&&x| x == v)
                .count() as f64
        };
        let ordinal = |a: &f64, b: &f64| {
            let (lo, hi) = if a <= b { (*a, *b) } else { (*b, *a) };
            let between: f64 = (1..=5).map(f64::from).filter(|g| *g >= lo && *g <= hi).map(n_g).sum();
            (between - (n_g(lo) + n_g(hi)) / 2.0).powi(2)
        };
        let pairs = [
            (Level::Nominal, alpha_with(&data, |a, b| f64::from(u8::from(a != b)))),
            (Level::Interval, alpha_with(&data, |a, b| (a - b).powi(2))),
            (Level::Ordinal, alpha_with(&data, ordinal)),
            (Level::Ratio, alpha_with(&data, |a, b| ((a - b) / (a + b)).powi(2))),
        ];
        for (level, slow) in pairs {
            let fast = alpha(&data, level).map(|r| r.alpha);
            prop_assert!(same(fast, slow.map(|r| r.alpha)), "{:?}: {:?} vs {:?}", level, fast, slow);
        }
        // Interval α does not depend on where the scale starts.
        let shifted = data.filter_map(|x| Some(x + shift));
        let a = alpha(&data, Level::Interval).map(|r| r.alpha);
        let b = alpha(&shifted, Level::Interval).map(|r| r.alpha);
        prop_assert!(match (a, b) { (Some(x), Some(y)) => (x - y).abs() < 1e-6, (x, y) => x == y }, "{:?} vs {:?}", a, b);
    }

    #[test]
    fn cohen_kappa_is_symmetric(
        pairs in prop::collection::vec((0u8..4, 0u8..4), 1..40),
    ) {
        let (a, b): (Vec<u8>, Vec<u8>) = pairs.into_iter().unzip();
        let x = cohen_kappa_labels(&a, &b).ok();
        let y = cohen_kappa_labels(&b, &a).ok();
        prop_assert!(same(x, y), "{:?} vs {:?}", x, y);
    }

    #[test]
    fn hungarian_equals_brute_force(
        weights in (1usize..7, 1usize..7).prop_flat_map(|(r, c)| {
            prop::collection::vec(prop::collection::vec(0.0f64..1.0, c), r)
        }),
    ) {
        let assignment = max_weight_assignment(&weights);
        let cols = weights[0].len();
        let mut seen = vec![false; cols];
        let mut total = 0.0;
        for (i, a) in assignment.iter().enumerate() {
            if let Some(j) = *a {
                prop_assert!(!seen[j], "column {} used twice", j);
                seen[j] = true;
                total += weights[i][j];
            }
        }
        let assigned = assignment.iter().filter(|a| a.is_some()).count();
        prop_assert_eq!(assigned, weights.len().min(cols));
        let best = brute_assignment(&weights, 0, &mut vec![false; cols]);
        prop_assert!((total - best).abs() < 1e-9, "{} vs {}", total, best);
    }

    #[test]
    fn region_matching_equals_brute_force(a in regions(), b in regions(), t in 0.2f64..0.8) {
        let pairs = match_regions(&a, &b, t);
        let total: f64 = pairs.iter().map(|p| p.2).sum();
        let (n, best) = brute_regions(&a, &b, t, 0, &mut vec![false; b.len()]);
        prop_assert_eq!(pairs.len(), n);
        prop_assert!((total - best).abs() < 1e-9, "{} vs {}", total, best);
        for &(i, j, x) in &pairs {
            prop_assert_eq!(&a[i].label, &b[j].label);
            prop_assert!(x >= t);
        }
    }

    #[test]
    fn marker_matching_equals_augmenting_paths(
        a in prop::collection::vec(0u16..100, 0..12),
        b in prop::collection::vec(0u16..100, 0..12),
    ) {
        let sorted = |v: Vec<u16>| {
            let mut t: Vec<f64> = v.into_iter().map(|x| f64::from(x) * 0.01).collect();
            t.sort_by(f64::total_cmp);
            t
        };
        let (a, b) = (sorted(a), sorted(b));
        prop_assert_eq!(max_matching(&a, &b, 0.07), kuhn(&a, &b, 0.07));
        prop_assert_eq!(max_matching(&b, &a, 0.07), max_matching(&a, &b, 0.07));
    }
}
