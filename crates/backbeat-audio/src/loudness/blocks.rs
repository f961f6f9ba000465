//! Framing: 100 ms sub-blocks of K-weighted energy → 400 ms gating blocks (75 % overlap) and
//! 3 s short-term windows (every 100 ms), fed to the gating histograms.
//!
//! Windows last exactly 400 ms and 3 s (in frames, rounded down) and advance by 100 ms rounded
//! down, as ffmpeg does. When the rate is not a multiple of 10 Hz (11.025 kHz), a window is a
//! few frames longer than its whole sub-blocks: those frames are the tail of the sub-block just
//! before, whose energy the meter records separately. (Rounding the window to whole sub-blocks
//! instead moves an impulsive 11.025 kHz file by up to 0.08 LU and its LRA by 0.6 LU.)

use super::gating::Histogram;

/// Sub-blocks in a momentary (400 ms) gating block and in a short-term (3 s) window.
const MOMENTARY_SUBS: usize = 4;
const SHORT_TERM_SUBS: usize = 30;
/// Ring length: a short-term window plus the sub-block that lends its tail.
const RING: usize = SHORT_TERM_SUBS + 1;

/// Frame counts of the framing at one sample rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Frames per sub-block (100 ms, rounded down).
    pub hop: usize,
    /// Frames a 400 ms block has beyond 4 sub-blocks.
    pub extra_momentary: usize,
    /// Frames a 3 s window has beyond 30 sub-blocks.
    pub extra_short: usize,
}

impl Geometry {
    /// The framing for `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        let fs = sample_rate as usize;
        let hop = (fs / 10).max(1);
        let extra_momentary = (fs * 4 / 10).saturating_sub(MOMENTARY_SUBS * hop);
        let extra_short = (fs * 3).saturating_sub(SHORT_TERM_SUBS * hop);
        // Tails longer than a sub-block only happen at absurd rates (< 300 Hz): drop them.
        let fits = extra_short < hop && extra_momentary < hop;
        Geometry {
            hop,
            extra_momentary: if fits { extra_momentary } else { 0 },
            extra_short: if fits { extra_short } else { 0 },
        }
    }

    /// Offsets inside a sub-block where its short-term and momentary tails begin (equal to
    /// `hop`, i.e. an empty tail, when no extra frames are needed).
    pub fn tail_starts(&self) -> [usize; 2] {
        [self.hop - self.extra_short, self.hop - self.extra_momentary]
    }
}

/// Channel-weighted Σy² of one sub-block, and of its last frames (the tails).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SubBlock {
    /// Over the whole sub-block.
    pub total: f64,
    /// Over its last `extra_short` frames.
    pub tail_short: f64,
    /// Over its last `extra_momentary` frames.
    pub tail_momentary: f64,
}

/// Turns sub-blocks into overlapping blocks and gates them.
#[derive(Debug, Clone)]
pub struct Blocks {
    geometry: Geometry,
    ring: [SubBlock; RING],
    pos: usize,
    filled: usize,
    momentary: Histogram,
    short_term: Histogram,
}

impl Blocks {
    /// Blocks with the given framing.
    pub fn new(geometry: Geometry) -> Self {
        Blocks {
            geometry,
            ring: [SubBlock::default(); RING],
            pos: 0,
            filled: 0,
            momentary: Histogram::default(),
            short_term: Histogram::default(),
        }
    }

    /// Add one complete sub-block.
    pub fn push(&mut self, sub: SubBlock) {
        if let Some(slot) = self.ring.get_mut(self.pos) {
            *slot = sub;
        }
        self.pos = (self.pos + 1) % RING;
        self.filled = (self.filled + 1).min(RING);
        let g = self.geometry;
        if let Some(e) = self.window(MOMENTARY_SUBS, g.extra_momentary, |s| s.tail_momentary) {
            self.momentary.add(e);
        }
        if let Some(e) = self.window(SHORT_TERM_SUBS, g.extra_short, |s| s.tail_short) {
            self.short_term.add(e);
        }
    }

    /// Mean square over the newest `subs` sub-blocks plus `extra` tail frames of the one before;
    /// `None` until the window is complete (only complete windows count, as in ffmpeg).
    fn window(&self, subs: usize, extra: usize, tail: fn(&SubBlock) -> f64) -> Option<f64> {
        let with_tail = usize::from(extra > 0);
        if self.filled < subs + with_tail {
            return None;
        }
        let back = |k: usize| self.ring.get((self.pos + RING - k) % RING);
        let whole: f64 = (1..=subs).filter_map(back).map(|s| s.total).sum();
        let lent = if extra > 0 {
            back(subs + 1).map_or(0.0, tail)
        } else {
            0.0
        };
        Some((whole + lent) / (subs * self.geometry.hop + extra) as f64)
    }

    /// (integrated LUFS, loudness range LU).
    pub fn finish(&self) -> (Option<f64>, f64) {
        (self.momentary.integrated(), self.short_term.range())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry() {
        let g = Geometry::new(48_000);
        assert_eq!((g.hop, g.extra_momentary, g.extra_short), (4800, 0, 0));
        // 11.025 kHz: 400 ms = 4410 = 4 × 1102 + 2 frames, 3 s = 33075 = 30 × 1102 + 15.
        let g = Geometry::new(11_025);
        assert_eq!((g.hop, g.extra_momentary, g.extra_short), (1102, 2, 15));
        assert_eq!(g.tail_starts(), [1087, 1100]);
        assert_eq!(Geometry::new(0).hop, 1);
        let g = Geometry::new(19);
        assert_eq!((g.extra_momentary, g.extra_short), (0, 0));
    }

    /// A window is complete only once its tail sub-block exists, and the tail counts.
    #[test]
    fn windows_include_tails() {
        let g = Geometry {
            hop: 10,
            extra_momentary: 2,
            extra_short: 0,
        };
        let mut b = Blocks::new(g);
        let sub = |total, tail| SubBlock {
            total,
            tail_short: 0.0,
            tail_momentary: tail,
        };
        for _ in 0..4 {
            b.push(sub(1.0, 0.2));
        }
        assert!(b.window(4, 2, |s| s.tail_momentary).is_none());
        b.push(sub(1.0, 0.2));
        let e = b.window(4, 2, |s| s.tail_momentary).unwrap();
        assert!((e - 4.2 / 42.0).abs() < 1e-15, "{e}");
    }
}
