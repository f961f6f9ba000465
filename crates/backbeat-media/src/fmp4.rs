//! The facts manifests need, read from the fragmented-MP4 (CMAF) files the encoder wrote:
//! an init segment's timescale and codec, a media segment's start and duration, and the
//! Opus header gain patched in place.
//!
//! The files are treated as hostile: every field is read through bounds-checked readers
//! (`reader`), sizes a file states never size an allocation, and the walk goes down fixed
//! paths (`moov/trak/mdia/…`, `moof/traf`) rather than recursing, so no nesting of boxes can
//! exhaust the stack. Anything unexpected is an [`Fmp4Error`], never a panic.

mod init;
mod reader;

use std::fmt;

use crate::model::Codec;
use reader::{Boxes, Reader};

pub use init::parse_init;

/// A four-character box type, printed with anything unprintable escaped.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BoxType(pub [u8; 4]);

impl fmt::Display for BoxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for BoxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{self}'")
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fmp4Error {
    /// A box or field runs past the end of its container.
    #[error("the {0} box is truncated")]
    Truncated(BoxType),
    /// A box states a size smaller than its own header.
    #[error("the {kind} box states an impossible size {size}")]
    BadSize { kind: BoxType, size: u64 },
    /// A box the format requires is absent.
    #[error("no {0} box")]
    Missing(BoxType),
    /// A sample entry or codec configuration this crate does not package.
    #[error("unsupported codec: {0}")]
    Unsupported(String),
    /// A field holds a value the specification rules out.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// What an init segment says about its (single, audio) track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitInfo {
    /// Ticks per second of the media segments' times (`mdhd`).
    pub timescale: u32,
    /// RFC 6381 codecs string: `mp4a.40.2`, `opus`, `fLaC`.
    pub codecs: String,
    /// Output sample rate, Hz (48,000 for Opus whatever the input was).
    pub sample_rate: u32,
    pub channels: u16,
    pub codec: Codec,
}

/// What a media segment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentInfo {
    /// Decode time of the first sample, in the init segment's timescale (`tfdt`).
    pub start: u64,
    /// Sum of the sample durations of every fragment, same timescale.
    pub duration: u64,
    /// Number of samples (codec frames).
    pub samples: u32,
}

/// Reads a media segment: one or more `moof`/`mdat` pairs of one track (other top-level
/// boxes — `styp`, `sidx` — are skipped; a `moof` without its `mdat` is a cut file). The
/// start is the first fragment's `tfdt`; each later fragment must start where the previous
/// one ended, so that the segment is one unbroken span.
pub fn parse_segment(bytes: &[u8]) -> Result<SegmentInfo, Fmp4Error> {
    let mut info: Option<SegmentInfo> = None;
    let mut track = None;
    // A fragment's samples are in the `mdat` after its `moof`: without it the file was cut.
    let mut awaiting_mdat = false;
    let mut saw_moof = false;
    for b in Boxes::new(bytes) {
        let b = b?;
        match &b.kind.0 {
            b"mdat" => awaiting_mdat = false,
            b"moof" if awaiting_mdat => return Err(Fmp4Error::Missing(BoxType(*b"mdat"))),
            b"moof" => awaiting_mdat = true,
            _ => {}
        }
        if b.kind.0 != *b"moof" {
            continue;
        }
        saw_moof = true;
        for traf in Boxes::children(&b) {
            let traf = traf?;
            if traf.kind.0 != *b"traf" {
                continue;
            }
            let f = fragment(&traf)?;
            if *track.get_or_insert(f.track_id) != f.track_id {
                return Err(Fmp4Error::Unsupported(
                    "a segment with several tracks".into(),
                ));
            }
            let s = info.get_or_insert(SegmentInfo {
                start: f.start,
                duration: 0,
                samples: 0,
            });
            if s.start.checked_add(s.duration) != Some(f.start) {
                return Err(Fmp4Error::Invalid(
                    "fragment start (tfdt) after a gap or overlap",
                ));
            }
            s.duration = s
                .duration
                .checked_add(f.duration)
                .ok_or(Fmp4Error::Invalid("duration"))?;
            s.samples = s
                .samples
                .checked_add(f.samples)
                .ok_or(Fmp4Error::Invalid("sample count"))?;
        }
    }
    if awaiting_mdat {
        return Err(Fmp4Error::Missing(BoxType(*b"mdat")));
    }
    let missing = if saw_moof { *b"traf" } else { *b"moof" };
    info.ok_or(Fmp4Error::Missing(BoxType(missing)))
}

/// One track fragment's span.
struct Fragment {
    track_id: u32,
    start: u64,
    duration: u64,
    samples: u32,
}

const TFHD_BASE_DATA_OFFSET: u32 = 0x01;
const TFHD_SAMPLE_DESCRIPTION_INDEX: u32 = 0x02;
const TFHD_DEFAULT_DURATION: u32 = 0x08;
const TRUN_DATA_OFFSET: u32 = 0x001;
const TRUN_FIRST_SAMPLE_FLAGS: u32 = 0x004;
const TRUN_SAMPLE_DURATION: u32 = 0x100;
/// Sample size, sample flags, composition time offset: each adds four bytes per sample.
const TRUN_OTHER_PER_SAMPLE: [u32; 3] = [0x200, 0x400, 0x800];

fn short(kind: &'static [u8; 4]) -> impl Fn(reader::Short) -> Fmp4Error {
    move |_| Fmp4Error::Truncated(BoxType(*kind))
}

fn fragment(traf: &reader::Bx<'_>) -> Result<Fragment, Fmp4Error> {
    let tfhd = Boxes::children(traf).find(b"tfhd")?;
    let mut r = Reader::new(tfhd.body);
    let flags = r.u32().map_err(short(b"tfhd"))? & 0x00ff_ffff;
    let track_id = r.u32().map_err(short(b"tfhd"))?;
    if flags & TFHD_BASE_DATA_OFFSET != 0 {
        r.skip(8).map_err(short(b"tfhd"))?;
    }
    if flags & TFHD_SAMPLE_DESCRIPTION_INDEX != 0 {
        r.skip(4).map_err(short(b"tfhd"))?;
    }
    let default_duration = if flags & TFHD_DEFAULT_DURATION != 0 {
        Some(r.u32().map_err(short(b"tfhd"))?)
    } else {
        None
    };

    let tfdt = Boxes::children(traf).find(b"tfdt")?;
    let mut r = Reader::new(tfdt.body);
    let version = r.u8().map_err(short(b"tfdt"))?;
    r.skip(3).map_err(short(b"tfdt"))?;
    let start = match version {
        0 => u64::from(r.u32().map_err(short(b"tfdt"))?),
        1 => r.u64().map_err(short(b"tfdt"))?,
        _ => return Err(Fmp4Error::Invalid("tfdt version")),
    };

    let (mut duration, mut samples) = (0u64, 0u32);
    for trun in Boxes::children(traf) {
        let trun = trun?;
        if trun.kind.0 != *b"trun" {
            continue;
        }
        let (d, n) = run(trun.body, default_duration)?;
        duration = duration
            .checked_add(d)
            .ok_or(Fmp4Error::Invalid("duration"))?;
        samples = samples
            .checked_add(n)
            .ok_or(Fmp4Error::Invalid("sample count"))?;
    }
    Ok(Fragment {
        track_id,
        start,
        duration,
        samples,
    })
}

/// A `trun`'s total duration and sample count.
fn run(body: &[u8], default_duration: Option<u32>) -> Result<(u64, u32), Fmp4Error> {
    let short = |_| Fmp4Error::Truncated(BoxType(*b"trun"));
    let mut r = Reader::new(body);
    let flags = r.u32().map_err(short)? & 0x00ff_ffff;
    let count = r.u32().map_err(short)?;
    if flags & TRUN_DATA_OFFSET != 0 {
        r.skip(4).map_err(short)?;
    }
    if flags & TRUN_FIRST_SAMPLE_FLAGS != 0 {
        r.skip(4).map_err(short)?;
    }
    let others = TRUN_OTHER_PER_SAMPLE
        .iter()
        .filter(|&&f| flags & f != 0)
        .count()
        * 4;
    let per_sample = others
        + if flags & TRUN_SAMPLE_DURATION != 0 {
            4
        } else {
            0
        };
    // The sample table must fit in the box before any of it is summed.
    let table = usize::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(per_sample))
        .ok_or(Fmp4Error::Truncated(BoxType(*b"trun")))?;
    if table > r.rest().len() {
        return Err(Fmp4Error::Truncated(BoxType(*b"trun")));
    }
    if flags & TRUN_SAMPLE_DURATION == 0 && count > 0 {
        let d = default_duration.ok_or(Fmp4Error::Invalid(
            "trun without sample durations and tfhd without a default duration",
        ))?;
        return Ok((u64::from(d) * u64::from(count), count));
    }
    let mut total = 0u64;
    for _ in 0..count {
        total += u64::from(r.u32().map_err(short)?);
        r.skip(others).map_err(short)?;
    }
    Ok((total, count))
}

/// Where the `dOps` OutputGain field sits in an Opus init segment.
fn opus_gain_offset(init: &[u8]) -> Result<usize, Fmp4Error> {
    let entry = init::sample_entry(init)?;
    if entry.kind.0 != *b"Opus" {
        return Err(Fmp4Error::Unsupported(format!(
            "{} is not Opus",
            entry.kind
        )));
    }
    let dops = init::entry_children(&entry)?.find(b"dOps")?;
    // Version(8) OutputChannelCount(8) PreSkip(16) InputSampleRate(32), then OutputGain.
    if dops.body.len() < 11 {
        return Err(Fmp4Error::Truncated(BoxType(*b"dOps")));
    }
    Ok(dops.offset + 8)
}

/// The Opus header gain (Q7.8 dB, ISO/IEC 23003-5 `dOps` OutputGain) of an Opus init
/// segment.
pub fn opus_output_gain(init: &[u8]) -> Result<i16, Fmp4Error> {
    let at = opus_gain_offset(init)?;
    let b = init
        .get(at..at + 2)
        .ok_or(Fmp4Error::Truncated(BoxType(*b"dOps")))?;
    Ok(i16::from_be_bytes([b[0], b[1]]))
}

/// Sets the Opus header gain (Q7.8 dB) in place: decoders apply it to every sample, so a
/// loudness-normalised rendition costs no re-encode. Fails on anything but an Opus init.
pub fn set_opus_output_gain(init: &mut [u8], gain_q78: i16) -> Result<(), Fmp4Error> {
    let at = opus_gain_offset(init)?;
    let b = init
        .get_mut(at..at + 2)
        .ok_or(Fmp4Error::Truncated(BoxType(*b"dOps")))?;
    b.copy_from_slice(&gain_q78.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests;
