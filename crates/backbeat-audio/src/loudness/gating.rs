//! Gated statistics of block loudness: integrated loudness (BS.1770-4 §2.6, 400 ms blocks) and
//! loudness range (EBU Tech 3342, 3 s blocks).
//!
//! Memory is bounded whatever the duration: blocks go into a histogram of 0.01 LU bins (as in
//! libebur128 and ffmpeg) that also keeps each bin's exact energy sum, so the only effect of
//! binning is where a gate cuts (within 0.01 LU); means use the true block energies. A vector
//! of block powers would be exact too (36,000 values per hour) but grows with the duration;
//! the histogram is ~120 KB for any duration and costs one `log10` per 100 ms block.

/// BS.1770 absolute gate (LUFS).
const ABS_GATE: f64 = -70.0;
/// Histogram resolution.
const BINS_PER_LU: f64 = 100.0;
/// Top of the histogram (LUFS). Louder blocks share the last bin; their energies stay exact.
const TOP: f64 = 30.0;
const N_BINS: usize = ((TOP - ABS_GATE) * BINS_PER_LU) as usize + 1;
/// Relative gate of the integrated loudness (LU below the abs-gated mean).
const INTEGRATED_GATE: f64 = -10.0;
/// Relative gate of the loudness range (Tech 3342).
const RANGE_GATE: f64 = -20.0;

/// Loudness (LUFS) of a K-weighted, channel-weighted mean square.
pub fn lufs(energy: f64) -> f64 {
    -0.691 + 10.0 * energy.log10()
}

/// Blocks above the absolute gate, binned by loudness.
#[derive(Debug, Clone)]
pub struct Histogram {
    count: Vec<u32>,
    energy: Vec<f64>,
    total_count: u64,
    total_energy: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            count: vec![0; N_BINS],
            energy: vec![0.0; N_BINS],
            total_count: 0,
            total_energy: 0.0,
        }
    }
}

/// Bin of a loudness value (rounded to the nearest 0.01 LU, as ffmpeg does).
fn bin(loudness: f64) -> usize {
    let pos = ((loudness - ABS_GATE) * BINS_PER_LU).round();
    // NaN casts to 0; the clamp keeps every finite or infinite value in range.
    pos.clamp(0.0, (N_BINS - 1) as f64) as usize
}

impl Histogram {
    /// Record one block's mean-square energy (dropped when at or below the absolute gate).
    pub fn add(&mut self, energy: f64) {
        // Non-finite energies cannot come from sanitised samples; drop them defensively.
        let loudness = lufs(energy);
        if !energy.is_finite() || loudness <= ABS_GATE {
            return;
        }
        let b = bin(loudness);
        if let (Some(c), Some(e)) = (self.count.get_mut(b), self.energy.get_mut(b)) {
            *c = c.saturating_add(1);
            *e += energy;
            self.total_count += 1;
            self.total_energy += energy;
        }
    }

    /// First bin kept by a gate `rel_lu` below the mean energy of the recorded blocks.
    ///
    /// Only the bin holding the threshold can mix blocks above and below it (its neighbours are
    /// ≥ 0.005 LU away); it is kept when its mean loudness is above the threshold. ffmpeg keeps
    /// it always, which can let in a block that BS.1770's strict `>` gate rejects.
    fn gate_bin(&self, rel_lu: f64) -> Option<usize> {
        if self.total_count == 0 {
            return None;
        }
        let threshold = lufs(self.total_energy / self.total_count as f64) + rel_lu;
        let b = bin(threshold);
        let above = match (self.count.get(b), self.energy.get(b)) {
            (Some(&c), Some(&e)) if c > 0 => lufs(e / f64::from(c)) > threshold,
            _ => false,
        };
        Some(if above { b } else { b + 1 })
    }

    /// (count, energy sum) of the bins from `first` on.
    fn kept(&self, first: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let pairs = self.count.iter().copied().zip(self.energy.iter().copied());
        pairs.skip(first)
    }

    /// Integrated loudness (LUFS) with the -10 LU relative gate; `None` when nothing passes.
    pub fn integrated(&self) -> Option<f64> {
        let first = self.gate_bin(INTEGRATED_GATE)?;
        let (n, e) = self
            .kept(first)
            .fold((0u64, 0.0), |(n, e), (c, s)| (n + u64::from(c), e + s));
        (n > 0).then(|| lufs(e / n as f64))
    }

    /// Loudness range (LU): 95th minus 10th percentile after the -20 LU relative gate.
    pub fn range(&self) -> f64 {
        let Some(first) = self.gate_bin(RANGE_GATE) else {
            return 0.0;
        };
        let n: u64 = self.kept(first).map(|(c, _)| u64::from(c)).sum();
        match (
            self.percentile(first, n, 0.10),
            self.percentile(first, n, 0.95),
        ) {
            (Some(lo), Some(hi)) => (hi - lo).max(0.0),
            _ => 0.0,
        }
    }

    /// Loudness of the `round(p·n)`-th smallest kept block (1-based, at least the first), the
    /// rank ffmpeg uses; a bin's loudness is that of its mean energy.
    fn percentile(&self, first: usize, n: u64, p: f64) -> Option<f64> {
        let rank = ((p * n as f64).round() as u64).max(1);
        let mut seen = 0u64;
        for (c, e) in self.kept(first) {
            seen += u64::from(c);
            if c > 0 && seen >= rank {
                return Some(lufs(e / f64::from(c)));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn energy(l: f64) -> f64 {
        10f64.powf((l + 0.691) / 10.0)
    }

    #[test]
    fn constant_blocks_give_their_loudness() {
        let mut h = Histogram::default();
        for _ in 0..100 {
            h.add(energy(-23.0));
        }
        let i = h.integrated().unwrap();
        assert!((i + 23.0).abs() < 1e-9, "{i}");
        assert_eq!(h.range(), 0.0);
    }

    #[test]
    fn gates() {
        let mut h = Histogram::default();
        h.add(energy(-75.0)); // below the absolute gate
        assert!(h.integrated().is_none());
        for _ in 0..10 {
            h.add(energy(-20.0));
            h.add(energy(-40.0)); // 20 LU down: cut by the relative gate
        }
        let i = h.integrated().unwrap();
        assert!((i + 20.0).abs() < 1e-9, "{i}");
    }

    /// A block 0.003 LU below the relative threshold shares its 0.01 LU bin but is gated out.
    #[test]
    fn strict_gate_inside_the_threshold_bin() {
        // 9 blocks of energy e and one of q with L(q) = L((9e + q) / 10) - 10.003, i.e.
        // q = 0.9 k e / (1 - 0.1 k) with k = 10^-1.0003.
        // At -20.002 the threshold lands 0.4 bin above a bin edge, q 0.1 bin above it.
        let e = energy(-20.002);
        let k = 10f64.powf(-1.0003);
        let q = 0.9 * k * e / (1.0 - 0.1 * k);
        let threshold = lufs((9.0 * e + q) / 10.0) - 10.0;
        assert!((lufs(q) - (threshold - 0.003)).abs() < 1e-9);
        assert_eq!(bin(lufs(q)), bin(threshold));
        let mut h = Histogram::default();
        for _ in 0..9 {
            h.add(e);
        }
        h.add(q);
        let i = h.integrated().unwrap();
        assert!((i + 20.002).abs() < 1e-9, "{i}");
    }

    /// Tech 3342 ranks: 100 blocks at -30 … -20.1 LUFS in 0.1 steps → 10th = -29.1, 95th = -20.6.
    #[test]
    fn range_percentiles() {
        let mut h = Histogram::default();
        for k in 0..100 {
            h.add(energy(-30.0 + 0.1 * f64::from(k)));
        }
        let lra = h.range();
        assert!((lra - 8.5).abs() < 0.011, "{lra}");
    }

    #[test]
    fn nan_and_inf_energies_are_harmless() {
        let mut h = Histogram::default();
        h.add(f64::NAN);
        h.add(f64::INFINITY);
        h.add(energy(500.0));
        let i = h.integrated().unwrap();
        assert!((i - 500.0).abs() < 1e-9, "{i}");
        assert!(h.range().is_finite());
    }
}
