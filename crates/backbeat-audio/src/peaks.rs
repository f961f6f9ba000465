//! Waveform peaks: the minimum and maximum of every block of samples, in the BBC
//! audiowaveform binary format (`.dat`, version 1, 16-bit) that waveform players (peaks.js,
//! waveform-data.js, wavesurfer) read.
//!
//! The format is a 20-byte little-endian header — version, flags (bit 0: 8-bit values),
//! sample rate, samples per pixel, length in pixels — then one `(min, max)` pair of `i16` per
//! pixel. Pixel `i` starts at byte `20 + 4 i`, so a client fetches the window it shows with one
//! HTTP range request instead of the whole file: a two-hour track opens as fast as a
//! three-minute one.

use std::fmt;

/// Bytes before the first pixel.
pub const DAT_HEADER_BYTES: usize = 20;
/// Bytes per pixel of 16-bit data (min and max).
pub const DAT_PIXEL_BYTES: usize = 4;
/// Samples per pixel of the pipeline's peaks: 256 at 22,050 Hz is 86 pixels a second (11.6 ms
/// each), fine enough to place a beat marker by eye and 1.2 MB an hour.
pub const DEFAULT_SAMPLES_PER_PIXEL: u32 = 256;
/// The longest file read back: 24 hours at the default resolution, with room to spare.
pub const MAX_PIXELS: u32 = 16 << 20;

/// Accumulates min/max pairs from a stream of mono samples.
#[derive(Debug, Clone)]
pub struct PeaksBuilder {
    sample_rate: u32,
    samples_per_pixel: u32,
    /// Samples taken into the current pixel.
    filled: u32,
    lo: f32,
    hi: f32,
    data: Vec<i16>,
}

impl PeaksBuilder {
    /// A builder for a signal at `sample_rate` Hz, `samples_per_pixel` (at least 2) samples a
    /// pixel.
    pub fn new(sample_rate: u32, samples_per_pixel: u32) -> Self {
        Self {
            sample_rate,
            samples_per_pixel: samples_per_pixel.max(2),
            filled: 0,
            lo: f32::INFINITY,
            hi: f32::NEG_INFINITY,
            data: Vec::new(),
        }
    }

    /// Takes the next samples (non-finite ones count as silence).
    pub fn push(&mut self, samples: &[f32]) {
        let mut rest = samples;
        while !rest.is_empty() {
            let room = (self.samples_per_pixel - self.filled) as usize;
            let (block, next) = rest.split_at(room.min(rest.len()));
            // Two plain folds the compiler vectorises; NaN compares false and is skipped, an
            // infinity is clamped by `quantise`.
            let (lo, hi) = block.iter().fold((self.lo, self.hi), |(lo, hi), &x| {
                (if x < lo { x } else { lo }, if x > hi { x } else { hi })
            });
            self.lo = lo;
            self.hi = hi;
            self.filled += block.len() as u32;
            if self.filled == self.samples_per_pixel {
                self.close_pixel();
            }
            rest = next;
        }
    }

    fn close_pixel(&mut self) {
        let (lo, hi) = if self.lo <= self.hi {
            (self.lo, self.hi)
        } else {
            (0.0, 0.0) // only NaNs
        };
        self.data.push(quantise(lo));
        self.data.push(quantise(hi));
        self.filled = 0;
        self.lo = f32::INFINITY;
        self.hi = f32::NEG_INFINITY;
    }

    /// The peaks; a last partial block is a pixel of its own.
    pub fn finish(mut self) -> Peaks {
        if self.filled > 0 {
            self.close_pixel();
        }
        Peaks {
            sample_rate: self.sample_rate,
            samples_per_pixel: self.samples_per_pixel,
            data: self.data,
        }
    }
}

/// A sample in [-1, 1] as a 16-bit value.
fn quantise(x: f32) -> i16 {
    (x * 32767.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Waveform peaks of one mono signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peaks {
    pub sample_rate: u32,
    pub samples_per_pixel: u32,
    /// `min, max` per pixel.
    pub data: Vec<i16>,
}

impl Peaks {
    /// Pixels (min/max pairs).
    pub fn len(&self) -> usize {
        self.data.len() / 2
    }

    /// No pixel at all (an empty signal).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Pixel `i`'s `(min, max)`.
    pub fn pixel(&self, i: usize) -> Option<(i16, i16)> {
        Some((*self.data.get(2 * i)?, *self.data.get(2 * i + 1)?))
    }

    /// The same waveform at most `pixels` wide (an overview of a whole track): each new pixel
    /// takes the extremes of `k` stored ones, `k` the smallest whole factor that fits, so the
    /// result is still exact `.dat` at `k` times the samples per pixel.
    pub fn reduced(&self, pixels: usize) -> Peaks {
        let k = self.len().div_ceil(pixels.max(1)).max(1);
        let data = self
            .data
            .chunks(2 * k)
            .flat_map(|c| {
                let lo = c.iter().step_by(2).copied().min().unwrap_or(0);
                let hi = c.iter().skip(1).step_by(2).copied().max().unwrap_or(0);
                [lo, hi]
            })
            .collect();
        Peaks {
            sample_rate: self.sample_rate,
            samples_per_pixel: self.samples_per_pixel.saturating_mul(k as u32),
            data,
        }
    }

    /// The `.dat` bytes (version 1, 16-bit).
    pub fn to_dat(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(DAT_HEADER_BYTES + self.data.len() * 2);
        out.extend_from_slice(&1i32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(self.sample_rate as i32).to_le_bytes());
        out.extend_from_slice(&(self.samples_per_pixel as i32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for v in &self.data {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads `.dat` bytes: version 1, 8- or 16-bit (8-bit values are scaled to 16 bits).
    pub fn from_dat(bytes: &[u8]) -> Result<Self, PeaksError> {
        let header = bytes.get(..DAT_HEADER_BYTES).ok_or(PeaksError::Truncated)?;
        let word = |i: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&header[i..i + 4]);
            w
        };
        let version = i32::from_le_bytes(word(0));
        if version != 1 {
            return Err(PeaksError::Version(version));
        }
        let eight_bit = u32::from_le_bytes(word(4)) & 1 == 1;
        let sample_rate = i32::from_le_bytes(word(8));
        let samples_per_pixel = i32::from_le_bytes(word(12));
        let length = u32::from_le_bytes(word(16));
        if sample_rate <= 0 || samples_per_pixel <= 0 {
            return Err(PeaksError::Header(
                "sample rate and samples per pixel must be > 0",
            ));
        }
        if length > MAX_PIXELS {
            return Err(PeaksError::Header("more pixels than any track has"));
        }
        let body = &bytes[DAT_HEADER_BYTES..];
        let width = if eight_bit { 1 } else { 2 };
        let need = length as usize * 2 * width;
        if body.len() < need {
            return Err(PeaksError::Truncated);
        }
        if body.len() > need {
            return Err(PeaksError::Header("bytes after the last pixel"));
        }
        let data = if eight_bit {
            body.iter().map(|&b| i16::from(b as i8) << 8).collect()
        } else {
            body.chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect()
        };
        Ok(Self {
            sample_rate: sample_rate as u32,
            samples_per_pixel: samples_per_pixel as u32,
            data,
        })
    }
}

/// Why `.dat` bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeaksError {
    /// Shorter than its header or than its header's length says.
    Truncated,
    /// A version this reader does not know.
    Version(i32),
    /// A header that cannot describe a waveform.
    Header(&'static str),
}

impl fmt::Display for PeaksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => write!(f, "waveform data is truncated"),
            Self::Version(v) => write!(f, "waveform data version {v} is not supported (1 is)"),
            Self::Header(why) => write!(f, "waveform data header: {why}"),
        }
    }
}

impl std::error::Error for PeaksError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_min_max_pairs_and_the_tail_is_a_pixel() {
        let mut b = PeaksBuilder::new(8, 4);
        // Pushed in odd chunk sizes: pixels do not depend on how the stream was cut.
        b.push(&[0.0, 0.5]);
        b.push(&[-0.25, 1.0, -1.0]);
        b.push(&[0.1, 0.2, 0.3, f32::NAN]);
        let p = b.finish();
        assert_eq!(p.len(), 3);
        assert_eq!(p.pixel(0), Some((-8192, 32767)));
        assert_eq!(p.pixel(1), Some((-32767, 9830)));
        assert_eq!(p.pixel(2), Some((0, 0)), "a tail of only NaN is silence");
    }

    #[test]
    fn out_of_range_and_infinite_samples_are_clamped() {
        let mut b = PeaksBuilder::new(8, 2);
        b.push(&[f32::INFINITY, f32::NEG_INFINITY, 3.0, -3.0]);
        let p = b.finish();
        assert_eq!(p.data, [-32768, 32767, -32768, 32767]);
    }

    #[test]
    fn dat_round_trips_with_the_documented_layout() {
        let mut b = PeaksBuilder::new(22_050, 256);
        let sine: Vec<f32> = (0..22_050).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        b.push(&sine);
        let p = b.finish();
        let dat = p.to_dat();
        assert_eq!(dat.len(), DAT_HEADER_BYTES + p.len() * DAT_PIXEL_BYTES);
        assert_eq!(&dat[0..4], &1i32.to_le_bytes());
        assert_eq!(&dat[8..12], &22_050i32.to_le_bytes());
        assert_eq!(&dat[12..16], &256i32.to_le_bytes());
        assert_eq!(
            &dat[16..20],
            &(87u32).to_le_bytes(),
            "22,050 / 256 rounded up"
        );
        // Pixel 10 at its documented offset.
        let at = DAT_HEADER_BYTES + 10 * DAT_PIXEL_BYTES;
        let (lo, hi) = p.pixel(10).unwrap();
        assert_eq!(&dat[at..at + 2], &lo.to_le_bytes());
        assert_eq!(&dat[at + 2..at + 4], &hi.to_le_bytes());
        assert!(lo < -16_000 && hi > 16_000, "a 0.5 sine: {lo} {hi}");
        assert_eq!(Peaks::from_dat(&dat).unwrap(), p);
    }

    #[test]
    fn eight_bit_files_are_read_scaled() {
        let mut dat = Vec::new();
        for w in [1i32, 1, 8000, 64] {
            dat.extend_from_slice(&w.to_le_bytes());
        }
        dat.extend_from_slice(&1u32.to_le_bytes());
        dat.extend_from_slice(&[(-128i8) as u8, 127]);
        let p = Peaks::from_dat(&dat).unwrap();
        assert_eq!(p.pixel(0), Some((-32768, 127 << 8)));
    }

    #[test]
    fn a_reduced_waveform_keeps_the_extremes_at_a_whole_factor() {
        let p = Peaks {
            sample_rate: 22_050,
            samples_per_pixel: 256,
            data: vec![-1, 1, -5, 2, 0, 9, -3, 3, -7, 0],
        };
        let r = p.reduced(2);
        assert_eq!(r.samples_per_pixel, 768);
        assert_eq!(r.data, vec![-5, 9, -7, 3]);
        assert_eq!(Peaks::from_dat(&r.to_dat()).unwrap(), r);
        assert_eq!(p.reduced(10), p);
        assert_eq!(p.reduced(0).len(), 1);
        let empty = Peaks {
            data: vec![],
            ..p.clone()
        };
        assert!(empty.reduced(4).is_empty());
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let good = {
            let mut b = PeaksBuilder::new(100, 10);
            b.push(&[0.5; 35]);
            b.finish().to_dat()
        };
        assert_eq!(Peaks::from_dat(&[]), Err(PeaksError::Truncated));
        assert_eq!(Peaks::from_dat(&good[..19]), Err(PeaksError::Truncated));
        assert_eq!(
            Peaks::from_dat(&good[..good.len() - 1]),
            Err(PeaksError::Truncated)
        );
        let mut longer = good.clone();
        longer.push(0);
        assert!(matches!(
            Peaks::from_dat(&longer),
            Err(PeaksError::Header(_))
        ));
        let mut v2 = good.clone();
        v2[0] = 2;
        assert_eq!(Peaks::from_dat(&v2), Err(PeaksError::Version(2)));
        let mut huge = good.clone();
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(Peaks::from_dat(&huge), Err(PeaksError::Header(_))));
        let mut zero_rate = good;
        zero_rate[8..12].copy_from_slice(&0i32.to_le_bytes());
        assert!(matches!(
            Peaks::from_dat(&zero_rate),
            Err(PeaksError::Header(_))
        ));
    }
}
