//! Reads the encoder delay of an MP4 audio track from its edit list (`moov/trak/edts/elst`).
//!
//! symphonia 0.5 ignores MP4 edit lists, so AAC in M4A would start with the encoder's priming
//! samples (1024 for ffmpeg's encoder, 2112 for Apple's) — a 23–48 ms shift of every beat time.
//! ffmpeg honours the edit list; so do we, by skipping `media_time` frames at the start.

use std::io::{Read, Seek, SeekFrom};

/// Largest `moov` box we are willing to read to find the edit list.
const MAX_MOOV_BYTES: u64 = 64 << 20;

/// The `media_time` of the first audio edit, in media-timescale units (the sample rate for audio
/// tracks written by ffmpeg and iTunes), or `None` when there is no usable edit list.
///
/// `file` holds a whole MP4 file; it is read from the start whatever its position.
pub fn edit_list_delay(file: &mut (impl Read + Seek)) -> Option<u64> {
    let len = file.seek(SeekFrom::End(0)).ok()?;
    let mut pos = 0u64;
    // Walk the top-level boxes to find `moov`.
    while pos + 8 <= len {
        file.seek(SeekFrom::Start(pos)).ok()?;
        let (size, kind, header) = read_box_header(file, len - pos)?;
        if &kind == b"moov" {
            if size > MAX_MOOV_BYTES {
                return None;
            }
            let mut moov = vec![0u8; (size - header) as usize];
            file.read_exact(&mut moov).ok()?;
            return find_elst(&moov, 0);
        }
        pos += size;
    }
    None
}

pub(super) fn read_box_header(file: &mut impl Read, remaining: u64) -> Option<(u64, [u8; 4], u64)> {
    let mut h = [0u8; 8];
    file.read_exact(&mut h).ok()?;
    let kind = [h[4], h[5], h[6], h[7]];
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let (size, header) = match size32 {
        0 => (remaining, 8),
        1 => {
            let mut e = [0u8; 8];
            file.read_exact(&mut e).ok()?;
            (u64::from_be_bytes(e), 16)
        }
        s => (u64::from(s), 8),
    };
    (size >= header && size <= remaining).then_some((size, kind, header))
}

/// Depth-first search through container boxes for the first `elst` with a non-negative start.
fn find_elst(data: &[u8], depth: u32) -> Option<u64> {
    if depth > 8 {
        return None;
    }
    let mut pos = 0usize;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().ok()?) as usize;
        let kind = &data[pos + 4..pos + 8];
        if size < 8 || pos + size > data.len() {
            return None;
        }
        let body = &data[pos + 8..pos + size];
        match kind {
            b"trak" | b"edts" => {
                if let Some(d) = find_elst(body, depth + 1) {
                    return Some(d);
                }
            }
            b"elst" => return parse_elst(body),
            _ => {}
        }
        pos += size;
    }
    None
}

fn parse_elst(body: &[u8]) -> Option<u64> {
    let version = *body.first()?;
    let count = u32::from_be_bytes(body.get(4..8)?.try_into().ok()?);
    let mut pos = 8;
    for _ in 0..count.min(16) {
        let media_time = if version == 1 {
            let v = i64::from_be_bytes(body.get(pos + 8..pos + 16)?.try_into().ok()?);
            pos += 20;
            v
        } else {
            let v = i32::from_be_bytes(body.get(pos + 4..pos + 8)?.try_into().ok()?);
            pos += 12;
            i64::from(v)
        };
        // -1 marks an empty edit (a gap before the media starts); look at the next one.
        if media_time >= 0 {
            return Some(media_time as u64);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elst_v0(media_time: i32) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0, 0, 0, 0, 1];
        b.extend_from_slice(&1000u32.to_be_bytes());
        b.extend_from_slice(&media_time.to_be_bytes());
        b.extend_from_slice(&[0, 1, 0, 0]);
        b
    }

    #[test]
    fn parses_version_0_edit() {
        assert_eq!(parse_elst(&elst_v0(1024)), Some(1024));
        assert_eq!(parse_elst(&elst_v0(-1)), None);
    }

    #[test]
    fn hostile_boxes_give_none() {
        assert_eq!(parse_elst(&[]), None);
        assert_eq!(parse_elst(&[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]), None);
        assert_eq!(find_elst(&[0, 0, 0, 4, b'e', b'l', b's', b't'], 0), None);
        assert_eq!(find_elst(&[0xFF; 64], 0), None);
    }
}
