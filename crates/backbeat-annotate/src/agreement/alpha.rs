//! Krippendorff's α, through the coincidence matrix.
//!
//! Source: K. Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011, University of
//! Pennsylvania, <https://repository.upenn.edu/asc_papers/43>), §C and §E. For reliability data
//! with missing values:
//!
//! - a unit coded by `m_u ≥ 2` coders contributes each ordered pair of its values `(c, k)`
//!   (from different coders) with weight `1/(m_u − 1)` to the coincidence matrix `o_ck`; units
//!   with one value are not pairable and drop out;
//! - `n_c = Σ_k o_ck` and `n = Σ_c n_c` (the number of pairable values);
//! - observed disagreement `D_o = (1/n) Σ_c Σ_k o_ck δ²_ck`, expected disagreement
//!   `D_e = 1/(n(n−1)) Σ_c Σ_k n_c n_k δ²_ck`, and `α = 1 − D_o/D_e`.
//!
//! The difference functions δ² of §E: nominal (0 if equal, else 1), ordinal
//! `(Σ_{g=c..k} n_g − (n_c + n_k)/2)²` over the ranks of the values present, interval `(c − k)²`,
//! ratio `((c − k)/(c + k))²`. Any other distance (tempo, key, tag sets) enters as δ² itself —
//! the "pairable values" reading of the same formulas (Krippendorff 2011 §C; Passonneau 2006
//! uses it with MASI): `D_o` averages δ over the pairs inside units, `D_e` over all pairs of
//! pairable values. Expected pairs are counted as `n_c (n_k − [c = k])`, which equals the paper's
//! `n_c n_k` whenever δ(c, c) = 0 and stays exact for a δ that is not zero on equal values.
//!
//! Cost. `D_o` is O(Σ m_u²). For `D_e` the nominal, ordinal and interval levels use closed
//! forms, O(d) over the `d` distinct pairable values after an O(n log n) sort: nominal
//! `Σ_{c≠k} n_c n_k = n² − Σ n_c²`; interval `Σ n_c n_k (c − k)² = 2(n Σ n_c c² − (Σ n_c c)²)`;
//! and ordinal is the interval form over "mid-ranks" `r_c = Σ_{g<c} n_g + n_c/2`, because
//! `Σ_{g=c..k} n_g − (n_c + n_k)/2 = r_k − r_c`. The ratio level and a custom δ evaluate δ for
//! every pair of distinct values, O(d²) (a rating scale, 24 keys, a few hundred tag sets are
//! cheap; a caller with unbounded distinct values bounds them, as the CLI does), and
//! [`alpha_with`] finds distinct values by `PartialEq`, O(n d).

use serde::{Deserialize, Serialize};

use super::reliability::ReliabilityData;

/// Krippendorff's levels of measurement (the metric δ² of §E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Categories: equal or not.
    Nominal,
    /// Ranks: a difference weighs how many values lie between.
    Ordinal,
    /// Squared difference.
    Interval,
    /// Squared difference relative to the sum (for non-negative values with a true zero).
    Ratio,
}

/// The result of α with its parts, so a report can show what it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alpha {
    /// `1 − D_o/D_e`: 1 perfect agreement, 0 chance, negative systematic disagreement.
    pub alpha: f64,
    /// Observed disagreement `D_o`.
    pub observed: f64,
    /// Expected disagreement `D_e`.
    pub expected: f64,
    /// `n`: the number of pairable values.
    pub pairable: usize,
}

/// α of numeric data at a level of measurement. Non-finite values count as missing.
///
/// `None` when fewer than two values are pairable or when `D_e = 0` (every pairable value is
/// the same: there is no variation for coders to agree on, and α is 0/0).
pub fn alpha(data: &ReliabilityData<f64>, level: Level) -> Option<Alpha> {
    let mut distinct: Vec<f64> = Vec::new();
    for u in 0..data.units() {
        if data.unit_values(u).filter(|v| v.is_finite()).count() >= 2 {
            distinct.extend(data.unit_values(u).copied().filter(|v| v.is_finite()));
        }
    }
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let index = |v: &f64| distinct.binary_search_by(|d| d.total_cmp(v)).ok();
    let units = pairable_units(data, |v| if v.is_finite() { index(v) } else { None });
    let n_c = marginals(&units, distinct.len());
    if n_c.len() < 2 {
        // One distinct value: D_e is 0 exactly (the closed forms could leave rounding dust).
        return None;
    }
    let value = |i: usize| distinct.get(i).copied().unwrap_or(0.0);
    match level {
        Level::Nominal => {
            let n: f64 = n_c.iter().sum();
            let expected = n * n - n_c.iter().map(|x| x * x).sum::<f64>();
            finish(&units, |c, k| f64::from(u8::from(c != k)), expected)
        }
        Level::Interval => {
            let expected = squared_spread(&n_c, value);
            finish(&units, |c, k| (value(c) - value(k)).powi(2), expected)
        }
        Level::Ordinal => {
            let mut ranks = Vec::with_capacity(n_c.len());
            let mut before = 0.0;
            for &n in &n_c {
                ranks.push(before + n / 2.0);
                before += n;
            }
            let rank = |i: usize| ranks.get(i).copied().unwrap_or(0.0);
            let expected = squared_spread(&n_c, rank);
            finish(&units, |c, k| (rank(c) - rank(k)).powi(2), expected)
        }
        Level::Ratio => {
            let delta = |c: usize, k: usize| {
                let (a, b) = (value(c), value(k));
                let sum = a + b;
                // 0/0 for two zeros; a zero sum of unequal values (negative data, outside the
                // ratio level's domain) counts as the largest difference rather than infinity.
                if sum == 0.0 {
                    f64::from(u8::from(a != b))
                } else {
                    ((a - b) / sum).powi(2)
                }
            };
            let expected = expected_pairs(&n_c, delta);
            finish(&units, delta, expected)
        }
    }
}

/// α for any values and any difference function `delta` (used as δ², in the pairable-values
/// form). Equal values (`PartialEq`) share a row of the coincidence matrix.
///
/// `None` when fewer than two values are pairable or `D_e = 0`.
pub fn alpha_with<T: PartialEq>(
    data: &ReliabilityData<T>,
    delta: impl Fn(&T, &T) -> f64,
) -> Option<Alpha> {
    let mut distinct: Vec<&T> = Vec::new();
    for u in 0..data.units() {
        if data.unit_values(u).count() >= 2 {
            for v in data.unit_values(u) {
                if !distinct.contains(&v) {
                    distinct.push(v);
                }
            }
        }
    }
    let units = pairable_units(data, |v| distinct.iter().position(|d| *d == v));
    let n_c = marginals(&units, distinct.len());
    let delta = |c: usize, k: usize| match (distinct.get(c), distinct.get(k)) {
        (Some(a), Some(b)) => delta(a, b),
        _ => 0.0,
    };
    let expected = expected_pairs(&n_c, delta);
    finish(&units, delta, expected)
}

/// The units with at least two values, each as indexes into the distinct values.
fn pairable_units<T>(
    data: &ReliabilityData<T>,
    index: impl Fn(&T) -> Option<usize>,
) -> Vec<Vec<usize>> {
    (0..data.units())
        .map(|u| data.unit_values(u).filter_map(&index).collect::<Vec<_>>())
        .filter(|values| values.len() >= 2)
        .collect()
}

/// `n_c`: how often each distinct value occurs among the pairable values (the row sums of the
/// coincidence matrix: a unit's `m_u` values each pair with `m_u − 1` others at `1/(m_u − 1)`).
fn marginals(units: &[Vec<usize>], distinct: usize) -> Vec<f64> {
    let mut n_c = vec![0.0; distinct];
    for &i in units.iter().flatten() {
        if let Some(n) = n_c.get_mut(i) {
            *n += 1.0;
        }
    }
    n_c
}

/// `Σ_c Σ_k n_c (n_k − [c = k]) δ(c, k)`: every ordered pair of distinct pairable values.
fn expected_pairs(n_c: &[f64], delta: impl Fn(usize, usize) -> f64) -> f64 {
    let mut sum = 0.0;
    for (c, &nc) in n_c.iter().enumerate() {
        for (k, &nk) in n_c.iter().enumerate() {
            let pairs = if c == k { nc * (nk - 1.0) } else { nc * nk };
            if pairs > 0.0 {
                sum += pairs * delta(c, k);
            }
        }
    }
    sum
}

/// `Σ_c Σ_k n_c n_k (x_c − x_k)² = 2(n Σ n_c x_c² − (Σ n_c x_c)²)`, computed about the mean
/// so that large values do not cancel catastrophically.
fn squared_spread(n_c: &[f64], x: impl Fn(usize) -> f64) -> f64 {
    let n: f64 = n_c.iter().sum();
    if n == 0.0 {
        return 0.0;
    }
    let mean = n_c.iter().enumerate().map(|(i, c)| c * x(i)).sum::<f64>() / n;
    let centred: f64 = n_c
        .iter()
        .enumerate()
        .map(|(i, c)| c * (x(i) - mean).powi(2))
        .sum();
    2.0 * n * centred
}

/// `α = 1 − D_o/D_e` from the pairable units, δ, and the expected-pairs sum.
fn finish(
    units: &[Vec<usize>],
    delta: impl Fn(usize, usize) -> f64,
    expected_sum: f64,
) -> Option<Alpha> {
    let pairable: usize = units.iter().map(Vec::len).sum();
    if pairable < 2 {
        return None;
    }
    let n = pairable as f64;
    let mut observed = 0.0;
    for values in units {
        let mut sum = 0.0;
        for (i, &c) in values.iter().enumerate() {
            for (j, &k) in values.iter().enumerate() {
                if i != j {
                    sum += delta(c, k);
                }
            }
        }
        observed += sum / (values.len() - 1) as f64;
    }
    observed /= n;
    let expected = expected_sum / (n * (n - 1.0));
    if expected <= 0.0 || !expected.is_finite() || !observed.is_finite() {
        return None;
    }
    Some(Alpha {
        alpha: 1.0 - observed / expected,
        observed,
        expected,
        pairable,
    })
}
