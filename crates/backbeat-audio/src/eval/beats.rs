//! Beat-tracking F-measure, exactly as `mir_eval.beat.f_measure`.
//!
//! mir_eval (Raffel et al., "mir_eval: A Transparent Implementation of Common MIR Metrics",
//! ISMIR 2014; `mir_eval.beat.f_measure` and `mir_eval.util.match_events`) counts an estimated
//! beat as correct when it can be paired one-to-one with an annotated beat at most 70 ms away,
//! using a *maximum* bipartite matching of the "within the window" graph (Hopcroft–Karp), not a
//! greedy nearest-first pairing, then F = 2PR/(P+R). No beats are trimmed here (the project's
//! clips are short; mir_eval's `trim_beats` is a separate, optional step).

use std::collections::VecDeque;

/// The ±tolerance (seconds) within which an estimated beat matches an annotated one.
pub const BEAT_WINDOW_SECS: f64 = 0.07;

/// F-measure of `estimate` against `reference` with a ±`window` tolerance, as mir_eval.
///
/// Like mir_eval: 0 when either list is empty, and 0 when nothing matches. Non-finite times are
/// dropped and the lists sorted first (mir_eval would reject them; a metric must not panic).
pub fn beat_f_measure(reference: &[f64], estimate: &[f64], window: f64) -> f64 {
    let reference = clean(reference);
    let estimate = clean(estimate);
    if reference.is_empty() || estimate.is_empty() {
        return 0.0;
    }
    let matched = max_matching(&reference, &estimate, window) as f64;
    let precision = matched / estimate.len() as f64;
    let recall = matched / reference.len() as f64;
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

fn clean(times: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = times.iter().copied().filter(|t| t.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Size of a maximum one-to-one matching between two sorted time lists, pairing `r` and `e`
/// when `r - window <= e <= r + window` (inclusive, as mir_eval's `_fast_hit_windows`).
///
/// Hopcroft–Karp over the window graph. Because both lists are sorted, the neighbours of each
/// reference beat are a contiguous range of estimates, so the graph is stored as ranges (O(n)
/// memory whatever the density).
pub fn max_matching(reference: &[f64], estimate: &[f64], window: f64) -> usize {
    let ranges: Vec<(usize, usize)> = reference
        .iter()
        .map(|&r| {
            let lo = estimate.partition_point(|&e| e < r - window);
            let hi = estimate.partition_point(|&e| e <= r + window);
            (lo, hi.max(lo))
        })
        .collect();
    HopcroftKarp::new(&ranges, estimate.len()).run()
}

const FREE: usize = usize::MAX;

/// Hopcroft–Karp state: left side = reference beats, right side = estimated beats.
struct HopcroftKarp<'a> {
    adj: &'a [(usize, usize)],
    match_left: Vec<usize>,
    match_right: Vec<usize>,
    dist: Vec<usize>,
}

impl<'a> HopcroftKarp<'a> {
    fn new(adj: &'a [(usize, usize)], n_right: usize) -> Self {
        HopcroftKarp {
            adj,
            match_left: vec![FREE; adj.len()],
            match_right: vec![FREE; n_right],
            dist: vec![usize::MAX; adj.len()],
        }
    }

    fn run(mut self) -> usize {
        let mut size = 0;
        while self.bfs() {
            for u in 0..self.adj.len() {
                if self.match_left.get(u) == Some(&FREE) && self.dfs(u) {
                    size += 1;
                }
            }
        }
        size
    }

    /// Layer the free left vertices and what they reach; true when a free right vertex is found.
    fn bfs(&mut self) -> bool {
        let mut queue = VecDeque::new();
        for (u, d) in self.dist.iter_mut().enumerate() {
            if self.match_left.get(u) == Some(&FREE) {
                *d = 0;
                queue.push_back(u);
            } else {
                *d = usize::MAX;
            }
        }
        let mut found = false;
        while let Some(u) = queue.pop_front() {
            let (lo, hi) = self.adj.get(u).copied().unwrap_or((0, 0));
            let du = self.dist.get(u).copied().unwrap_or(usize::MAX);
            for v in lo..hi {
                match self.match_right.get(v).copied() {
                    Some(FREE) => found = true,
                    Some(w) => {
                        if let Some(dw) = self.dist.get_mut(w) {
                            if *dw == usize::MAX {
                                *dw = du + 1;
                                queue.push_back(w);
                            }
                        }
                    }
                    None => {}
                }
            }
        }
        found
    }

    /// Augment along a shortest path from free left vertex `u`, with an explicit stack so that
    /// thousands of beats cannot overflow the call stack.
    fn dfs(&mut self, root: usize) -> bool {
        // Each frame: (left vertex, next right vertex to try).
        let mut stack: Vec<(usize, usize)> = vec![(root, self.adj.get(root).map_or(0, |r| r.0))];
        while let Some(&(u, next)) = stack.last() {
            let (_, hi) = self.adj.get(u).copied().unwrap_or((0, 0));
            if next >= hi {
                // Dead end: remove u from this phase's layered graph.
                if let Some(d) = self.dist.get_mut(u) {
                    *d = usize::MAX;
                }
                stack.pop();
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 = next + 1;
            }
            let du = self.dist.get(u).copied().unwrap_or(usize::MAX);
            match self.match_right.get(next).copied() {
                Some(FREE) => {
                    // Flip the path: each left vertex on the stack takes the right vertex it tried.
                    let mut v = next;
                    while let Some((u, _)) = stack.pop() {
                        let previous = self.match_left.get(u).copied().unwrap_or(FREE);
                        if let Some(slot) = self.match_left.get_mut(u) {
                            *slot = v;
                        }
                        if let Some(slot) = self.match_right.get_mut(v) {
                            *slot = u;
                        }
                        v = previous;
                    }
                    return true;
                }
                Some(w) if self.dist.get(w).copied() == Some(du.saturating_add(1)) => {
                    let start = self.adj.get(w).map_or(0, |r| r.0);
                    stack.push((w, start));
                }
                _ => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_offset_beats() {
        let reference: Vec<f64> = (0..10).map(|i| f64::from(i) * 0.5).collect();
        assert_eq!(
            beat_f_measure(&reference, &reference, BEAT_WINDOW_SECS),
            1.0
        );
        // 60 ms late: all inside the window.
        let late: Vec<f64> = reference.iter().map(|t| t + 0.06).collect();
        assert_eq!(beat_f_measure(&reference, &late, BEAT_WINDOW_SECS), 1.0);
        // 80 ms late: none inside.
        let later: Vec<f64> = reference.iter().map(|t| t + 0.08).collect();
        assert_eq!(beat_f_measure(&reference, &later, BEAT_WINDOW_SECS), 0.0);
    }

    #[test]
    fn hand_computed_precision_recall() {
        // 4 annotations, 5 estimates, 3 matches: P = 3/5, R = 3/4, F = 2PR/(P+R) = 2/3.
        let reference = [1.0, 2.0, 3.0, 4.0];
        let estimate = [1.02, 1.5, 2.95, 3.5, 4.05];
        let f = beat_f_measure(&reference, &estimate, BEAT_WINDOW_SECS);
        assert!((f - 2.0 / 3.0).abs() < 1e-12, "{f}");
    }

    #[test]
    fn one_to_one_doubled_estimates_count_once() {
        // Two estimates around one annotation: one match, P = 1/2, R = 1, F = 2/3.
        let f = beat_f_measure(&[1.0], &[0.97, 1.03], BEAT_WINDOW_SECS);
        assert!((f - 2.0 / 3.0).abs() < 1e-12, "{f}");
    }

    /// Nearest-pair-first greedy pairing, only to show it can be worse than the optimum.
    fn greedy_nearest(reference: &[f64], estimate: &[f64], window: f64) -> usize {
        let mut pairs = Vec::new();
        for (i, r) in reference.iter().enumerate() {
            for (j, e) in estimate.iter().enumerate() {
                if (r - e).abs() <= window {
                    pairs.push(((r - e).abs(), i, j));
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut used_r, mut used_e) = (vec![false; reference.len()], vec![false; estimate.len()]);
        let mut n = 0;
        for (_, i, j) in pairs {
            if !used_r[i] && !used_e[j] {
                used_r[i] = true;
                used_e[j] = true;
                n += 1;
            }
        }
        n
    }

    #[test]
    fn optimal_matching_beats_greedy() {
        // r1-e0 is the closest pair (40 ms); taking it strands r0 and e1. The optimum pairs
        // r0-e0 (60 ms) and r1-e1 (65 ms): F = 1, while greedy would give F = 0.5.
        let reference = [1.0, 1.1];
        let estimate = [1.06, 1.165];
        assert_eq!(greedy_nearest(&reference, &estimate, BEAT_WINDOW_SECS), 1);
        assert_eq!(max_matching(&reference, &estimate, BEAT_WINDOW_SECS), 2);
        assert_eq!(beat_f_measure(&reference, &estimate, BEAT_WINDOW_SECS), 1.0);
    }

    #[test]
    fn empty_and_non_finite_inputs() {
        assert_eq!(beat_f_measure(&[], &[1.0], BEAT_WINDOW_SECS), 0.0);
        assert_eq!(beat_f_measure(&[1.0], &[], BEAT_WINDOW_SECS), 0.0);
        let f = beat_f_measure(&[1.0, f64::NAN], &[f64::INFINITY, 1.0], BEAT_WINDOW_SECS);
        assert_eq!(f, 1.0);
    }

    #[test]
    fn dense_graph_needs_augmenting_paths() {
        // Every estimate is within the window of every annotation: the matching is min(n, m).
        let reference: Vec<f64> = (0..50).map(|i| 1.0 + f64::from(i) * 0.001).collect();
        let estimate: Vec<f64> = (0..40).map(|i| 1.0005 + f64::from(i) * 0.001).collect();
        assert_eq!(max_matching(&reference, &estimate, BEAT_WINDOW_SECS), 40);
    }
}
