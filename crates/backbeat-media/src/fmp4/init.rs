//! The init segment: the audio track's timescale and its sample entry (`mp4a`+`esds`,
//! `Opus`+`dOps`, `fLaC`+`dfLa`), read into the codecs string and output format.

use super::reader::{descend, Bits, Boxes, Bx, Reader};
use super::{BoxType, Fmp4Error, InitInfo};
use crate::model::Codec;

fn short(kind: &'static [u8; 4]) -> impl Fn(super::reader::Short) -> Fmp4Error {
    move |_| Fmp4Error::Truncated(BoxType(*kind))
}

/// The first audio (`soun`) track of the file's `moov`.
fn audio_trak(init: &[u8]) -> Result<Bx<'_>, Fmp4Error> {
    let moov = Boxes::new(init).find(b"moov")?;
    for trak in Boxes::children(&moov) {
        let trak = trak?;
        if trak.kind.0 != *b"trak" {
            continue;
        }
        let hdlr = descend(&trak, &[b"mdia", b"hdlr"])?;
        // FullBox header (4), pre_defined (4), handler_type (4).
        let mut r = Reader::new(hdlr.body);
        r.skip(8).map_err(short(b"hdlr"))?;
        if r.array::<4>().map_err(short(b"hdlr"))? == *b"soun" {
            return Ok(trak);
        }
    }
    Err(Fmp4Error::Missing(BoxType(*b"trak")))
}

/// The audio track's first sample entry (`mp4a`, `Opus`, `fLaC`, …).
pub(super) fn sample_entry(init: &[u8]) -> Result<Bx<'_>, Fmp4Error> {
    let trak = audio_trak(init)?;
    let stsd = descend(&trak, &[b"mdia", b"minf", b"stbl", b"stsd"])?;
    let mut r = Reader::new(stsd.body);
    r.skip(4).map_err(short(b"stsd"))?;
    if r.u32().map_err(short(b"stsd"))? == 0 {
        return Err(Fmp4Error::Missing(BoxType(*b"mp4a")));
    }
    let entries = r.rest();
    Boxes::at(entries, stsd.offset + r.pos)
        .next()
        .unwrap_or(Err(Fmp4Error::Truncated(BoxType(*b"stsd"))))
}

/// Length of the AudioSampleEntry fields before its child boxes: SampleEntry (8) and
/// AudioSampleEntry (20), plus 16 for a QuickTime version-1 sound description.
fn entry_fields(entry: &Bx<'_>) -> Result<usize, Fmp4Error> {
    let mut r = Reader::new(entry.body);
    r.skip(8).map_err(|_| Fmp4Error::Truncated(entry.kind))?;
    match r.u16().map_err(|_| Fmp4Error::Truncated(entry.kind))? {
        0 => Ok(28),
        1 => Ok(44),
        v => Err(Fmp4Error::Unsupported(format!(
            "{} sample entry version {v}",
            entry.kind
        ))),
    }
}

/// The child boxes of an audio sample entry (its codec configuration).
pub(super) fn entry_children<'a>(entry: &Bx<'a>) -> Result<Boxes<'a>, Fmp4Error> {
    let n = entry_fields(entry)?;
    let rest = entry
        .body
        .get(n..)
        .ok_or(Fmp4Error::Truncated(entry.kind))?;
    Ok(Boxes::at(rest, entry.offset + n))
}

/// Reads an init segment's audio track.
pub fn parse_init(bytes: &[u8]) -> Result<InitInfo, Fmp4Error> {
    let trak = audio_trak(bytes)?;
    let mdhd = descend(&trak, &[b"mdia", b"mdhd"])?;
    let mut r = Reader::new(mdhd.body);
    let version = r.u8().map_err(short(b"mdhd"))?;
    // Flags, then creation and modification times (32 or 64 bits each).
    let skip = match version {
        0 => 3 + 8,
        1 => 3 + 16,
        _ => return Err(Fmp4Error::Invalid("mdhd version")),
    };
    r.skip(skip).map_err(short(b"mdhd"))?;
    let timescale = r.u32().map_err(short(b"mdhd"))?;
    if timescale == 0 {
        return Err(Fmp4Error::Invalid("timescale 0"));
    }

    let entry = sample_entry(bytes)?;
    let mut r = Reader::new(entry.body);
    r.skip(16).map_err(|_| Fmp4Error::Truncated(entry.kind))?;
    let entry_channels = r.u16().map_err(|_| Fmp4Error::Truncated(entry.kind))?;
    let children = entry_children(&entry)?;
    let (codec, codecs, sample_rate, channels) = match &entry.kind.0 {
        b"mp4a" => {
            let esds = children.find(b"esds")?;
            let asc = audio_specific_config(esds.body)?;
            let channels = if asc.channels == 0 {
                entry_channels
            } else {
                asc.channels
            };
            (
                Codec::Aac,
                format!("mp4a.40.{}", asc.object_type),
                asc.sample_rate,
                channels,
            )
        }
        b"Opus" => {
            let dops = children.find(b"dOps")?;
            let mut r = Reader::new(dops.body);
            if r.u8().map_err(short(b"dOps"))? != 0 {
                return Err(Fmp4Error::Invalid("dOps version"));
            }
            let channels = u16::from(r.u8().map_err(short(b"dOps"))?);
            // The rest of the box (pre-skip, input rate, gain) is checked by its length.
            r.skip(9).map_err(short(b"dOps"))?;
            (Codec::Opus, "opus".to_string(), 48_000, channels)
        }
        b"fLaC" => {
            let dfla = children.find(b"dfLa")?;
            let (rate, channels) = flac_stream_info(dfla.body)?;
            (Codec::Flac, "fLaC".to_string(), rate, channels)
        }
        _ => {
            return Err(Fmp4Error::Unsupported(format!(
                "{} sample entry",
                entry.kind
            )))
        }
    };
    if channels == 0 || sample_rate == 0 {
        return Err(Fmp4Error::Invalid("channel count or sample rate 0"));
    }
    Ok(InitInfo {
        timescale,
        codecs,
        sample_rate,
        channels,
        codec,
    })
}

/// What the manifests need of an MPEG-4 AudioSpecificConfig.
struct AudioSpecificConfig {
    object_type: u32,
    sample_rate: u32,
    /// 0 when the configuration is in a program config element.
    channels: u16,
}

const ES_DESCRIPTOR: u8 = 0x03;
const DECODER_CONFIG: u8 = 0x04;
const DECODER_SPECIFIC_INFO: u8 = 0x05;
/// objectTypeIndication of ISO/IEC 14496-3 audio (AAC and its family).
const MPEG4_AUDIO: u8 = 0x40;

/// One descriptor of an `esds`: its tag and body (ISO/IEC 14496-1 expandable size).
fn descriptor<'a>(r: &mut Reader<'a>) -> Result<(u8, &'a [u8]), Fmp4Error> {
    let tag = r.u8().map_err(short(b"esds"))?;
    let mut size = 0usize;
    for i in 0..4 {
        let b = r.u8().map_err(short(b"esds"))?;
        size = (size << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            break;
        }
        if i == 3 {
            return Err(Fmp4Error::Invalid("esds descriptor size"));
        }
    }
    Ok((tag, r.bytes(size).map_err(short(b"esds"))?))
}

/// The first descriptor with `tag` in `buf`.
fn find_descriptor(buf: &[u8], tag: u8) -> Result<&[u8], Fmp4Error> {
    let mut r = Reader::new(buf);
    while !r.rest().is_empty() {
        let (t, body) = descriptor(&mut r)?;
        if t == tag {
            return Ok(body);
        }
    }
    Err(Fmp4Error::Missing(BoxType(*b"esds")))
}

fn audio_specific_config(esds: &[u8]) -> Result<AudioSpecificConfig, Fmp4Error> {
    let mut r = Reader::new(esds);
    r.skip(4).map_err(short(b"esds"))?;
    let es = find_descriptor(r.rest(), ES_DESCRIPTOR)?;
    let mut r = Reader::new(es);
    r.skip(2).map_err(short(b"esds"))?;
    let flags = r.u8().map_err(short(b"esds"))?;
    if flags & 0x80 != 0 {
        r.skip(2).map_err(short(b"esds"))?;
    }
    if flags & 0x40 != 0 {
        let n = r.u8().map_err(short(b"esds"))?;
        r.skip(usize::from(n)).map_err(short(b"esds"))?;
    }
    if flags & 0x20 != 0 {
        r.skip(2).map_err(short(b"esds"))?;
    }
    let dc = find_descriptor(r.rest(), DECODER_CONFIG)?;
    let mut r = Reader::new(dc);
    let oti = r.u8().map_err(short(b"esds"))?;
    if oti != MPEG4_AUDIO {
        return Err(Fmp4Error::Unsupported(format!(
            "mp4a object type 0x{oti:02x}"
        )));
    }
    // streamType/upStream (1), bufferSizeDB (3), maxBitrate (4), avgBitrate (4).
    r.skip(12).map_err(short(b"esds"))?;
    let dsi = find_descriptor(r.rest(), DECODER_SPECIFIC_INFO)?;
    let mut bits = Bits::new(dsi);
    let bad = |_| Fmp4Error::Truncated(BoxType(*b"esds"));
    let mut object_type = bits.read(5).map_err(bad)?;
    if object_type == 31 {
        object_type = 32 + bits.read(6).map_err(bad)?;
    }
    if object_type == 0 {
        return Err(Fmp4Error::Invalid("audio object type 0"));
    }
    const RATES: [u32; 13] = [
        96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
        8_000, 7_350,
    ];
    let index = bits.read(4).map_err(bad)?;
    let sample_rate = match index {
        15 => bits.read(24).map_err(bad)?,
        i => *RATES
            .get(i as usize)
            .ok_or(Fmp4Error::Invalid("sampling frequency index"))?,
    };
    let channels = match bits.read(4).map_err(bad)? {
        c @ 0..=6 => c as u16,
        7 => 8,
        // 11: 6.1, 12 and 14: 7.1 (ISO/IEC 14496-3 amendment 4).
        11 => 7,
        12 | 14 => 8,
        13 => 24,
        _ => return Err(Fmp4Error::Invalid("AAC channel configuration")),
    };
    Ok(AudioSpecificConfig {
        object_type,
        sample_rate,
        channels,
    })
}

/// Sample rate and channel count from the STREAMINFO block of a `dfLa`.
fn flac_stream_info(dfla: &[u8]) -> Result<(u32, u16), Fmp4Error> {
    let mut r = Reader::new(dfla);
    r.skip(4).map_err(short(b"dfLa"))?;
    let header = r.u8().map_err(short(b"dfLa"))?;
    let len = r.u24().map_err(short(b"dfLa"))?;
    if header & 0x7f != 0 || len < 34 {
        return Err(Fmp4Error::Invalid("dfLa without STREAMINFO first"));
    }
    // Block sizes (2 × 16 bits) and frame sizes (2 × 24 bits), then rate(20) channels(3).
    r.skip(10).map_err(short(b"dfLa"))?;
    let packed = r.u32().map_err(short(b"dfLa"))?;
    let rate = packed >> 12;
    let channels = ((packed >> 9) & 0x7) as u16 + 1;
    Ok((rate, channels))
}
