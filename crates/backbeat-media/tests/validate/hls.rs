//! RFC 8216 checks of master and media playlists.

use std::collections::HashMap;

use backbeat_media::model::{Codec, Ladder, Rendition};

use crate::fixture::percent_decode;

/// The lines of a playlist, after the rules every playlist follows (§4.1): UTF-8 without
/// BOM or control characters, `\n` line ends, `#EXTM3U` first.
fn lines(text: &str) -> Vec<&str> {
    assert!(text.ends_with('\n'), "playlist does not end its last line");
    assert!(!text.starts_with('\u{feff}'), "BOM");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "control character (CR included) in playlist"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"#EXTM3U"), "first line is not #EXTM3U");
    lines
}

/// A URI line (§4.1: not blank, not starting with `#`) that is a URI reference a client can
/// resolve against the playlist: no whitespace, quotes or unencoded non-ASCII, no `/`.
fn uri(line: &str) -> String {
    assert!(
        !line.is_empty() && !line.starts_with('#'),
        "expected a URI line, got {line:?}"
    );
    assert!(
        line.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
        "URI {line:?} is not a plain relative reference"
    );
    percent_decode(line)
}

/// An attribute list (§4.2): `NAME=value` pairs, names `[A-Z0-9-]`, values a
/// decimal-integer, a quoted-string without `"`/CR/LF, or an enumerated string.
pub fn attributes(list: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = list;
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').expect("attribute without '='");
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'),
            "bad attribute name {name:?}"
        );
        let (value, after) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').expect("unterminated quoted-string");
            (format!("\"{}\"", &q[..end]), &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            let v = &after[..end];
            assert!(!v.is_empty() && !v.contains([' ', '"']), "bad value {v:?}");
            (v.to_string(), &after[end..])
        };
        assert!(
            out.insert(name.to_string(), value).is_none(),
            "attribute {name} twice"
        );
        rest = match after.strip_prefix(',') {
            Some(r) => {
                assert!(!r.is_empty(), "trailing comma");
                r
            }
            None => {
                assert!(after.is_empty(), "junk after an attribute: {after:?}");
                after
            }
        };
    }
    out
}

fn decimal(v: &str) -> u64 {
    assert!(
        v.bytes().all(|b| b.is_ascii_digit()) && v.len() <= 20,
        "not a decimal-integer: {v}"
    );
    v.parse().unwrap()
}

fn quoted(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .expect("not a quoted-string")
}

/// Checks a master playlist written for `ladder`: every rendition a variant exactly once,
/// with its measured bandwidths and codecs, AAC before Opus before FLAC and ascending
/// bandwidth within a codec.
pub fn check_master(text: &str, ladder: &Ladder) {
    let lines = lines(text);
    assert_eq!(lines.get(1), Some(&"#EXT-X-VERSION:7"));
    assert!(lines.contains(&"#EXT-X-INDEPENDENT-SEGMENTS"));
    let mut seen = Vec::new();
    let mut i = 2;
    while i < lines.len() {
        let line = lines[i];
        if let Some(list) = line.strip_prefix("#EXT-X-STREAM-INF:") {
            let a = attributes(list);
            let bandwidth = decimal(a.get("BANDWIDTH").expect("BANDWIDTH is required"));
            let average = decimal(a.get("AVERAGE-BANDWIDTH").expect("AVERAGE-BANDWIDTH"));
            let codecs = quoted(a.get("CODECS").expect("CODECS"));
            let target = uri(lines.get(i + 1).expect("EXT-X-STREAM-INF without a URI"));
            let r = ladder
                .renditions
                .iter()
                .find(|r| r.playlist == target)
                .unwrap_or_else(|| panic!("variant {target:?} is no rendition's playlist"));
            assert_eq!(codecs, r.codecs);
            assert!(bandwidth >= r.peak_bandwidth() && bandwidth >= average);
            assert_eq!(average, r.average_bandwidth());
            seen.push((r, bandwidth));
            i += 2;
        } else {
            assert!(
                matches!(line, "#EXT-X-INDEPENDENT-SEGMENTS") || line.is_empty(),
                "unexpected master playlist line {line:?}"
            );
            i += 1;
        }
    }
    assert_eq!(
        seen.len(),
        ladder.renditions.len(),
        "not every rendition is a variant"
    );
    let rank = |c: Codec| {
        [Codec::Aac, Codec::Opus, Codec::Flac]
            .iter()
            .position(|&x| x == c)
    };
    for w in seen.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(a.0.playlist != b.0.playlist, "a variant twice");
        let order = (rank(a.0.rung.codec), a.1) <= (rank(b.0.rung.codec), b.1);
        assert!(order, "{} listed before {}", a.0.id, b.0.id);
    }
}

/// Checks a media playlist written for `r`: a complete VOD playlist whose `EXTINF`s are the
/// measured durations (to the microsecond), each at most the target duration once rounded
/// (§4.3.3.1), naming the init segment and every segment in order.
pub fn check_media(text: &str, r: &Rendition) {
    let lines = lines(text);
    let mut target = None;
    let mut map = None;
    let mut segments = Vec::new();
    let mut pending: Option<f64> = None;
    let mut tags = HashMap::new();
    for (n, line) in lines.iter().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        if let Some(tag) = line.strip_prefix('#') {
            let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
            if name != "EXTINF" {
                assert!(tags.insert(name, n).is_none(), "{name} twice");
            }
            match name {
                "EXT-X-VERSION" => assert_eq!(value, "7"),
                "EXT-X-TARGETDURATION" => target = Some(decimal(value)),
                "EXT-X-MEDIA-SEQUENCE" => assert_eq!(value, "0"),
                "EXT-X-PLAYLIST-TYPE" => assert_eq!(value, "VOD"),
                "EXT-X-INDEPENDENT-SEGMENTS" => assert_eq!(value, ""),
                "EXT-X-MAP" => {
                    assert!(
                        segments.is_empty() && pending.is_none(),
                        "EXT-X-MAP after a segment"
                    );
                    let a = attributes(value);
                    map = Some(percent_decode(quoted(&a["URI"])));
                }
                "EXTINF" => {
                    assert!(pending.is_none(), "two EXTINF for one segment");
                    let (d, title) = value.split_once(',').expect("EXTINF without comma");
                    assert!(title.is_empty());
                    let (whole, frac) = d.split_once('.').expect("EXTINF is not decimal");
                    assert!(decimal(whole) < u64::MAX && frac.len() == 6, "EXTINF {d}");
                    pending = Some(d.parse().unwrap());
                }
                "EXT-X-ENDLIST" => assert_eq!(n, lines.len() - 1, "EXT-X-ENDLIST is not last"),
                other => panic!("unexpected tag {other}"),
            }
        } else {
            let d = pending.take().expect("URI line without EXTINF");
            segments.push((uri(line), d));
        }
    }
    assert!(pending.is_none(), "EXTINF without a URI");
    for required in [
        "EXT-X-VERSION",
        "EXT-X-TARGETDURATION",
        "EXT-X-PLAYLIST-TYPE",
        "EXT-X-ENDLIST",
    ] {
        assert!(tags.contains_key(required), "{required} missing");
    }
    let target = target.unwrap();
    assert_eq!(map.as_deref(), Some(r.init.as_str()), "EXT-X-MAP");
    assert_eq!(segments.len(), r.segments.len());
    for ((name, d), s) in segments.iter().zip(&r.segments) {
        assert_eq!(*name, s.name);
        assert!(
            (d - r.segment_s(s)).abs() <= 0.5e-6 + 1e-12,
            "EXTINF {d} for {}",
            r.segment_s(s)
        );
        assert!(
            d.round() as u64 <= target,
            "EXTINF {d} rounds above the target {target}"
        );
    }
    let max = segments
        .iter()
        .map(|s| s.1.round() as u64)
        .max()
        .unwrap_or(0);
    assert_eq!(
        target,
        max.max(1),
        "target duration is not the smallest that fits"
    );
    let total: f64 = segments.iter().map(|s| s.1).sum();
    assert!((total - r.duration_s()).abs() < 1e-6 * segments.len() as f64 + 1e-9);
}
