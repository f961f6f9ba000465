//! Checkers for what the writers produce, written from the specifications (RFC 8216 for
//! HLS, ISO/IEC 23009-1 for DASH) and not from the writers: each parses a manifest the way a
//! client would and panics, naming the rule, on anything a client could trip over or that
//! disagrees with the ladder it was written from.

pub mod dash;
pub mod hls;

use backbeat_media::model::{Ladder, Rendition};

/// The rendition of `ladder` that owns the file `name`, and the index of that segment
/// (`None` for an init segment).
pub fn owner<'a>(ladder: &'a Ladder, name: &str) -> Option<(&'a Rendition, Option<usize>)> {
    ladder.renditions.iter().find_map(|r| {
        if r.init == name {
            return Some((r, None));
        }
        let i = r.segments.iter().position(|s| s.name == name)?;
        Some((r, Some(i)))
    })
}
