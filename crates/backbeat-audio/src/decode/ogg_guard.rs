//! A guard in front of symphonia's Ogg reader: every Vorbis comment (and Ogg FLAC picture) in the
//! file must fit in its packet.
//!
//! symphonia-format-ogg 0.5.5 parses comment packets with the function that aborted the FLAC
//! reader (`read_comment_no_framing`, see `flac_guard`): the Vorbis mapping every `\x03vorbis`
//! header packet, the Opus mapping `OpusTags` packets, and the Ogg FLAC mapping VORBIS_COMMENT
//! and PICTURE packets. Each comment length is allocated before it is read, so a 4-byte length
//! of 4 GiB in a small packet aborts the process. The mappings parse such packets wherever they
//! turn up in a stream — not only among the headers — so the whole file is scanned, not a prefix.
//!
//! The scan follows symphonia's reader: it finds pages the same way (capture pattern, version
//! and flags, CRC; a bad page is skipped by resyncing), gives a stream a mapping from the first
//! packet of its first page, and joins packets across pages with the same rules for lost pages
//! and the same 16 MiB cap. Only packets that symphonia would parse as comments are kept (at
//! most 16 MiB each); the rest are only counted. A comment field that is merely cut off is left
//! alone: symphonia skips that packet with a warning and plays the audio.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Seek, SeekFrom};

use symphonia::core::checksum::Crc32;
use symphonia::core::errors::Result as SymResult;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, Monitor, ReadBytes};
use symphonia::default::formats::OggReader;

use super::flac_guard::{picture_fits, vorbis_comment_fits, Misfit};

/// The longest packet symphonia joins across pages (`LogicalStream::MAX_PACKET_LEN`).
const MAX_PACKET_LEN: usize = 16 << 20;
/// Bytes read from the file at a time; more than the largest page (65,307 bytes).
const READ_BYTES: usize = 256 << 10;
const PAGE_HEADER_LEN: usize = 27;

/// symphonia's Ogg reader, run after [`check`] on a seekable stream (ours always are).
pub(super) fn open_ogg(
    mut mss: MediaSourceStream,
    opts: &FormatOptions,
) -> SymResult<Box<dyn FormatReader>> {
    if mss.is_seekable() {
        // The probe leaves the stream at the first `OggS`, where the reader starts.
        let start = mss.pos();
        // symphonia's static error messages cannot carry the reason; an I/O error can.
        check(&mut mss, start).map_err(|reason| io::Error::new(ErrorKind::InvalidData, reason))?;
        mss.seek(SeekFrom::Start(start))?;
    }
    Ok(Box::new(OggReader::try_new(mss, opts)?))
}

/// Checks every comment packet of the Ogg file from `start`; the reason if a length in one
/// would have symphonia allocate beyond the packet.
pub(super) fn check(file: &mut (impl Read + Seek), start: u64) -> Result<(), String> {
    let mut pages = Pages::new(file, start).map_err(|e| e.to_string())?;
    let mut streams: HashMap<u32, Stream> = HashMap::new();
    let mut in_first_pages = false;
    while let Some(page) = pages.next_page().map_err(|e| e.to_string())? {
        if let Some(stream) = streams.get_mut(&page.serial) {
            // symphonia maps a first page's packets only when it meets it among a stream's
            // headers; checking them always costs nothing.
            stream.read_page(&page)?;
        }
        if page.is_first() {
            // A run of first pages starts a new physical stream (chaining): symphonia drops
            // the old streams and maps each new one by its identification packet.
            if !in_first_pages {
                streams.clear();
            }
            if let Some(id) = page.packets().next() {
                streams.insert(page.serial, Stream::new(page.serial, Mapping::of(id)));
            }
        }
        in_first_pages = page.is_first();
    }
    Ok(())
}

/// The codec mapping symphonia picks for a stream, by its identification packet.
#[derive(Clone, Copy, Debug)]
enum Mapping {
    Vorbis,
    Opus,
    Flac,
    /// No mapping parses comments.
    Other,
}

impl Mapping {
    fn of(id_packet: &[u8]) -> Mapping {
        if id_packet.starts_with(b"\x01vorbis") {
            Mapping::Vorbis
        } else if id_packet.starts_with(b"OpusHead") {
            Mapping::Opus
        } else if id_packet.starts_with(b"\x7fFLAC") {
            Mapping::Flac
        } else {
            Mapping::Other
        }
    }

    /// Whether symphonia parses a packet that starts with `head` as a comment or picture.
    fn parses_as_comment(self, head: &[u8]) -> bool {
        match self {
            Mapping::Vorbis => head.starts_with(b"\x03vorbis"),
            Mapping::Opus => head.starts_with(b"OpusTags"),
            // A metadata block header; 0xFF starts an audio frame.
            Mapping::Flac => {
                matches!(head.first(), Some(&b) if b != 0xFF && matches!(b & 0x7F, 4 | 6))
            }
            Mapping::Other => false,
        }
    }

    /// Checks a packet for which [`Mapping::parses_as_comment`] holds.
    fn check(self, packet: &[u8]) -> Result<(), Misfit> {
        let body = |skip: usize| packet.get(skip..).unwrap_or_default();
        match self {
            Mapping::Vorbis => vorbis_comment_fits(body(7)),
            Mapping::Opus => vorbis_comment_fits(body(8)),
            // symphonia reads the block from the packet and ignores the block's length.
            Mapping::Flac if packet.first().is_some_and(|b| b & 0x7F == 4) => {
                vorbis_comment_fits(body(4))
            }
            Mapping::Flac => picture_fits(body(4)),
            Mapping::Other => Ok(()),
        }
    }
}

/// One logical stream, as symphonia's `LogicalStream` joins its packets.
struct Stream {
    serial: u32,
    mapping: Mapping,
    last_sequence: Option<u32>,
    /// The start of a packet that continues on a later page.
    partial: Option<Partial>,
}

struct Partial {
    len: usize,
    /// The bytes so far, kept only for a packet symphonia parses as a comment.
    comment: Option<Vec<u8>>,
}

impl Stream {
    fn new(serial: u32, mapping: Mapping) -> Stream {
        Stream {
            serial,
            mapping,
            last_sequence: None,
            partial: None,
        }
    }

    /// Joins the packets of `page` as symphonia does and checks the comments among them.
    fn read_page(&mut self, page: &Page) -> Result<(), String> {
        // A lost or reordered page drops the partial packet.
        if let Some(last) = self.last_sequence {
            if page.sequence < last || page.sequence - last > 1 {
                self.partial = None;
            }
        }
        self.last_sequence = Some(page.sequence);
        let mut packets = page.packets();
        if !page.is_continuation() {
            self.partial = None;
        } else if self.partial.is_none() {
            // A continuation with nothing to continue: its first packet is dropped, or the
            // whole page (with its partial packet) when no packet ends on it.
            if packets.next().is_none() {
                return Ok(());
            }
        }
        for piece in packets {
            match self.partial.take() {
                None if self.mapping.parses_as_comment(piece) => self.check(piece)?,
                None => {}
                Some(Partial {
                    comment: Some(mut bytes),
                    ..
                }) => {
                    bytes.extend_from_slice(piece);
                    self.check(&bytes)?;
                }
                Some(Partial { comment: None, .. }) => {}
            }
        }
        let tail = page.partial_packet();
        if !tail.is_empty() {
            self.keep_partial(tail);
        }
        Ok(())
    }

    fn keep_partial(&mut self, tail: &[u8]) {
        match &mut self.partial {
            None => {
                let comment = self.mapping.parses_as_comment(tail).then(|| tail.to_vec());
                self.partial = Some(Partial {
                    len: tail.len(),
                    comment,
                });
            }
            // Over the cap symphonia refuses the page's part and keeps what it had.
            Some(partial) if partial.len + tail.len() > MAX_PACKET_LEN => {}
            Some(partial) => {
                partial.len += tail.len();
                if let Some(bytes) = &mut partial.comment {
                    bytes.extend_from_slice(tail);
                }
            }
        }
    }

    fn check(&self, packet: &[u8]) -> Result<(), String> {
        match self.mapping.check(packet) {
            Err(Misfit::Allocation(reason)) => Err(format!(
                "Ogg {:?} stream {:#x}: comment packet of {} bytes declares {reason}",
                self.mapping,
                self.serial,
                packet.len()
            )),
            // symphonia's read fails without allocating; it skips the packet.
            Err(Misfit::Truncation(_)) | Ok(()) => Ok(()),
        }
    }
}

/// A page that passed symphonia's checks.
struct Page {
    flags: u8,
    serial: u32,
    sequence: u32,
    /// Lengths of the packets that end on this page.
    packet_lens: Vec<usize>,
    body: Vec<u8>,
}

impl Page {
    fn is_continuation(&self) -> bool {
        self.flags & 0x01 != 0
    }

    fn is_first(&self) -> bool {
        self.flags & 0x02 != 0
    }

    /// The packets (or packet ends) that end on this page.
    fn packets(&self) -> impl Iterator<Item = &[u8]> {
        let mut at = 0;
        self.packet_lens.iter().map(move |&len| {
            let packet = self.body.get(at..at + len).unwrap_or_default();
            at += len;
            packet
        })
    }

    /// The start of a packet that continues on the next page; empty if none.
    fn partial_packet(&self) -> &[u8] {
        let ended: usize = self.packet_lens.iter().sum();
        self.body.get(ended..).unwrap_or_default()
    }
}

/// The pages of a file, found as symphonia's `PageReader` finds them.
struct Pages<'f, F> {
    file: &'f mut F,
    len: u64,
    /// Where the search for the next page starts.
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'f, F: Read + Seek> Pages<'f, F> {
    fn new(file: &'f mut F, start: u64) -> io::Result<Self> {
        let len = file.seek(SeekFrom::End(0))?;
        Ok(Pages {
            file,
            len,
            pos: start,
            buf: Vec::with_capacity(READ_BYTES),
            buf_start: start,
        })
    }

    /// The next valid page, or `None` at the end of the file.
    fn next_page(&mut self) -> io::Result<Option<Page>> {
        loop {
            let Some(at) = self.find_capture_pattern()? else {
                return Ok(None);
            };
            let Some(header) = self.bytes(at, PAGE_HEADER_LEN)? else {
                return Ok(None);
            };
            let header: [u8; PAGE_HEADER_LEN] = header.try_into().unwrap_or([0; PAGE_HEADER_LEN]);
            // A bad version or flags: symphonia resumes the search after the header.
            if header[4] != 0 || header[5] & 0xF8 != 0 {
                self.pos = at + PAGE_HEADER_LEN as u64;
                continue;
            }
            let segments = usize::from(header[26]);
            let Some(lacing) = self.bytes(at + PAGE_HEADER_LEN as u64, segments)? else {
                return Ok(None);
            };
            let lacing = lacing.to_vec();
            let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
            let page_len = PAGE_HEADER_LEN + segments + body_len;
            let Some(whole) = self.bytes(at, page_len)? else {
                return Ok(None);
            };
            // A bad checksum: symphonia resumes the search just after the capture pattern.
            if crc(whole) != u32::from_le_bytes([header[22], header[23], header[24], header[25]]) {
                self.pos = at + 4;
                continue;
            }
            let body = whole[PAGE_HEADER_LEN + segments..].to_vec();
            self.pos = at + page_len as u64;
            // A segment shorter than 255 bytes ends a packet.
            let mut packet_lens = Vec::new();
            let mut packet_len = 0;
            for &l in &lacing {
                packet_len += usize::from(l);
                if l < 255 {
                    packet_lens.push(packet_len);
                    packet_len = 0;
                }
            }
            let le32 = |i: usize| {
                u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]])
            };
            return Ok(Some(Page {
                flags: header[5],
                serial: le32(14),
                sequence: le32(18),
                packet_lens,
                body,
            }));
        }
    }

    /// Where the next `OggS` from `self.pos` starts.
    fn find_capture_pattern(&mut self) -> io::Result<Option<u64>> {
        loop {
            // What is buffered from `pos` if that holds a page header, else a fresh read:
            // pages follow one another, so one read serves many of them.
            let buffered_end = self.buf_start + self.buf.len() as u64;
            let want = if self.pos >= self.buf_start
                && buffered_end >= self.pos + PAGE_HEADER_LEN as u64
            {
                buffered_end - self.pos
            } else {
                self.len.saturating_sub(self.pos).min(READ_BYTES as u64)
            };
            let Some(window) = self.bytes(self.pos, want as usize)? else {
                return Ok(None);
            };
            if window.len() < 4 {
                return Ok(None);
            }
            if let Some(i) = window.windows(4).position(|w| w == b"OggS") {
                return Ok(Some(self.pos + i as u64));
            }
            // The pattern may straddle the end of the window.
            self.pos += (window.len() - 3) as u64;
        }
    }

    /// The `n` bytes at `at`, or `None` if the file ends first.
    fn bytes(&mut self, at: u64, n: usize) -> io::Result<Option<&[u8]>> {
        if at + n as u64 > self.len {
            return Ok(None);
        }
        let buffered =
            at >= self.buf_start && at + n as u64 <= self.buf_start + self.buf.len() as u64;
        if !buffered {
            self.file.seek(SeekFrom::Start(at))?;
            self.buf.clear();
            let want = n.max(READ_BYTES) as u64;
            (&mut *self.file).take(want).read_to_end(&mut self.buf)?;
            self.buf_start = at;
        }
        let from = (at - self.buf_start) as usize;
        Ok(self.buf.get(from..from + n))
    }
}

/// The Ogg page checksum (CRC-32, polynomial 0x04C11DB7), with the checksum field as zeros.
fn crc(page: &[u8]) -> u32 {
    let mut crc = Crc32::new(0);
    crc.process_buf_bytes(page.get(..22).unwrap_or_default());
    crc.process_buf_bytes(&[0; 4]);
    crc.process_buf_bytes(page.get(26..).unwrap_or_default());
    crc.crc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const SERIAL: u32 = 7;
    const FIRST: u8 = 0x02;
    const CONTINUED: u8 = 0x01;

    /// A page of `serial` with the given lacing values and body, its checksum filled in.
    fn page(flags: u8, sequence: u32, lacing: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = b"OggS\0".to_vec();
        out.push(flags);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&SERIAL.to_le_bytes());
        out.extend_from_slice(&sequence.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.push(lacing.len() as u8);
        out.extend_from_slice(lacing);
        out.extend_from_slice(body);
        let crc = crc(&out);
        out[22..26].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// A Vorbis identification page, then `pages`.
    fn vorbis(pages: &[Vec<u8>]) -> Cursor<Vec<u8>> {
        let id = b"\x01vorbis-identification-header";
        let mut out = page(FIRST, 0, &[id.len() as u8], id);
        pages.iter().for_each(|p| out.extend_from_slice(p));
        Cursor::new(out)
    }

    /// A Vorbis comment packet: no vendor, one comment whose length field says `declared`,
    /// padded to `len` bytes.
    fn comment_packet(declared: u32, len: usize) -> Vec<u8> {
        let mut out = b"\x03vorbis".to_vec();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&declared.to_le_bytes());
        out.resize(len, b'x');
        out
    }

    #[test]
    fn a_comment_that_fits_passes() {
        let packet = comment_packet(100, 119);
        let mut file = vorbis(&[page(0, 1, &[119], &packet)]);
        assert_eq!(check(&mut file, 0), Ok(()));
    }

    #[test]
    fn a_comment_joined_across_pages_is_checked_whole() {
        // 300 bytes: 255 on the first page (continued), 45 on the second.
        let fits = comment_packet(281, 300);
        let mut file = vorbis(&[
            page(0, 1, &[255], &fits[..255]),
            page(CONTINUED, 2, &[45], &fits[255..]),
        ]);
        assert_eq!(check(&mut file, 0), Ok(()));
        let hostile = comment_packet(282, 300);
        let mut file = vorbis(&[
            page(0, 1, &[255], &hostile[..255]),
            page(CONTINUED, 2, &[45], &hostile[255..]),
        ]);
        let err = check(&mut file, 0).unwrap_err();
        assert!(
            err.contains("packet of 300 bytes declares a comment of 282 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_page_symphonia_skips_is_not_held_against_the_file() {
        let mut hostile = page(0, 1, &[19], &comment_packet(u32::MAX, 19));
        hostile[30] ^= 1; // the checksum no longer matches
        assert_eq!(check(&mut vorbis(&[hostile]), 0), Ok(()));
    }

    #[test]
    fn a_page_found_by_resyncing_is_checked() {
        // A capture pattern with a bad version: symphonia skips its 27 header bytes and finds
        // the page after them.
        let mut bytes = b"OggS".to_vec();
        bytes.extend_from_slice(&[0xAA; 30]);
        bytes.extend_from_slice(&page(0, 1, &[19], &comment_packet(u32::MAX, 19)));
        let err = check(&mut vorbis(&[bytes]), 0).unwrap_err();
        assert!(err.contains("4294967295"), "{err}");
    }

    #[test]
    fn a_cut_off_comment_is_left_to_symphonia() {
        // A vendor string longer than the packet: symphonia skips the packet, allocating nothing.
        let mut packet = comment_packet(0, 19);
        packet[7..11].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(check(&mut vorbis(&[page(0, 1, &[19], &packet)]), 0), Ok(()));
    }

    #[test]
    fn comment_packets_of_streams_without_a_comment_mapping_are_ignored() {
        let id = b"unknown codec";
        let mut bytes = page(FIRST, 0, &[id.len() as u8], id);
        bytes.extend_from_slice(&page(0, 1, &[19], &comment_packet(u32::MAX, 19)));
        assert_eq!(check(&mut Cursor::new(bytes), 0), Ok(()));
    }
}
