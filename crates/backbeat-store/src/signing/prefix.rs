//! Prefix grants: one read-only signature for every object below a key prefix.
//!
//! A streaming manifest (HLS, DASH) names its segments with relative URLs, and relative URLs
//! drop the query. So the grant travels in the path, as a segment in front of the key:
//!
//! ```text
//! /blobs/~{depth}.{exp}.{sig}/{key}
//! /blobs/~2.1767000000.<43 base64url chars>/derived/0190c0de-…/hls/seg-001.m4s
//! ```
//!
//! The signed prefix is the first `depth` segments of the key; what follows the token is the
//! object key itself, unchanged. A manifest at `…/~2.…/derived/t/hls/master.m3u8` that names
//! `seg-001.m4s` or `../dash/a.mpd` resolves to a URL that still carries the token and still
//! starts with the same prefix. A relative URL that climbs out of the prefix changes the
//! leading segments and no longer verifies; one that climbs over the token loses it.
//!
//! The depth is in the token because the verifier cannot otherwise tell which leading segments
//! were signed. It needs no MAC of its own: the prefix it selects is in the canonical string
//! `v1\nGET-PREFIX\n{prefix}\n{exp}\n-`, so another depth selects another, unsigned, prefix.
//! `~` is not a key character, so a token segment is never a key segment; the fields are
//! canonical decimals and canonical base64url, so each grant has exactly one spelling.
//!
//! Grants are for GET and HEAD only: [`UrlSigner::verify_prefix`] takes no operation, and a
//! caller must refuse a PUT (or anything but GET/HEAD) whose path carries a token.

use std::fmt;
use std::str::FromStr;

use super::{
    check_expiry, check_tag, decode_tag, encode_tag, valid_key, SignatureError, UrlSigner,
    MAX_KEY_LEN, SIG_LEN, TAG_LEN,
};

/// The first character of a token segment (never a key character).
const SIGIL: char = '~';
/// Separates the token's fields (never a base64url character).
const SEP: char = '.';
/// The canonical string's verb for prefix grants (single-key URLs use `GET` and `PUT`).
const VERB: &str = "GET-PREFIX";
/// Longest prefix that still leaves room below it for a one-character segment in a key of at
/// most [`MAX_KEY_LEN`] bytes.
const MAX_PREFIX_LEN: usize = MAX_KEY_LEN - 2;
/// Deepest prefix that still leaves room for a key below it (`a/a/…/a` of [`MAX_PREFIX_LEN`]).
const MAX_DEPTH: u64 = (MAX_PREFIX_LEN as u64).div_ceil(2);
/// Digits in [`MAX_DEPTH`].
const MAX_DEPTH_DIGITS: usize = 3;
/// Digits in `i64::MAX`.
const MAX_EXP_DIGITS: usize = 19;
/// Longest well-formed token segment; anything longer is refused before it is looked at.
const MAX_TOKEN_LEN: usize = 1 + MAX_DEPTH_DIGITS + 1 + MAX_EXP_DIGITS + 1 + SIG_LEN;

/// The signature-carrying path segment of a prefix-grant URL: `~{depth}.{exp}.{sig}`.
///
/// - `depth`: how many leading segments of the key that follows form the signed prefix
///   (1 to 127, decimal without leading zeros);
/// - `exp`: expiry, Unix seconds (decimal without sign or leading zeros);
/// - `sig`: base64url (no padding, 43 characters) HMAC-SHA256 of
///   `v1\nGET-PREFIX\n{prefix}\n{exp}\n-`.
///
/// Parse with [`FromStr`] or [`split_prefix_token`]; [`Display`](fmt::Display) gives the segment
/// back exactly. It has no `PartialEq` on purpose: check a token with
/// [`UrlSigner::verify_prefix`], never by comparison.
#[derive(Clone)]
pub struct PrefixToken {
    depth: usize,
    exp: i64,
    tag: [u8; TAG_LEN],
}

impl PrefixToken {
    /// How many leading segments of the key form the signed prefix (at least 1).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Expiry, Unix seconds.
    pub fn exp(&self) -> i64 {
        self.exp
    }

    /// The prefix this token claims for `key`: its first `depth` segments, if at least one
    /// more segment follows them.
    fn prefix_of<'k>(&self, key: &'k str) -> Option<&'k str> {
        key.match_indices('/')
            .nth(self.depth - 1)
            .map(|(end, _)| &key[..end])
    }
}

/// Leaves the signature out: the segment is a bearer credential and does not belong in logs.
impl fmt::Debug for PrefixToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixToken")
            .field("depth", &self.depth)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for PrefixToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (depth, exp, sig) = (self.depth, self.exp, encode_tag(&self.tag));
        write!(f, "{SIGIL}{depth}{SEP}{exp}{SEP}{sig}")
    }
}

impl FromStr for PrefixToken {
    type Err = SignatureError;

    /// Parses one token segment (`~{depth}.{exp}.{sig}`, nothing before or after). Anything
    /// else, including a second spelling of a well-formed token, is `Malformed`.
    fn from_str(s: &str) -> Result<Self, SignatureError> {
        if s.len() > MAX_TOKEN_LEN {
            return Err(SignatureError::Malformed);
        }
        let body = s.strip_prefix(SIGIL).ok_or(SignatureError::Malformed)?;
        let mut fields = body.split(SEP);
        let (Some(depth), Some(exp), Some(sig), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(SignatureError::Malformed);
        };
        let depth = decimal(depth, MAX_DEPTH_DIGITS)
            .filter(|d| (1..=MAX_DEPTH).contains(d))
            .and_then(|d| usize::try_from(d).ok())
            .ok_or(SignatureError::Malformed)?;
        let exp = decimal(exp, MAX_EXP_DIGITS)
            .and_then(|e| i64::try_from(e).ok())
            .ok_or(SignatureError::Malformed)?;
        let tag = decode_tag(sig)?;
        Ok(Self { depth, exp, tag })
    }
}

/// A canonical unsigned decimal of at most `max_digits` digits: ASCII digits only, no sign, no
/// leading zero (but `0` itself).
fn decimal(s: &str, max_digits: usize) -> Option<u64> {
    let canonical = !s.is_empty()
        && s.len() <= max_digits
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    if !canonical {
        return None;
    }
    s.parse().ok()
}

/// Splits a blob path, as the route sees it after its own fixed part and after percent-decoding
/// (`~2.1767000000.<sig>/derived/t/hls/seg-001.m4s`, no leading `/`), into the prefix token
/// and the object key that follows it.
///
/// - `Ok(None)`: the path does not start with a token segment (a plain `{key}` path, for a
///   single-key URL);
/// - `Err(Malformed)`: it starts with `~` but the token is not well formed, or nothing follows
///   the token segment;
/// - `Ok(Some((token, key)))` otherwise. The key is returned as it is; it is checked by
///   [`UrlSigner::verify_prefix`], and the key served must be exactly the key verified.
pub fn split_prefix_token(path: &str) -> Result<Option<(PrefixToken, &str)>, SignatureError> {
    if !path.starts_with(SIGIL) {
        return Ok(None);
    }
    let (token, key) = path.split_once('/').ok_or(SignatureError::Malformed)?;
    Ok(Some((token.parse()?, key)))
}

/// `true` if `prefix` can be signed: a well-formed key ([`valid_key`]) with room left below it.
fn valid_prefix(prefix: &str) -> bool {
    prefix.len() <= MAX_PREFIX_LEN && valid_key(prefix)
}

impl UrlSigner {
    /// A read-only grant for every object strictly below `prefix` until `exp` (Unix seconds):
    /// the token segment followed by the prefix, e.g. `~2.1767000000.<sig>/derived/t`, ready
    /// to have `/` and a relative key appended and to be served under `/blobs/`.
    ///
    /// `prefix` must be a well-formed key ([`valid_key`]: non-empty, no empty, `.` or `..`
    /// segment, hence no leading or trailing `/`) of at most 254 bytes, so that a key can
    /// exist below it; `exp` must not be negative. Otherwise `Malformed`.
    ///
    /// The grant allows GET and HEAD only; see [`UrlSigner::verify_prefix`].
    pub fn sign_prefix(&self, prefix: &str, exp: i64) -> Result<String, SignatureError> {
        if !valid_prefix(prefix) || exp < 0 {
            return Err(SignatureError::Malformed);
        }
        let token = PrefixToken {
            depth: prefix.split('/').count(),
            exp,
            tag: self.tag(VERB, prefix, exp, None),
        };
        Ok(format!("{token}/{prefix}"))
    }

    /// Checks that `token` allows reading `key` (the full object key that followed the token
    /// in the path) at `now` (Unix seconds).
    ///
    /// In order: `key` must be well formed (`Malformed`) and have more segments than the
    /// token's depth (`OutsidePrefix`); the MAC over the key's first `depth` segments must
    /// match, compared in constant time (`BadSignature`: a sibling such as `audio/abc` for a
    /// grant on `audio/ab` lands here, as the prefix it selects was never signed); and `now`
    /// must be before the expiry (`Expired`, checked last so that an invalid grant learns
    /// nothing about whether it would have been expired).
    ///
    /// There is no operation parameter: a prefix grant is for GET and HEAD only, and the
    /// caller must refuse any other method (PUT above all) on a path that carries a token.
    pub fn verify_prefix(
        &self,
        token: &PrefixToken,
        key: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        if !valid_key(key) {
            return Err(SignatureError::Malformed);
        }
        let prefix = token.prefix_of(key).ok_or(SignatureError::OutsidePrefix)?;
        check_tag(&token.tag, &self.tag(VERB, prefix, token.exp, None))?;
        check_expiry(token.exp, now)
    }
}
