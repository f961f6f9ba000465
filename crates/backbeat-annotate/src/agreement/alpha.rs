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
//! Cost: O(Σ m_u²) for `D_o` plus O(d²) distance evaluations for `D_e`, where `d` is the number
//! of *distinct* pairable values (a rating scale, 24 keys, a few hundred tag sets).

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
    match level {
        Level::Nominal => core(&units, &n_c, |c, k| f64::from(u8::from(c != k))),
        Level::Interval => core(&units, &n_c, |c, k| {
            let d = value(&distinct, c) - value(&distinct, k);
            d * d
        }),
        Level::Ratio => core(&units, &n_c, |c, k| {
            let (a, b) = (value(&distinct, c), value(&distinct, k));
            let sum = a + b;
            if sum == 0.0 {
                f64::from(u8::from(a != b))
            } else {
                let r = (a - b) / sum;
                r * r
            }
        }),
        Level::Ordinal => {
            // cum[i] = Σ_{g < i} n_g over the sorted distinct values.
            let mut cum = Vec::with_capacity(n_c.len() + 1);
            cum.push(0.0);
            let mut acc = 0.0;
            for &n in &n_c {
                acc += n;
                cum.push(acc);
            }
            let at = |i: usize| cum.get(i).copied().unwrap_or(0.0);
            let n_at = |i: usize| n_c.get(i).copied().unwrap_or(0.0);
            core(&units, &n_c, |c, k| {
                let (lo, hi) = if c <= k { (c, k) } else { (k, c) };
                let d = at(hi + 1) - at(lo) - (n_at(lo) + n_at(hi)) / 2.0;
                d * d
            })
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
    // Each distinct pair once: the distance may be costly (MASI builds set intersections).
    let d = distinct.len();
    let mut table = vec![0.0; d * d];
    for (c, a) in distinct.iter().enumerate() {
        for (k, b) in distinct.iter().enumerate() {
            if let Some(cell) = table.get_mut(c * d + k) {
                *cell = delta(a, b);
            }
        }
    }
    core(&units, &n_c, |c, k| {
        table.get(c * d + k).copied().unwrap_or(0.0)
    })
}

fn value(distinct: &[f64], i: usize) -> f64 {
    distinct.get(i).copied().unwrap_or(0.0)
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

fn core(units: &[Vec<usize>], n_c: &[f64], delta: impl Fn(usize, usize) -> f64) -> Option<Alpha> {
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
    let mut expected = 0.0;
    for (c, &nc) in n_c.iter().enumerate() {
        for (k, &nk) in n_c.iter().enumerate() {
            let pairs = if c == k { nc * (nk - 1.0) } else { nc * nk };
            expected += pairs * delta(c, k);
        }
    }
    expected /= n * (n - 1.0);
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
