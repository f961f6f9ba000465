//! HTTP `Range` requests (RFC 9110 §14) for one byte range: what to send for a blob of a
//! given size.
//!
//! Multiple ranges in one request are answered with the whole body (`200`), which RFC 9110
//! allows; players ask for one range at a time. A syntactically invalid header is ignored
//! (also as the RFC says), while a valid one that no byte of the blob satisfies is a `416`.
//! Positions are `1*DIGIT`: no sign, no other digit (`u64::from_str` alone takes `+5`).

use std::ops::Range;

/// What a `Range` header asks for, resolved against the blob size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ranged {
    /// Send everything with `200`.
    Full,
    /// Send these bytes with `206`.
    Partial(Range<u64>),
    /// Nothing satisfiable: `416` with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// Resolves an optional `Range` header value for a blob of `size` bytes.
pub fn resolve(header: Option<&str>, size: u64) -> Ranged {
    let Some(value) = header else {
        return Ranged::Full;
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ranged::Full; // another unit: ignore
    };
    let mut parts = spec.split(',').map(str::trim);
    let Some(first) = parts.next() else {
        return Ranged::Full;
    };
    if parts.next().is_some() {
        return Ranged::Full;
    }
    let Some((start, end)) = first.split_once('-') else {
        return Ranged::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    match (start.is_empty(), end.is_empty()) {
        // `-N`: the last N bytes.
        (true, false) => match position(end) {
            Ok(0) => Ranged::Unsatisfiable,
            Ok(_) if size == 0 => Ranged::Unsatisfiable,
            Ok(n) => Ranged::Partial(size.saturating_sub(n)..size),
            Err(_) => Ranged::Full,
        },
        // `N-`: from N to the end.
        (false, true) => match position(start) {
            Ok(s) if s < size => Ranged::Partial(s..size),
            Ok(_) => Ranged::Unsatisfiable,
            Err(_) => Ranged::Full,
        },
        // `N-M`: inclusive; M past the end is clamped.
        (false, false) => match (position(start), position(end)) {
            (Ok(s), Ok(e)) if s <= e => {
                if s >= size {
                    Ranged::Unsatisfiable
                } else {
                    Ranged::Partial(s..e.saturating_add(1).min(size))
                }
            }
            _ => Ranged::Full,
        },
        (true, true) => Ranged::Full,
    }
}

/// A byte position as RFC 9110 spells it (`1*DIGIT`); `Err` for anything else, or too large.
fn position(s: &str) -> Result<u64, ()> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    s.parse().map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_single_range() {
        let n = 1000;
        assert_eq!(resolve(None, n), Ranged::Full);
        assert_eq!(resolve(Some("bytes=0-0"), n), Ranged::Partial(0..1));
        assert_eq!(resolve(Some("bytes=0-"), n), Ranged::Partial(0..1000));
        assert_eq!(resolve(Some("bytes=10-19"), n), Ranged::Partial(10..20));
        assert_eq!(
            resolve(Some("bytes=990-5000"), n),
            Ranged::Partial(990..1000)
        );
        assert_eq!(resolve(Some("bytes=-1"), n), Ranged::Partial(999..1000));
        assert_eq!(resolve(Some("bytes=-5000"), n), Ranged::Partial(0..1000));
        assert_eq!(resolve(Some("bytes=999-"), n), Ranged::Partial(999..1000));
    }

    #[test]
    fn unsatisfiable_and_ignored_ranges() {
        let n = 1000;
        assert_eq!(resolve(Some("bytes=1000-"), n), Ranged::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=1000-1001"), n), Ranged::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=-0"), n), Ranged::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=0-"), 0), Ranged::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=-10"), 0), Ranged::Unsatisfiable);
        // Invalid syntax or other units are ignored: the whole body.
        for h in [
            "bytes=5-2",
            "bytes=a-b",
            "bytes=-",
            "items=0-1",
            "bytes=0-1,5-6",
            "",
            "bytes=1-2-3",
            "bytes= - 5x",
        ] {
            assert_eq!(resolve(Some(h), n), Ranged::Full, "{h}");
        }
        assert_eq!(
            resolve(Some("bytes=99999999999999999999-"), n),
            Ranged::Full
        );
    }

    /// Found by `fuzz/fuzz_targets/range.rs`: `u64::from_str` accepts a leading `+`, so
    /// `bytes=+2-+5` was served as `2-5` although it is not a valid range.
    #[test]
    fn signed_positions_are_not_digits() {
        for h in [
            "bytes=+2-5",
            "bytes=2-+5",
            "bytes=+2-",
            "bytes=-+5",
            "bytes= +2 -2",
        ] {
            assert_eq!(resolve(Some(h), 1000), Ranged::Full, "{h}");
        }
        assert_eq!(resolve(Some("bytes=+2000-"), 1000), Ranged::Full);
    }
}
