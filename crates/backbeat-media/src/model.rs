//! What a packaged ladder is: renditions of one track, each an init segment and media
//! segments with the durations and sizes measured from the files themselves. Manifests (HLS,
//! DASH) are written from this, never from an encoder's own playlists.

use serde::{Deserialize, Serialize};

/// An audio codec of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// AAC-LC (ffmpeg's native encoder).
    Aac,
    /// Opus (libopus).
    Opus,
    /// FLAC, for lossless sources.
    Flac,
}

impl Codec {
    /// The lower-case name used in configuration and file names.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Aac => "aac",
            Codec::Opus => "opus",
            Codec::Flac => "flac",
        }
    }
}

/// One rung of the ladder: a codec at a bitrate (FLAC has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rung {
    pub codec: Codec,
    /// Target bitrate in kbit/s; `None` for FLAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kbps: Option<u32>,
}

impl Rung {
    /// A lossy rung.
    pub fn lossy(codec: Codec, kbps: u32) -> Self {
        Self {
            codec,
            kbps: Some(kbps),
        }
    }

    /// The lossless rung.
    pub fn flac() -> Self {
        Self {
            codec: Codec::Flac,
            kbps: None,
        }
    }

    /// Reads a rung written as its [`Rung::id`] (`aac-96`, `opus-64`, `flac`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a rung (write codec-kbps, like aac-160 or opus-96)");
        if s == "flac" {
            return Ok(Rung::flac());
        }
        let (codec, kbps) = s.split_once('-').ok_or_else(bad)?;
        let codec = match codec {
            "aac" => Codec::Aac,
            "opus" => Codec::Opus,
            _ => return Err(bad()),
        };
        let kbps = kbps.parse::<u32>().map_err(|_| bad())?;
        Ok(Rung::lossy(codec, kbps))
    }

    /// A short identifier, unique within a ladder, safe in file names: `aac-96`, `opus-64`,
    /// `flac`.
    pub fn id(&self) -> String {
        match self.kbps {
            Some(k) => format!("{}-{k}", self.codec.name()),
            None => self.codec.name().to_string(),
        }
    }
}

/// One media segment of a rendition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// File name, relative to the manifests (same directory).
    pub name: String,
    /// Presentation start in the rendition's timescale (the `tfdt` base media decode time).
    pub start: u64,
    /// Duration in the rendition's timescale (the sum of the `trun` sample durations).
    pub duration: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// One encoding of the track: an init segment and its media segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendition {
    /// Unique within the ladder ([`Rung::id`]).
    pub id: String,
    pub rung: Rung,
    /// RFC 6381 codecs string: `mp4a.40.2` (AAC-LC), `opus`, `fLaC`.
    pub codecs: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// Ticks per second of `Segment::start` and `Segment::duration`.
    pub timescale: u32,
    /// File name of the init segment (`EXT-X-MAP`, DASH `Initialization`).
    pub init: String,
    pub init_bytes: u64,
    /// File name of this rendition's HLS media playlist.
    pub playlist: String,
    pub segments: Vec<Segment>,
}

impl Rendition {
    /// Total duration in seconds.
    pub fn duration_s(&self) -> f64 {
        let ticks: u64 = self.segments.iter().map(|s| s.duration).sum();
        ticks as f64 / f64::from(self.timescale.max(1))
    }

    /// Duration of one segment in seconds.
    pub fn segment_s(&self, segment: &Segment) -> f64 {
        segment.duration as f64 / f64::from(self.timescale.max(1))
    }

    /// Peak bit rate, bits/s: the largest bit rate of any segment (RFC 8216 §4.3.4.2
    /// `BANDWIDTH`), rounded up. A segment shorter than half the longest (the last one) is
    /// measured over the longest's duration, as a player would download it in that slot.
    pub fn peak_bandwidth(&self) -> u64 {
        let longest = self.segments.iter().map(|s| s.duration).max().unwrap_or(0);
        self.segments
            .iter()
            .map(|s| {
                let ticks = if s.duration * 2 < longest {
                    longest
                } else {
                    s.duration
                };
                bits_per_second(s.bytes, ticks, self.timescale)
            })
            .max()
            .unwrap_or(0)
    }

    /// Average bit rate, bits/s, over the whole rendition (`AVERAGE-BANDWIDTH`), rounded up.
    pub fn average_bandwidth(&self) -> u64 {
        let bytes: u64 = self.segments.iter().map(|s| s.bytes).sum();
        let ticks: u64 = self.segments.iter().map(|s| s.duration).sum();
        bits_per_second(bytes, ticks, self.timescale)
    }
}

/// `bytes` over `ticks` of `timescale`, in bits per second, rounded up (0 for no time).
fn bits_per_second(bytes: u64, ticks: u64, timescale: u32) -> u64 {
    if ticks == 0 {
        return 0;
    }
    let bits = u128::from(bytes) * 8 * u128::from(timescale);
    u64::try_from(bits.div_ceil(u128::from(ticks))).unwrap_or(u64::MAX)
}

/// A track's packaged renditions, with segment boundaries shared across them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ladder {
    pub renditions: Vec<Rendition>,
    /// The segment length the encoder was asked for, seconds.
    pub segment_s: f64,
}

impl Ladder {
    /// The longest rendition's duration, seconds.
    pub fn duration_s(&self) -> f64 {
        self.renditions
            .iter()
            .map(Rendition::duration_s)
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendition(segments: &[(u64, u64)]) -> Rendition {
        let mut start = 0;
        Rendition {
            id: "aac-96".into(),
            rung: Rung::lossy(Codec::Aac, 96),
            codecs: "mp4a.40.2".into(),
            sample_rate: 48_000,
            channels: 2,
            timescale: 48_000,
            init: "aac-96-init.mp4".into(),
            init_bytes: 700,
            playlist: "aac-96.m3u8".into(),
            segments: segments
                .iter()
                .enumerate()
                .map(|(i, &(duration, bytes))| {
                    let s = Segment {
                        name: format!("aac-96-{i:05}.m4s"),
                        start,
                        duration,
                        bytes,
                    };
                    start += duration;
                    s
                })
                .collect(),
        }
    }

    #[test]
    fn bandwidths_come_from_segment_sizes() {
        // 6 s at 96 kb/s = 72,000 bytes; 6 s at 120 kb/s = 90,000 bytes.
        let r = rendition(&[(288_000, 72_000), (288_000, 90_000), (144_000, 36_000)]);
        assert_eq!(r.peak_bandwidth(), 120_000);
        assert_eq!(r.average_bandwidth(), 105_600);
        assert!((r.duration_s() - 15.0).abs() < 1e-9);
    }

    #[test]
    fn a_short_last_segment_does_not_inflate_the_peak() {
        // 0.5 s holding its init-heavy 10 kB would be 160 kb/s over its own length.
        let r = rendition(&[(288_000, 72_000), (24_000, 10_000)]);
        assert_eq!(r.peak_bandwidth(), 96_000);
    }

    #[test]
    fn rung_ids_are_file_name_safe() {
        assert_eq!(Rung::lossy(Codec::Opus, 64).id(), "opus-64");
        assert_eq!(Rung::flac().id(), "flac");
    }
}
