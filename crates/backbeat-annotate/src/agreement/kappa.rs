//! Cohen's and Fleiss' κ: chance-corrected agreement on nominal labels.
//!
//! - Cohen's κ (J. Cohen, "A coefficient of agreement for nominal scales", Educational and
//!   Psychological Measurement 20(1), 1960): two coders, every unit coded by both;
//!   `κ = (p_o − p_e)/(1 − p_e)` with `p_o` the diagonal share of the confusion matrix and
//!   `p_e = Σ_c (row_c/N)(col_c/N)` from each coder's own marginals. Used per annotator pair,
//!   where the coders are known; α's pooled marginals would hide one annotator's bias.
//! - Fleiss' κ (J. L. Fleiss, "Measuring nominal scale agreement among many raters",
//!   Psychological Bulletin 76(5), 1971): N units × k categories of counts, each unit rated by
//!   the same number `n ≥ 2` of (not necessarily the same) raters;
//!   `P_i = (Σ_j n_ij² − n)/(n(n − 1))`, `P̄ = mean P_i`, `p_j = Σ_i n_ij/(N n)`,
//!   `P̄_e = Σ_j p_j²`, `κ = (P̄ − P̄_e)/(1 − P̄_e)`.
//!
//! Both are undefined (0/0) when chance agreement is total — every label in one category —
//! which is reported as [`AgreementError::Undefined`] rather than NaN.

use std::collections::BTreeMap;

use super::AgreementError;

/// Cohen's κ from a square confusion matrix (`matrix[i][j]`: units coder A put in category `i`
/// and coder B in `j`).
pub fn cohen_kappa(matrix: &[Vec<u64>]) -> Result<f64, AgreementError> {
    let k = matrix.len();
    if k == 0 {
        return Err(AgreementError::Empty);
    }
    if let Some(row) = matrix.iter().find(|r| r.len() != k) {
        return Err(AgreementError::NotSquare {
            rows: k,
            cols: row.len(),
        });
    }
    let total: f64 = matrix.iter().flatten().map(|&c| c as f64).sum();
    if total == 0.0 {
        return Err(AgreementError::Empty);
    }
    let mut diagonal = 0.0;
    let mut rows = vec![0.0; k];
    let mut cols = vec![0.0; k];
    for (i, row) in matrix.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            let c = c as f64;
            if i == j {
                diagonal += c;
            }
            if let Some(r) = rows.get_mut(i) {
                *r += c;
            }
            if let Some(col) = cols.get_mut(j) {
                *col += c;
            }
        }
    }
    let observed = diagonal / total;
    let chance: f64 = rows
        .iter()
        .zip(&cols)
        .map(|(r, c)| (r / total) * (c / total))
        .sum();
    kappa(observed, chance)
}

/// Cohen's κ from two coders' labels of the same units, in the same order.
pub fn cohen_kappa_labels<T: PartialEq>(a: &[T], b: &[T]) -> Result<f64, AgreementError> {
    if a.len() != b.len() {
        return Err(AgreementError::LengthMismatch(a.len(), b.len()));
    }
    let mut categories: Vec<&T> = Vec::new();
    for v in a.iter().chain(b) {
        if !categories.contains(&v) {
            categories.push(v);
        }
    }
    let index = |v: &T| categories.iter().position(|c| *c == v).unwrap_or(0);
    let mut matrix = vec![vec![0u64; categories.len()]; categories.len()];
    for (x, y) in a.iter().zip(b) {
        if let Some(cell) = matrix.get_mut(index(x)).and_then(|r| r.get_mut(index(y))) {
            *cell += 1;
        }
    }
    cohen_kappa(&matrix)
}

/// Fleiss' κ from a units × categories table of counts (`table[i][j]`: raters who put unit `i`
/// in category `j`); every unit must have the same number of ratings, at least 2.
pub fn fleiss_kappa(table: &[Vec<u64>]) -> Result<f64, AgreementError> {
    let first = table.first().ok_or(AgreementError::Empty)?;
    let k = first.len();
    let n: u64 = first.iter().sum();
    for (unit, row) in table.iter().enumerate() {
        if row.len() != k {
            return Err(AgreementError::Ragged {
                row: unit,
                found: row.len(),
                expected: k,
            });
        }
        let found: u64 = row.iter().sum();
        if found != n || n < 2 {
            return Err(AgreementError::UnequalRaters {
                unit,
                found,
                expected: n,
            });
        }
    }
    let units = table.len() as f64;
    let nf = n as f64;
    let mut p_bar = 0.0;
    let mut p_j = vec![0.0; k];
    for row in table {
        let squares: f64 = row.iter().map(|&c| (c as f64) * (c as f64)).sum();
        p_bar += (squares - nf) / (nf * (nf - 1.0));
        for (p, &c) in p_j.iter_mut().zip(row) {
            *p += c as f64;
        }
    }
    p_bar /= units;
    let chance: f64 = p_j.iter().map(|&c| (c / (units * nf)).powi(2)).sum();
    kappa(p_bar, chance)
}

/// Fleiss' κ from each unit's labels (any number of distinct labels, counted sparsely: a table
/// of units × categories could be huge where most cells are 0). Every unit needs the same
/// number of labels, at least 2.
pub fn fleiss_kappa_labels<T: Ord>(units: &[Vec<T>]) -> Result<f64, AgreementError> {
    let first = units.first().ok_or(AgreementError::Empty)?;
    let n = first.len() as u64;
    let mut totals: BTreeMap<&T, f64> = BTreeMap::new();
    let mut p_bar = 0.0;
    let nf = n as f64;
    for (unit, labels) in units.iter().enumerate() {
        if labels.len() as u64 != n || n < 2 {
            return Err(AgreementError::UnequalRaters {
                unit,
                found: labels.len() as u64,
                expected: n,
            });
        }
        let mut counts: BTreeMap<&T, f64> = BTreeMap::new();
        for l in labels {
            *counts.entry(l).or_default() += 1.0;
            *totals.entry(l).or_default() += 1.0;
        }
        let squares: f64 = counts.values().map(|c| c * c).sum();
        p_bar += (squares - nf) / (nf * (nf - 1.0));
    }
    let all = units.len() as f64 * nf;
    p_bar /= units.len() as f64;
    let chance: f64 = totals.values().map(|&c| (c / all).powi(2)).sum();
    kappa(p_bar, chance)
}

fn kappa(observed: f64, chance: f64) -> Result<f64, AgreementError> {
    // Chance agreement of 1 (up to rounding) leaves nothing to correct for.
    if 1.0 - chance <= 1e-12 {
        return Err(AgreementError::Undefined);
    }
    Ok((observed - chance) / (1.0 - chance))
}
