//! A guard in front of symphonia's MP4 demuxer: every size and count the file declares must fit
//! in the bytes it actually has.
//!
//! symphonia-format-isomp4 0.5.5 allocates from declared numbers before reading the data they
//! describe: `Vec::with_capacity(entry_count)` for the sample tables (`stsz`, `stco`, `co64`,
//! `stts`, `stsc`; up to 32 GiB for a 4-byte count), a zeroed buffer of the declared size for
//! each sample (`stsz`, `trun` and the fragment defaults), and `data_len - 24` bytes for `hdlr`
//! whatever the parent box holds. A 30 KiB file can ask for gigabytes, and a failed allocation
//! aborts the process — no `catch_unwind` contains it. Found by `fuzz/fuzz_targets/mp4.rs`.
//!
//! So before symphonia sees an MP4 file, its `moov` and `moof` boxes are read (each at most
//! [`MAX_META_BYTES`]) and walked: a box must fit in its parent, a table's entries must fit in
//! its box, and no sample may be larger than the file. `mdat` is not read, and a file cut short
//! inside it still decodes up to the cut.

use std::io::{self, ErrorKind, Read, Seek, SeekFrom};

use symphonia::core::errors::Result as SymResult;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadBytes};
use symphonia::default::formats::IsoMp4Reader;

use super::mp4::read_box_header;

/// Largest `moov` or `moof` box read; hours of audio need a few MiB of sample tables.
const MAX_META_BYTES: u64 = 64 << 20;
/// Deepest box nesting walked (`moov/trak/mdia/minf/stbl/stsd/mp4a/esds` is 8).
const MAX_DEPTH: u32 = 12;

/// symphonia's MP4 reader, run after [`check`] on a seekable stream (ours always are).
pub(super) fn open_mp4(
    mut mss: MediaSourceStream,
    opts: &FormatOptions,
) -> SymResult<Box<dyn FormatReader>> {
    if mss.is_seekable() {
        // The probe leaves the stream after the `ftyp` marker, 4 bytes into the file.
        let start = mss.pos().saturating_sub(4);
        // symphonia's static error messages cannot carry the reason; an I/O error can.
        check(&mut mss, start).map_err(|reason| io::Error::new(ErrorKind::InvalidData, reason))?;
        // Back to where the probe left it, with the marker in the buffer: the reader steps
        // back over it (`seek_buffered_rel(-4)`).
        mss.seek(SeekFrom::Start(start))?;
        mss.ignore_bytes(4)?;
    }
    Ok(Box::new(IsoMp4Reader::try_new(mss, opts)?))
}

/// Checks the declared sizes of the MP4 file that starts at `start`; the reason if one does
/// not fit in the file.
pub(super) fn check(file: &mut (impl Read + Seek), start: u64) -> Result<(), String> {
    let len = file.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    let mut pos = start;
    while pos + 8 <= len {
        file.seek(SeekFrom::Start(pos)).map_err(|e| e.to_string())?;
        // A top-level box that claims more than the file is a truncated file (usually in
        // `mdat`): symphonia reads what there is.
        let Some((size, kind, header)) = read_box_header(file, len - pos) else {
            return Ok(());
        };
        if matches!(&kind, b"moov" | b"moof") {
            if size > MAX_META_BYTES {
                return Err(format!(
                    "{} box of {size} bytes, over the limit of {MAX_META_BYTES}",
                    fourcc(&kind)
                ));
            }
            let mut body = vec![0u8; (size - header) as usize];
            file.read_exact(&mut body).map_err(|e| e.to_string())?;
            Walk { file_len: len }.children(&body, 0)?;
        }
        pos += size;
    }
    Ok(())
}

struct Walk {
    file_len: u64,
}

impl Walk {
    /// Walks the boxes packed in `data`, each of which must fit in it.
    fn children(&self, data: &[u8], depth: u32) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("MP4 boxes nested too deep".into());
        }
        self.each(data, |kind, body| self.one(kind, body, depth))
    }

    /// Calls `f` with the type and body of every box packed in `data`.
    fn each(
        &self,
        data: &[u8],
        mut f: impl FnMut(&[u8; 4], &[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut rest = data;
        while !rest.is_empty() {
            let (kind, body, next) = split_box(rest)?;
            f(&kind, body)?;
            rest = next;
        }
        Ok(())
    }

    fn one(&self, kind: &[u8; 4], body: &[u8], depth: u32) -> Result<(), String> {
        let at = |offset: usize| body.get(offset..).ok_or_else(|| short(kind));
        match kind {
            b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" | b"edts" | b"dinf" | b"mvex"
            | b"udta" | b"moof" | b"traf" => self.children(body, depth + 1),
            // MP4's `meta` is a full box (version and flags before the children), QuickTime's
            // is not; both start with `hdlr`.
            b"meta" if body.get(8..12) == Some(b"hdlr") => self.children(at(4)?, depth + 1),
            b"meta" => self.children(body, depth + 1),
            // Every tag item is a container of `data` (and `mean`, `name`) boxes.
            b"ilst" => self.each(body, |_, item| self.children(item, depth + 2)),
            // Version and flags, an entry count, then the entries as boxes.
            b"stsd" => self.children(at(8)?, depth + 1),
            // Audio sample entries: 28 bytes of fields (16 more in version 1, 36 in version 2).
            b"mp4a" | b"alac" | b"fLaC" | b"Opus" => {
                let extra = match be16(body, 8) {
                    Some(1) => 16,
                    Some(2) => 36,
                    _ => 0,
                };
                self.children(at(28 + extra)?, depth + 1)
            }
            b"hdlr" if body.len() < 24 => Err(short(kind)),
            b"stsz" => self.stsz(body),
            b"stco" => table(kind, body, 4),
            b"co64" | b"stts" => table(kind, body, 8),
            b"stsc" => table(kind, body, 12),
            b"trex" => self.sample_size(be32(body, 16)),
            b"tfhd" => self.tfhd(body),
            b"trun" => self.trun(body),
            _ => Ok(()),
        }
    }

    fn stsz(&self, body: &[u8]) -> Result<(), String> {
        let size = be32(body, 4).ok_or_else(|| short(b"stsz"))?;
        let count = be32(body, 8).ok_or_else(|| short(b"stsz"))?;
        if size != 0 {
            return self.sample_size(Some(size));
        }
        let entries = entries(b"stsz", body, 12, count, 4)?;
        entries
            .chunks_exact(4)
            .try_for_each(|e| self.sample_size(be32(e, 0)))
    }

    fn tfhd(&self, body: &[u8]) -> Result<(), String> {
        let flags = be32(body, 0).ok_or_else(|| short(b"tfhd"))? & 0x00FF_FFFF;
        // track_id, then the optional fields in flag order.
        let mut offset = 8;
        for (flag, width) in [(0x01, 8), (0x02, 4), (0x08, 4)] {
            if flags & flag != 0 {
                offset += width;
            }
        }
        if flags & 0x10 != 0 {
            let size = be32(body, offset).ok_or_else(|| short(b"tfhd"))?;
            self.sample_size(Some(size))?;
        }
        Ok(())
    }

    fn trun(&self, body: &[u8]) -> Result<(), String> {
        let flags = be32(body, 0).ok_or_else(|| short(b"trun"))? & 0x00FF_FFFF;
        let count = be32(body, 4).ok_or_else(|| short(b"trun"))?;
        let mut offset = 8;
        for flag in [0x001, 0x004] {
            if flags & flag != 0 {
                offset += 4;
            }
        }
        let fields = [0x100, 0x200, 0x400, 0x800];
        let per_sample = fields.iter().filter(|&&f| flags & f != 0).count() * 4;
        let samples = entries(b"trun", body, offset, count, per_sample)?;
        if flags & 0x200 == 0 || per_sample == 0 {
            return Ok(());
        }
        // The size is the second field when the duration is present.
        let size_at = if flags & 0x100 != 0 { 4 } else { 0 };
        samples
            .chunks_exact(per_sample)
            .try_for_each(|s| self.sample_size(be32(s, size_at)))
    }

    fn sample_size(&self, size: Option<u32>) -> Result<(), String> {
        match size {
            Some(size) if u64::from(size) > self.file_len => Err(format!(
                "a sample of {size} bytes declared in a file of {} bytes",
                self.file_len
            )),
            _ => Ok(()),
        }
    }
}

/// A table box (version and flags, entry count, entries): the entries must be in the box.
fn table(kind: &[u8; 4], body: &[u8], entry_len: usize) -> Result<(), String> {
    let count = be32(body, 4).ok_or_else(|| short(kind))?;
    entries(kind, body, 8, count, entry_len).map(|_| ())
}

/// The `count` entries of `entry_len` bytes from `offset` in `body`, if they are all there.
fn entries<'a>(
    kind: &[u8; 4],
    body: &'a [u8],
    offset: usize,
    count: u32,
    entry_len: usize,
) -> Result<&'a [u8], String> {
    let bytes = (count as usize).saturating_mul(entry_len);
    body.get(offset..)
        .and_then(|rest| rest.get(..bytes))
        .ok_or_else(|| {
            format!(
                "{} declares {count} entries, more than its {} bytes hold",
                fourcc(kind),
                body.len()
            )
        })
}

/// A box's type, its body, and the bytes after it.
type Split<'a> = ([u8; 4], &'a [u8], &'a [u8]);

/// Splits the first box off `data`: its type, its body and what follows it.
fn split_box(data: &[u8]) -> Result<Split<'_>, String> {
    let bad = || format!("an MP4 box overruns its parent ({} bytes left)", data.len());
    let size32 = be32(data, 0).ok_or_else(bad)?;
    let kind: [u8; 4] = data
        .get(4..8)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(bad)?;
    let (size, header) = match size32 {
        0 => (data.len() as u64, 8),
        1 => (be64(data, 8).ok_or_else(bad)?, 16),
        s => (u64::from(s), 8),
    };
    if size < header || size > data.len() as u64 {
        return Err(format!(
            "{} box of {size} bytes overruns its parent ({} bytes left)",
            fourcc(&kind),
            data.len()
        ));
    }
    let (this, next) = data.split_at(size as usize);
    Ok((kind, &this[header as usize..], next))
}

fn short(kind: &[u8; 4]) -> String {
    format!("{} box too short for its fields", fourcc(kind))
}

fn fourcc(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}
