//! FLAC and Ogg files whose Vorbis comment or picture lengths do not fit in their block or
//! packet: refused before symphonia allocates a buffer of the declared length (up to 4 GiB; the
//! failed allocation aborted the process). Found by `fuzz/fuzz_targets/decode.rs`.

use std::ops::Range;
use std::sync::Arc;

use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_audio::AudioError;

use crate::common::fixture;

const VORBIS_COMMENT: u8 = 4;
const PADDING: u8 = 1;

fn open(bytes: Vec<u8>, extension: &str) -> Result<DecodedStream, AudioError> {
    DecodedStream::from_bytes(Arc::from(bytes), Some(extension), DecodeLimits::default())
}

/// Opens `bytes` expecting a refusal as corrupt whose reason contains `reason`.
fn assert_refused(bytes: Vec<u8>, extension: &str, reason: &str) {
    let err = open(bytes, extension).err().expect("refused");
    assert!(
        matches!(&err, AudioError::Corrupt(m) if m.contains(reason)),
        "expected a refusal containing {reason:?}, got {err}"
    );
}

/// Decodes to the end; the number of samples.
fn decode_all(bytes: Vec<u8>, extension: &str) -> usize {
    let mut stream = open(bytes, extension).unwrap();
    let mut samples = 0;
    while let Some(chunk) = stream.next_chunk().unwrap() {
        samples += chunk.samples.len();
    }
    samples
}

fn put(bytes: &mut [u8], at: usize, value: [u8; 4]) {
    bytes[at..at + 4].copy_from_slice(&value);
}

/// The header offset and body range of the first FLAC metadata block of `block_type`.
fn flac_block(bytes: &[u8], block_type: u8) -> (usize, Range<usize>) {
    let mut pos = 4;
    loop {
        let len = u32::from_be_bytes([0, bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]) as usize;
        if bytes[pos] & 0x7F == block_type {
            return (pos, pos + 4..pos + 4 + len);
        }
        assert!(bytes[pos] & 0x80 == 0, "no block of type {block_type}");
        pos += 4 + len;
    }
}

fn chord_flac() -> Vec<u8> {
    std::fs::read(fixture("chord.flac")).unwrap()
}

/// The fixture's VORBIS_COMMENT body: vendor length, vendor, count, then length and text of
/// each comment. Where its fields are.
struct CommentFields {
    vendor_len: usize,
    count: usize,
    first_comment_len: usize,
}

fn comment_fields(comment_start: usize, bytes: &[u8]) -> CommentFields {
    let vendor = u32::from_le_bytes(bytes[comment_start..comment_start + 4].try_into().unwrap());
    let count = comment_start + 4 + vendor as usize;
    CommentFields {
        vendor_len: comment_start,
        count,
        first_comment_len: count + 4,
    }
}

/// The fixture with its PADDING block (8 KiB) turned into a PICTURE block of the same size:
/// a PNG media type, no description, and picture data filling the rest of the block.
fn flac_with_picture() -> (Vec<u8>, usize) {
    let mut bytes = chord_flac();
    let (header, body) = flac_block(&bytes, PADDING);
    bytes[header] = (bytes[header] & 0x80) | 6;
    let mut picture = 3u32.to_be_bytes().to_vec();
    picture.extend_from_slice(&9u32.to_be_bytes());
    picture.extend_from_slice(b"image/png");
    picture.extend_from_slice(&0u32.to_be_bytes());
    picture.extend_from_slice(&[0; 16]);
    let data_len_at = body.start + picture.len();
    let data_len = body.len() - picture.len() - 4;
    picture.extend_from_slice(&(data_len as u32).to_be_bytes());
    bytes[body.start..body.start + picture.len()].copy_from_slice(&picture);
    (bytes, data_len_at)
}

#[test]
fn flac_with_tags_and_a_picture_decodes() {
    let plain = decode_all(chord_flac(), "flac");
    assert!(plain > 0);
    let (with_picture, _) = flac_with_picture();
    assert_eq!(decode_all(with_picture, "flac"), plain);
}

/// A vendor length of 4 GiB in a 46-byte VORBIS_COMMENT block.
#[test]
fn a_vendor_string_beyond_its_block_is_refused() {
    let mut bytes = chord_flac();
    let (_, body) = flac_block(&bytes, VORBIS_COMMENT);
    let at = comment_fields(body.start, &bytes).vendor_len;
    put(&mut bytes, at, u32::MAX.to_le_bytes());
    assert_refused(
        bytes,
        "flac",
        "VORBIS_COMMENT block at offset 42: vendor string of 4294967295 bytes",
    );
}

/// A comment length of 4 GiB: symphonia allocated it before reading (the fuzz find).
#[test]
fn a_comment_beyond_its_block_is_refused() {
    let mut bytes = chord_flac();
    let (_, body) = flac_block(&bytes, VORBIS_COMMENT);
    let at = comment_fields(body.start, &bytes).first_comment_len;
    put(&mut bytes, at, 0xFFFF_FFF0u32.to_le_bytes());
    assert_refused(
        bytes,
        "flac",
        "VORBIS_COMMENT block at offset 42: a comment of 4294967280 bytes",
    );
}

#[test]
fn a_comment_count_beyond_its_block_is_refused() {
    let mut bytes = chord_flac();
    let (_, body) = flac_block(&bytes, VORBIS_COMMENT);
    let at = comment_fields(body.start, &bytes).count;
    put(&mut bytes, at, u32::MAX.to_le_bytes());
    assert_refused(bytes, "flac", "4294967295 comments declared");
}

/// Picture data of 4 GiB declared in an 8 KiB PICTURE block.
#[test]
fn picture_data_beyond_its_block_is_refused() {
    let (mut bytes, data_len_at) = flac_with_picture();
    put(&mut bytes, data_len_at, 0xFFFF_0000u32.to_be_bytes());
    assert_refused(
        bytes,
        "flac",
        "PICTURE block at offset 92: picture data of 4294901760 bytes",
    );
}

#[test]
fn a_block_past_the_end_of_the_file_is_refused() {
    let mut bytes = chord_flac();
    let (header, _) = flac_block(&bytes, PADDING);
    bytes[header + 1..header + 4].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
    assert_refused(
        bytes,
        "flac",
        "PADDING block at offset 92 declares 16777215 bytes, past the end",
    );
}

// Ogg: the same comment structure after `\x03vorbis` or `OpusTags`, checked against its packet.

/// The Ogg page checksum: CRC-32 (polynomial 0x04C11DB7, no reflection) with the field zeroed.
fn ogg_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The byte ranges of the Ogg pages in `bytes`.
fn ogg_pages(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut pages = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        assert_eq!(&bytes[pos..pos + 4], b"OggS");
        let segments = usize::from(bytes[pos + 26]);
        let body: usize = bytes[pos + 27..pos + 27 + segments]
            .iter()
            .map(|&l| usize::from(l))
            .sum();
        pages.push(pos..pos + 27 + segments + body);
        pos += 27 + segments + body;
    }
    pages
}

/// The Ogg fixture with the first comment length of its comment packet (the first packet of the
/// second page, `header_len` bytes of packet header before the comment) set to `value`, and
/// the page's checksum fixed so that the page still counts.
fn ogg_with_comment_len(name: &str, header_len: usize, value: u32) -> Vec<u8> {
    let mut bytes = std::fs::read(fixture(name)).unwrap();
    let page = ogg_pages(&bytes)[1].clone();
    let packet = page.start + 27 + usize::from(bytes[page.start + 26]);
    let at = comment_fields(packet + header_len, &bytes).first_comment_len;
    put(&mut bytes, at, value.to_le_bytes());
    let crc = ogg_crc(&bytes[page.clone()]);
    put(&mut bytes, page.start + 22, crc.to_le_bytes());
    bytes
}

#[test]
fn ogg_vorbis_and_opus_fixtures_decode_through_the_guard() {
    for (name, header_len) in [("chord.ogg", 7), ("chord.opus", 8)] {
        // Patched to what they hold, with the checksum recomputed: the patching is sound.
        let bytes = std::fs::read(fixture(name)).unwrap();
        let page = ogg_pages(&bytes)[1].clone();
        let packet = page.start + 27 + usize::from(bytes[page.start + 26]);
        let at = comment_fields(packet + header_len, &bytes).first_comment_len;
        let same = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!(ogg_with_comment_len(name, header_len, same), bytes);
        assert!(decode_all(bytes, "ogg") > 0, "{name}");
    }
}

#[test]
fn an_ogg_vorbis_comment_beyond_its_packet_is_refused() {
    let bytes = ogg_with_comment_len("chord.ogg", 7, 0xFFFF_FFF0);
    assert_refused(bytes, "ogg", "Ogg Vorbis stream 0xfa8233b7: comment packet of 64 bytes declares a comment of 4294967280 bytes");
}

#[test]
fn an_opus_comment_beyond_its_packet_is_refused() {
    let bytes = ogg_with_comment_len("chord.opus", 8, 0xFFFF_FFF0);
    assert_refused(bytes, "opus", "Ogg Opus stream");
}

/// symphonia parses a `\x03vorbis` packet wherever it turns up, not only among the headers: a
/// hostile one on a page after the last audio page is refused too.
#[test]
fn a_vorbis_comment_packet_after_the_audio_is_refused() {
    let mut bytes = std::fs::read(fixture("chord.ogg")).unwrap();
    let last = ogg_pages(&bytes).pop().unwrap();
    let serial: [u8; 4] = bytes[last.start + 14..last.start + 18].try_into().unwrap();
    let sequence = u32::from_le_bytes(bytes[last.start + 18..last.start + 22].try_into().unwrap());
    let mut packet = b"\x03vorbis".to_vec();
    packet.extend_from_slice(&0u32.to_le_bytes()); // no vendor string
    packet.extend_from_slice(&1u32.to_le_bytes()); // one comment ...
    packet.extend_from_slice(&u32::MAX.to_le_bytes()); // ... of 4 GiB
    let mut page = b"OggS\0\0".to_vec();
    page.extend_from_slice(&bytes[last.start + 6..last.start + 14]); // granule position
    page.extend_from_slice(&serial);
    page.extend_from_slice(&(sequence + 1).to_le_bytes());
    page.extend_from_slice(&[0; 4]); // checksum, below
    page.extend_from_slice(&[1, packet.len() as u8]);
    page.extend_from_slice(&packet);
    let crc = ogg_crc(&page);
    put(&mut page, 22, crc.to_le_bytes());
    bytes.extend_from_slice(&page);
    assert_refused(
        bytes,
        "ogg",
        "comment packet of 19 bytes declares a comment of 4294967295 bytes",
    );
}
