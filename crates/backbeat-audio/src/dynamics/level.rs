//! Level statistics: RMS, peak and the per-second energies behind dynamic complexity.

/// Short-term windows whose level is below this (dBFS) count as silence and are ignored by
/// dynamic complexity, so fades and gaps between tracks do not inflate it.
pub(crate) const SILENCE_DBFS: f64 = -60.0;

/// Short-term loudness window, in 1-second blocks (2 s windows, hop 1 s).
const WINDOW_BLOCKS: usize = 2;

/// Running level statistics over raw samples (no weighting filter).
pub(crate) struct LevelStats {
    block_len: u64,
    sum_sq: f64,
    count: u64,
    peak: f64,
    block_sum: f64,
    block_count: u64,
    /// Mean square of every complete 1-second block: 8 bytes per second of audio.
    blocks: Vec<f64>,
}

impl LevelStats {
    /// Statistics for a stream at `sample_rate` Hz.
    pub(crate) fn new(sample_rate: u32) -> Self {
        LevelStats {
            block_len: u64::from(sample_rate.max(1)),
            sum_sq: 0.0,
            count: 0,
            peak: 0.0,
            block_sum: 0.0,
            block_count: 0,
            blocks: Vec::new(),
        }
    }

    /// Add samples; non-finite ones count as silence (f64 keeps even f32::MAX² finite).
    pub(crate) fn push(&mut self, mono: &[f32]) {
        for &s in mono {
            let x = if s.is_finite() { f64::from(s) } else { 0.0 };
            let sq = x * x;
            self.sum_sq += sq;
            self.count += 1;
            self.peak = self.peak.max(x.abs());
            self.block_sum += sq;
            self.block_count += 1;
            if self.block_count == self.block_len {
                self.blocks.push(self.block_sum / self.block_len as f64);
                self.block_sum = 0.0;
                self.block_count = 0;
            }
        }
    }

    /// RMS level in dBFS (a full-scale square wave is 0 dBFS, a full-scale sine −3.01 dBFS);
    /// `None` when every sample is zero.
    pub(crate) fn rms_dbfs(&self) -> Option<f64> {
        let ms = self.sum_sq / self.count.max(1) as f64;
        (ms > 0.0 && ms.is_finite()).then(|| 10.0 * ms.log10())
    }

    /// Crest factor in dB: peak level minus RMS level; `None` for digital silence.
    pub(crate) fn crest_db(&self) -> Option<f64> {
        let rms = self.rms_dbfs()?;
        (self.peak > 0.0).then(|| 20.0 * self.peak.log10() - rms)
    }

    /// Dynamic complexity (dB): mean absolute deviation of the 2-second short-term levels (hop
    /// 1 s) from their mean, over windows louder than [`SILENCE_DBFS`]. Files shorter than one
    /// window use their single partial window, which gives 0.
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
        let mean = levels.iter().sum::<f64>() / n;
        levels.iter().map(|l| (l - mean).abs()).sum::<f64>() / n
    }
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
