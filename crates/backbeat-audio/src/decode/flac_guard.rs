//! A guard in front of symphonia's FLAC reader: every length a metadata block declares must fit
//! in the block, and every block in the file.
//!
//! symphonia-metadata 0.5.5 allocates from declared lengths before reading the bytes they
//! describe: `vec![0; comment_length]` for each Vorbis comment (`vorbis.rs`,
//! `read_comment_no_framing`), and a buffer of the declared size for a PICTURE block's media
//! type, description and picture data (`flac.rs`, `read_picture_block`). Each length is a 4-byte
//! field, so a 15 KiB file can ask for 4 GiB, and a failed allocation aborts the process — no
//! `catch_unwind` contains it. symphonia reads each block through a `ScopedStream` that stops
//! reads at the block's end, but the buffer is allocated before the read is refused. Found by
//! `fuzz/fuzz_targets/decode.rs`.
//!
//! So before symphonia sees a FLAC stream, its metadata blocks are walked: each must fit in the
//! file, and the VORBIS_COMMENT and PICTURE blocks are read (each at most 16 MiB, a block's
//! 24-bit length) and their fields checked against the block. The other blocks need no more:
//! APPLICATION allocates its block length less 4 (bounded by the block, checked against the
//! file), SEEKTABLE, CUESHEET and STREAMINFO read fixed-size fields or at most 255 entries.
//!
//! The same comment and picture checks serve the Ogg guard (`ogg_guard`), where Vorbis, Opus
//! and FLAC streams carry the same structures in their header packets.

use std::io::{self, ErrorKind, Read, Seek, SeekFrom};

use symphonia::core::errors::Result as SymResult;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadBytes};
use symphonia::default::formats::FlacReader;

/// FLAC metadata block types whose bodies the guard reads.
const APPLICATION: u8 = 2;
const VORBIS_COMMENT: u8 = 4;
const PICTURE: u8 = 6;

/// symphonia's FLAC reader, run after [`check`] on a seekable stream (ours always are).
pub(super) fn open_flac(
    mut mss: MediaSourceStream,
    opts: &FormatOptions,
) -> SymResult<Box<dyn FormatReader>> {
    if mss.is_seekable() {
        // The probe leaves the stream at the `fLaC` marker, which the reader reads itself.
        let start = mss.pos();
        // symphonia's static error messages cannot carry the reason; an I/O error can.
        check(&mut mss, start).map_err(|reason| io::Error::new(ErrorKind::InvalidData, reason))?;
        mss.seek(SeekFrom::Start(start))?;
    }
    Ok(Box::new(FlacReader::try_new(mss, opts)?))
}

/// Checks the metadata blocks of the FLAC stream whose `fLaC` marker is at `start`; the reason
/// if a block or a length inside one does not fit.
pub(super) fn check(file: &mut (impl Read + Seek), start: u64) -> Result<(), String> {
    let len = file.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    let mut pos = start + 4;
    loop {
        file.seek(SeekFrom::Start(pos)).map_err(|e| e.to_string())?;
        let mut header = [0u8; 4];
        match file.read_exact(&mut header) {
            // Cut short before the last block: symphonia reports that itself.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(()),
            other => other.map_err(|e| e.to_string())?,
        }
        let is_last = header[0] & 0x80 != 0;
        let block_type = header[0] & 0x7F;
        let block_len = u32::from_be_bytes([0, header[1], header[2], header[3]]);
        let body_start = pos + 4;
        let body_end = body_start + u64::from(block_len);
        let block = || format!("FLAC {} block at offset {pos}", block_name(block_type));
        if body_end > len {
            return Err(format!(
                "{} declares {block_len} bytes, past the end of the file ({len} bytes)",
                block()
            ));
        }
        match block_type {
            APPLICATION if block_len < 4 => {
                return Err(format!("{} is too short for its 4-byte id", block()));
            }
            VORBIS_COMMENT | PICTURE => {
                let mut body = vec![0u8; block_len as usize];
                file.read_exact(&mut body).map_err(|e| e.to_string())?;
                let fits = if block_type == VORBIS_COMMENT {
                    vorbis_comment_fits(&body)
                } else {
                    picture_fits(&body)
                };
                // symphonia refuses a block whose fields overrun it anyway; this says why,
                // before it allocates.
                fits.map_err(|misfit| format!("{}: {}", block(), misfit.reason()))?;
            }
            _ => {}
        }
        if is_last {
            return Ok(());
        }
        pos = body_end;
    }
}

/// How a field runs past the end of the bytes that hold it.
#[derive(Debug, PartialEq)]
pub(super) enum Misfit {
    /// A length symphonia allocates a buffer of before reading: it could ask for 4 GiB.
    Allocation(String),
    /// A field cut off: symphonia's read fails without allocating for it.
    Truncation(String),
}

impl Misfit {
    pub(super) fn reason(self) -> String {
        match self {
            Misfit::Allocation(reason) | Misfit::Truncation(reason) => reason,
        }
    }
}

/// Checks a Vorbis comment (without framing bit) in symphonia's reading order: vendor length
/// and string, comment count, then each comment's length and string.
pub(super) fn vorbis_comment_fits(data: &[u8]) -> Result<(), Misfit> {
    let mut fields = Fields(data);
    let vendor_len = fields
        .le32()
        .ok_or_else(|| Misfit::Truncation("no room for the vendor length".into()))?;
    fields.skip(vendor_len).map_err(|left| {
        Misfit::Truncation(format!(
            "vendor string of {vendor_len} bytes, with {left} bytes left"
        ))
    })?;
    let count = fields
        .le32()
        .ok_or_else(|| Misfit::Truncation("no room for the comment count".into()))?;
    // Each comment takes at least its 4-byte length, so the loop ends within `data`.
    for _ in 0..count {
        let comment_len = fields.le32().ok_or_else(|| {
            Misfit::Truncation(format!(
                "{count} comments declared, more than its {} bytes hold",
                data.len()
            ))
        })?;
        fields.skip(comment_len).map_err(|left| {
            Misfit::Allocation(format!(
                "a comment of {comment_len} bytes, with {left} bytes left"
            ))
        })?;
    }
    Ok(())
}

/// Checks a FLAC PICTURE block body in symphonia's reading order: picture type, media type,
/// description, four 4-byte fields (size, depth, colours), then the picture data.
pub(super) fn picture_fits(data: &[u8]) -> Result<(), Misfit> {
    let mut fields = Fields(data);
    let cut = |what: &str| Misfit::Truncation(format!("no room for the picture's {what}"));
    fields.be32().ok_or_else(|| cut("type"))?;
    for what in ["media type", "description"] {
        let len = fields.be32().ok_or_else(|| cut(what))?;
        fields.skip(len).map_err(|left| {
            Misfit::Allocation(format!("a {what} of {len} bytes, with {left} bytes left"))
        })?;
    }
    fields.skip(16).map_err(|_| cut("dimensions"))?;
    let data_len = fields.be32().ok_or_else(|| cut("data length"))?;
    fields.skip(data_len).map_err(|left| {
        Misfit::Allocation(format!(
            "picture data of {data_len} bytes, with {left} bytes left"
        ))
    })?;
    Ok(())
}

/// The unread rest of a block or packet, read front to back.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take4(&mut self) -> Option<[u8; 4]> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(*head)
    }

    fn le32(&mut self) -> Option<u32> {
        self.take4().map(u32::from_le_bytes)
    }

    fn be32(&mut self) -> Option<u32> {
        self.take4().map(u32::from_be_bytes)
    }

    /// Skips `n` bytes; the number of bytes left if there are fewer.
    fn skip(&mut self, n: u32) -> Result<(), usize> {
        let rest = self.0.get(n as usize..).ok_or(self.0.len())?;
        self.0 = rest;
        Ok(())
    }
}

fn block_name(block_type: u8) -> String {
    match block_type {
        0 => "STREAMINFO".into(),
        1 => "PADDING".into(),
        APPLICATION => "APPLICATION".into(),
        3 => "SEEKTABLE".into(),
        VORBIS_COMMENT => "VORBIS_COMMENT".into(),
        5 => "CUESHEET".into(),
        PICTURE => "PICTURE".into(),
        other => format!("type {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A metadata block: header (last flag, type, 24-bit length) and body.
    fn block(last: bool, block_type: u8, body: &[u8]) -> Vec<u8> {
        let len = (body.len() as u32).to_be_bytes();
        let mut out = vec![
            block_type | if last { 0x80 } else { 0 },
            len[1],
            len[2],
            len[3],
        ];
        out.extend_from_slice(body);
        out
    }

    fn comment(vendor: &[u8], comments: &[&[u8]]) -> Vec<u8> {
        let mut out = (vendor.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(vendor);
        out.extend_from_slice(&(comments.len() as u32).to_le_bytes());
        for c in comments {
            out.extend_from_slice(&(c.len() as u32).to_le_bytes());
            out.extend_from_slice(c);
        }
        out
    }

    fn picture(media_type: &[u8], description: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = 3u32.to_be_bytes().to_vec();
        for field in [media_type, description] {
            out.extend_from_slice(&(field.len() as u32).to_be_bytes());
            out.extend_from_slice(field);
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(data);
        out
    }

    fn flac(blocks: &[Vec<u8>]) -> Cursor<Vec<u8>> {
        let mut out = b"fLaC".to_vec();
        blocks.iter().for_each(|b| out.extend_from_slice(b));
        out.extend_from_slice(&[0xFF, 0xF8, 0, 0]); // the start of a frame
        Cursor::new(out)
    }

    fn patch(bytes: &mut [u8], at: usize, value: [u8; 4]) {
        bytes[at..at + 4].copy_from_slice(&value);
    }

    #[test]
    fn well_formed_blocks_pass() {
        let mut file = flac(&[
            block(false, 0, &[0; 34]),
            block(false, VORBIS_COMMENT, &comment(b"ref", &[b"TITLE=x", b""])),
            block(false, PICTURE, &picture(b"image/png", b"cover", &[1, 2, 3])),
            block(false, APPLICATION, b"abcd"),
            block(true, 1, &[0; 10]),
        ]);
        assert_eq!(check(&mut file, 0), Ok(()));
    }

    #[test]
    fn a_comment_longer_than_its_block_is_an_allocation() {
        let mut body = comment(b"ref", &[b"TITLE=x"]);
        patch(&mut body, 11, 0xFFFF_FFF0u32.to_le_bytes());
        assert!(matches!(
            vorbis_comment_fits(&body),
            Err(Misfit::Allocation(m)) if m.contains("4294967280")
        ));
        let mut file = flac(&[block(true, VORBIS_COMMENT, &body)]);
        let err = check(&mut file, 0).unwrap_err();
        assert!(
            err.starts_with("FLAC VORBIS_COMMENT block at offset 4: a comment of"),
            "{err}"
        );
    }

    #[test]
    fn vendor_and_count_beyond_the_block_are_refused() {
        let mut vendor = comment(b"ref", &[]);
        patch(&mut vendor, 0, u32::MAX.to_le_bytes());
        assert!(
            matches!(vorbis_comment_fits(&vendor), Err(Misfit::Truncation(m)) if m.contains("vendor"))
        );
        let mut count = comment(b"ref", &[b"A=b"]);
        patch(&mut count, 7, u32::MAX.to_le_bytes());
        assert!(
            matches!(vorbis_comment_fits(&count), Err(Misfit::Truncation(m)) if m.contains("4294967295 comments"))
        );
        // A huge count whose first comment asks for 4 GiB: the allocation comes first.
        let mut both = comment(b"ref", &[b"A=b"]);
        patch(&mut both, 7, u32::MAX.to_le_bytes());
        patch(&mut both, 11, u32::MAX.to_le_bytes());
        assert!(matches!(
            vorbis_comment_fits(&both),
            Err(Misfit::Allocation(_))
        ));
    }

    #[test]
    fn picture_lengths_beyond_the_block_are_allocations() {
        let good = picture(b"image/png", b"cover", &[1, 2, 3]);
        // Media type length at 4, description length after the 9-byte type, data length last.
        for at in [4, 17, good.len() - 7] {
            let mut body = good.clone();
            patch(&mut body, at, u32::MAX.to_be_bytes());
            assert!(
                matches!(picture_fits(&body), Err(Misfit::Allocation(_))),
                "at {at}"
            );
        }
        assert!(matches!(
            picture_fits(&good[..30]),
            Err(Misfit::Truncation(_))
        ));
    }

    #[test]
    fn a_block_past_the_end_of_the_file_is_refused() {
        let mut file = flac(&[block(true, 1, &[0; 10])]);
        // A PADDING block of 16 MiB in a file of 22 bytes.
        file.get_mut()[5..8].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
        let err = check(&mut file, 0).unwrap_err();
        assert!(
            err.contains("PADDING block at offset 4 declares 16777215 bytes, past the end"),
            "{err}"
        );
    }

    #[test]
    fn a_short_application_block_is_refused() {
        let mut file = flac(&[block(true, APPLICATION, b"ab")]);
        assert!(check(&mut file, 0).unwrap_err().contains("too short"));
    }

    #[test]
    fn the_walk_starts_at_the_marker_and_stops_at_the_last_block() {
        // Junk before the marker (an ID3 tag the probe skipped) and audio after the last block.
        let mut bytes = b"ID3 junk".to_vec();
        bytes.extend_from_slice(flac(&[block(true, VORBIS_COMMENT, &comment(b"", &[]))]).get_ref());
        bytes.extend_from_slice(&[0xFF; 64]);
        assert_eq!(check(&mut Cursor::new(bytes), 8), Ok(()));
    }
}
