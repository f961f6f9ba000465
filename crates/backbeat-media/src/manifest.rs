//! What the HLS and DASH writers share: how the ladder's file names and identifiers get into
//! a manifest, the order players meet renditions in, the bandwidth a rendition declares, and
//! what a ladder must satisfy before manifests are written from it.
//!
//! Names come from Backbeat itself (`aac-96-00001.m4s`), but the writers must not be able to
//! produce a broken manifest whatever a [`Ladder`] holds: every name is written
//! percent-encoded (RFC 3986: only unreserved characters stay as they are), so a URI line or
//! attribute can never hold a quote, a line break, a `#` at the start of a line, a `&`, a `$`
//! (a DASH template identifier) or a `/` — and a client still asks for exactly the file named,
//! in the manifests' directory. [`check_ladder`] refuses what encoding cannot make right
//! (an empty name or `..`, two files with one name, segments that do not follow on).

use std::collections::HashSet;

use crate::model::{Codec, Ladder, Rendition};

/// Why manifests cannot be written from a ladder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("the ladder has no renditions")]
    Empty,
    #[error("rendition {0} has no segments")]
    NoSegments(String),
    #[error("rendition {0} has timescale 0")]
    NoTimescale(String),
    #[error("{0:?} is not a usable file name")]
    BadName(String),
    #[error("{0:?} is not a usable rendition id")]
    BadId(String),
    #[error("{0:?} is not an RFC 6381 codecs string")]
    BadCodecs(String),
    #[error("{0:?} names two files")]
    Duplicate(String),
    #[error("segment {0} is empty or does not start where the previous one ended")]
    NotContiguous(String),
}

/// `name` as a relative URI reference to the file of that name in the same directory. An
/// empty name (refused by [`check_ladder`]) becomes `%00`, which no server resolves, so that
/// a manifest line is never empty.
pub fn uri(name: &str) -> String {
    if name.is_empty() {
        return "%00".into();
    }
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `s` with only the characters of an identifier or codecs string (`A-Z a-z 0-9 . - _ +`),
/// anything else replaced by `_`; empty becomes `_`.
pub fn token(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if is_token_char(c) { c } else { '_' })
        .collect();
    if t.is_empty() {
        "_".into()
    } else {
        t
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// A file name a manifest can point at: not empty, not a dot segment, no path separator, no
/// control character.
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

/// Checks what the writers rely on for a manifest that is not just well-formed but right.
pub fn check_ladder(ladder: &Ladder) -> Result<(), ManifestError> {
    if ladder.renditions.is_empty() {
        return Err(ManifestError::Empty);
    }
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    for r in &ladder.renditions {
        if !is_token(&r.id) {
            return Err(ManifestError::BadId(r.id.clone()));
        }
        if !ids.insert(r.id.as_str()) {
            return Err(ManifestError::Duplicate(r.id.clone()));
        }
        if !is_token(&r.codecs) {
            return Err(ManifestError::BadCodecs(r.codecs.clone()));
        }
        if r.timescale == 0 {
            return Err(ManifestError::NoTimescale(r.id.clone()));
        }
        if r.segments.is_empty() {
            return Err(ManifestError::NoSegments(r.id.clone()));
        }
        let files = [&r.init, &r.playlist]
            .into_iter()
            .chain(r.segments.iter().map(|s| &s.name));
        for name in files {
            if !is_file_name(name) {
                return Err(ManifestError::BadName(name.clone()));
            }
            if !names.insert(name.as_str()) {
                return Err(ManifestError::Duplicate(name.clone()));
            }
        }
        let mut next = r.segments[0].start;
        for s in &r.segments {
            if s.duration == 0 || s.start != next {
                return Err(ManifestError::NotContiguous(s.name.clone()));
            }
            next = s.start.saturating_add(s.duration);
        }
    }
    Ok(())
}

/// The renditions in the order players should meet them: AAC (which every player decodes)
/// first, then Opus, then FLAC; within a codec by ascending peak bandwidth, so that a player
/// that starts with the first variant starts fast.
pub fn player_order(ladder: &Ladder) -> Vec<&Rendition> {
    let mut v: Vec<&Rendition> = ladder.renditions.iter().collect();
    v.sort_by_key(|r| {
        (
            codec_rank(r.rung.codec),
            declared_bandwidth(r),
            r.id.clone(),
        )
    });
    v
}

/// The bit rate a rendition declares (HLS `BANDWIDTH`, DASH `@bandwidth`): its peak, or its
/// average when a heavy short last segment puts that above the measured peak — a stream
/// cannot peak below its own average.
pub fn declared_bandwidth(r: &Rendition) -> u64 {
    r.peak_bandwidth().max(r.average_bandwidth())
}

fn codec_rank(c: Codec) -> u8 {
    match c {
        Codec::Aac => 0,
        Codec::Opus => 1,
        Codec::Flac => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_survive_encoding() {
        assert_eq!(uri("aac-96-00001.m4s"), "aac-96-00001.m4s");
        assert_eq!(uri("a b\"#\n/$&é"), "a%20b%22%23%0A%2F%24%26%C3%A9");
        assert_eq!(uri(""), "%00");
    }

    #[test]
    fn tokens_keep_codecs_strings_and_replace_the_rest() {
        assert_eq!(token("mp4a.40.2"), "mp4a.40.2");
        assert_eq!(token("a\"b c"), "a_b_c");
        assert_eq!(token(""), "_");
    }
}
