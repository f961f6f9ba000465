//! The Hungarian algorithm (Kuhn–Munkres) for a maximum-weight assignment, O(n² m).
//!
//! H. W. Kuhn, "The Hungarian method for the assignment problem", Naval Research Logistics
//! Quarterly 2, 1955; J. Munkres, "Algorithms for the assignment and transportation problems",
//! J. SIAM 5(1), 1957. This is the shortest-augmenting-path form with row and column
//! potentials (as in Jonker & Volgenant 1987 and the e-maxx notes): one Dijkstra-like pass per
//! row, each O(n m), so O(n² m) ≤ O(n³) for an n × m matrix with n ≤ m. A wider-than-tall
//! matrix is solved transposed.
//!
//! Why not a greedy pairing: taking the best pair first can block two good pairs with one
//! slightly better one; region agreement must not depend on which pair was looked at first.

/// A maximum-weight assignment: for each row, the column it is assigned to. With at least as
/// many columns as rows every row gets one; otherwise every column is used and the leftover
/// rows get `None`. Non-finite weights count as 0.
pub fn max_weight_assignment(weights: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = weights.len();
    let cols = weights.iter().map(Vec::len).max().unwrap_or(0);
    let w = |i: usize, j: usize| {
        weights
            .get(i)
            .and_then(|r| r.get(j))
            .copied()
            .filter(|x| x.is_finite())
            .unwrap_or(0.0)
    };
    if rows == 0 || cols == 0 {
        return vec![None; rows];
    }
    if rows <= cols {
        let cost: Vec<Vec<f64>> = (0..rows)
            .map(|i| (0..cols).map(|j| -w(i, j)).collect())
            .collect();
        min_cost_rows(&cost, cols)
    } else {
        let cost: Vec<Vec<f64>> = (0..cols)
            .map(|j| (0..rows).map(|i| -w(i, j)).collect())
            .collect();
        let by_col = min_cost_rows(&cost, rows);
        let mut by_row = vec![None; rows];
        for (j, i) in by_col.into_iter().enumerate() {
            if let Some(slot) = i.and_then(|i| by_row.get_mut(i)) {
                *slot = Some(j);
            }
        }
        by_row
    }
}

/// Minimum-cost assignment of every row of `cost` (n rows, `m ≥ n` columns) to a distinct
/// column. Indexes are 1-based inside, 0 being the virtual start column.
fn min_cost_rows(cost: &[Vec<f64>], m: usize) -> Vec<Option<usize>> {
    let n = cost.len();
    let a = |i: usize, j: usize| {
        cost.get(i - 1)
            .and_then(|r| r.get(j - 1))
            .copied()
            .unwrap_or(0.0)
    };
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    // p[j]: the row (1-based) holding column j; way[j]: the previous column on the path.
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        let mut augmented = false;
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if !used[j] {
                    let cur = a(i0, j) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            if j1 == 0 {
                // Unreachable with finite costs and m ≥ n; stop rather than loop.
                break;
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                augmented = true;
                break;
            }
        }
        // Flip the augmenting path back to the start column.
        while augmented && j0 != 0 {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        }
    }
    let mut assignment = vec![None; n];
    for (j, &i) in p.iter().enumerate().skip(1) {
        if i > 0 {
            if let Some(slot) = assignment.get_mut(i - 1) {
                *slot = Some(j - 1);
            }
        }
    }
    assignment
}
