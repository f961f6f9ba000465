//! Level statistics: RMS, peak and the per-second energies behind dynamic complexity.

/// Short-term windows whose level is below this (dBFS) count as silence and are ignored by
/// dynamic complexity, so fades and gaps between tracks do not inflate it.
pub(crate) const SILENCE_DBFS: f64 = -60.0;

/// Short-term loudness window, in 1-second blocks (2 s windows, hop 1 s).
const WINDOW_BLOCKS: usize = 2;

/// Running level statistics over raw samples (no weighting filter).
///
/// Samples are buffered one 1-second block at a time and reduced block by block, so the
/// floating-point summation order (and thus the result, bit for bit) does not depend on how
/// the input is chunked, while the reduction itself can use SIMD lanes.
pub(crate) struct LevelStats {
    block_len: usize,
    block: Vec<f32>,
    count: u64,
    sum_sq: f64,
    peak: f64,
    /// Mean square of every complete 1-second block: 8 bytes per second of audio.
    blocks: Vec<f64>,
}

impl LevelStats {
    /// Statistics for a stream at `sample_rate` Hz.
    pub(crate) fn new(sample_rate: u32) -> Self {
        let block_len = (sample_rate as usize).max(1);
        LevelStats {
            block_len,
            block: Vec::with_capacity(block_len),
            count: 0,
            sum_sq: 0.0,
            peak: 0.0,
            blocks: Vec::new(),
        }
    }

    /// Add samples; non-finite ones count as silence.
    pub(crate) fn push(&mut self, mono: &[f32]) {
        let mut rest = mono;
        while !rest.is_empty() {
            let take = (self.block_len - self.block.len()).min(rest.len());
            let (now, later) = rest.split_at(take);
            self.block
                .extend(now.iter().map(|&s| if s.is_finite() { s } else { 0.0 }));
            rest = later;
            if self.block.len() == self.block_len {
                let (sum, peak) = reduce(&self.block);
                self.sum_sq += sum;
                self.peak = self.peak.max(peak);
                self.count += self.block_len as u64;
                self.blocks.push(sum / self.block_len as f64);
                self.block.clear();
            }
        }
    }

    /// Sum of squares, peak and sample count including the partial block.
    fn totals(&self) -> (f64, f64, u64) {
        let (sum, peak) = reduce(&self.block);
        (
            self.sum_sq + sum,
            self.peak.max(peak),
            self.count + self.block.len() as u64,
        )
    }

    /// RMS level in dBFS (a full-scale square wave is 0 dBFS, a full-scale sine −3.01 dBFS);
    /// `None` when every sample is zero.
    pub(crate) fn rms_dbfs(&self) -> Option<f64> {
        let (sum_sq, _, count) = self.totals();
        let ms = sum_sq / count.max(1) as f64;
        (ms > 0.0 && ms.is_finite()).then(|| 10.0 * ms.log10())
    }

    /// Crest factor in dB: peak level minus RMS level; `None` for digital silence.
    pub(crate) fn crest_db(&self) -> Option<f64> {
        let rms = self.rms_dbfs()?;
        let peak = self.totals().1;
        (peak > 0.0).then(|| 20.0 * peak.log10() - rms)
    }

    /// Dynamic complexity (dB): mean absolute deviation of the 2-second short-term levels (hop
    /// 1 s) from their energy mean, over windows louder than [`SILENCE_DBFS`]; 0 with fewer
    /// than two complete non-silent seconds.
    pub(crate) fn dynamic_complexity(&self) -> f64 {
        let levels: Vec<f64> = self
            .blocks
            .windows(WINDOW_BLOCKS)
            .map(|w| w.iter().sum::<f64>() / WINDOW_BLOCKS as f64)
            .filter(|&ms| ms > 0.0)
            .map(|ms| 10.0 * ms.log10())
            .filter(|&db| db >= SILENCE_DBFS && db.is_finite())
            .collect();
        if levels.is_empty() {
            return 0.0;
        }
        let n = levels.len() as f64;
        // The track level is the energy mean of the windows (as essentia's loudness output),
        // so quiet passages count as departures from the loud body of the track.
        let track = 10.0 * (levels.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>() / n).log10();
        levels.iter().map(|l| (l - track).abs()).sum::<f64>() / n
    }
}

/// (Σ x², max |x|) of finite samples, in f64 (f32::MAX² overflows f32) and 4 lanes for SIMD.
fn reduce(x: &[f32]) -> (f64, f64) {
    let (mut acc, mut peak) = ([0.0f64; 4], [0.0f64; 4]);
    let chunks = x.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..4 {
            let v = f64::from(c[i]);
            acc[i] += v * v;
            peak[i] = peak[i].max(v.abs());
        }
    }
    for (i, &s) in rest.iter().enumerate() {
        let v = f64::from(s);
        acc[i] += v * v;
        peak[i] = peak[i].max(v.abs());
    }
    (acc.iter().sum(), peak.iter().fold(0.0, |a, &b| a.max(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(signal: &[f32]) -> LevelStats {
        let mut s = LevelStats::new(1000);
        s.push(signal);
        s
    }

    #[test]
    fn square_wave_is_zero_dbfs_with_zero_crest() {
        let sq: Vec<f32> = (0..4000)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let s = stats(&sq);
        assert!(s.rms_dbfs().is_some_and(|r| r.abs() < 1e-9));
        assert!(s.crest_db().is_some_and(|c| c.abs() < 1e-9));
    }

    #[test]
    fn silence_has_no_level() {
        let s = stats(&[0.0; 5000]);
        assert_eq!(s.rms_dbfs(), None);
        assert_eq!(s.crest_db(), None);
        assert_eq!(s.dynamic_complexity(), 0.0);
    }

    #[test]
    fn two_level_blocks_give_half_the_step() {
        // Blocks at -10 dB and -30 dB (power 0.1 and 0.001), 10 blocks each: the 2-block windows
        // are 9 at -10, 9 at -30 and 1 straddling (-13 dB); deviation ≈ 10 dB.
        let mut sig = vec![0.1f32.sqrt(); 10_000];
        sig.extend(vec![0.001f32.sqrt(); 10_000]);
        let dc = stats(&sig).dynamic_complexity();
        assert!((dc - 10.0).abs() < 1.0, "{dc}");
    }

    #[test]
    fn silent_windows_are_ignored() {
        // 20 s of tone then 20 s at -100 dBFS: only the one straddling window (3 dB below the
        // tone) deviates, so the result stays far below the 94 dB an ungated measure would see.
        let mut sig = vec![0.5f32; 20_000];
        sig.extend(vec![1e-5f32; 20_000]);
        let dc = stats(&sig).dynamic_complexity();
        assert!(dc < 0.5, "{dc}");
    }
}
