//! HMAC-signed, expiring blob URLs.
//!
//! Clients move audio bytes straight to and from storage; Backbeat hands out URLs that carry
//! their own authorisation. A URL is good either for one operation ([`SignedOp`]) on one object
//! key until its expiry, and for uploads only up to a maximum size; or, as a read-only prefix
//! grant ([`PrefixToken`], [`UrlSigner::sign_prefix`]), for reading every object under one key
//! prefix until its expiry (an HLS/DASH manifest and the segments it names). Every part is bound
//! by an HMAC-SHA256 over a canonical string:
//!
//! ```text
//! v1\n{GET|PUT}\n{key}\n{exp}\n{max or -}
//! v1\nGET-PREFIX\n{prefix}\n{exp}\n-
//! ```
//!
//! The key is never in the query: the server takes it from the URL path, so a signature for one
//! key can never be replayed against another. A prefix grant's token is a path segment in front
//! of the key (`~{depth}.{exp}.{sig}/{key}`), so relative URLs resolved against a manifest keep
//! it. Keys and prefixes never contain a newline ([`valid_key`]) and each kind has its own verb,
//! so a single-key signature never verifies as a prefix grant or the other way round. The MAC key
//! is derived from the configured secret with a domain-separation label, so the same secret may
//! also sign access tokens elsewhere without a token ever verifying as a URL signature or the
//! other way round.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

mod prefix;

pub use prefix::{split_prefix_token, PrefixToken};

type HmacSha256 = Hmac<Sha256>;

/// Label mixed into the secret to derive the URL-signing key (see the module docs).
const KEY_LABEL: &[u8] = b"backbeat/url-signing/v1";
/// Length of an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;
/// Length of a tag in unpadded base64url (32 bytes are exactly 43 characters).
const SIG_LEN: usize = 43;
/// Longest well-formed key, in bytes.
pub const MAX_KEY_LEN: usize = 256;
/// Secrets shorter than this are refused by configuration loading (HMAC itself accepts any).
pub const MIN_SECRET_LEN: usize = 32;

/// Which operation a signed URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOp {
    /// Read (GET/HEAD) the blob.
    Get,
    /// Write (PUT) the blob, up to a maximum size.
    Put,
}

impl SignedOp {
    fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
        }
    }
}

/// The signature-carrying query parameters of a signed URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct SignedQuery {
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Maximum upload size in bytes (PUT only).
    pub max: Option<u64>,
    /// base64url HMAC-SHA256.
    pub sig: String,
}

impl SignedQuery {
    /// Parses a raw query string (`exp=..&max=..&sig=..`, any order). Unknown parameters are
    /// ignored (clients and proxies add their own); a repeated or unparsable known one is
    /// `Malformed`, so there is never a question of which copy was signed. Numbers must be
    /// spelled as the signer writes them (no `+`, no leading zero), so a signed URL has one
    /// spelling.
    pub fn parse(query: &str) -> Result<Self, SignatureError> {
        let (mut exp, mut max, mut sig) = (None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "exp" => set_once(&mut exp, canonical(value))?,
                "max" => set_once(&mut max, canonical(value))?,
                "sig" => set_once(&mut sig, Some(value.to_owned()))?,
                _ => {}
            }
        }
        Ok(Self {
            exp: exp.ok_or(SignatureError::Malformed)?,
            max,
            sig: sig.ok_or(SignatureError::Malformed)?,
        })
    }
}

/// `value` as a number, if it is spelled exactly as the number prints.
fn canonical<T: std::str::FromStr + ToString>(value: &str) -> Option<T> {
    value.parse().ok().filter(|n: &T| n.to_string() == value)
}

/// Fills `slot` with a parsed value; a second value or an unparsable one is `Malformed`.
fn set_once<T>(slot: &mut Option<T>, value: Option<T>) -> Result<(), SignatureError> {
    match (slot.is_some(), value) {
        (false, Some(v)) => {
            *slot = Some(v);
            Ok(())
        }
        _ => Err(SignatureError::Malformed),
    }
}

/// Why a signed URL was refused (all answered with 403; the reason is for logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("malformed")]
    Malformed,
    /// A prefix grant used for a key that is not strictly below the prefix it names (the key is
    /// the prefix itself, or has no more segments than the token's depth).
    #[error("key outside the signed prefix")]
    OutsidePrefix,
}

/// Signs and verifies blob URLs with one secret.
#[derive(Clone)]
pub struct UrlSigner {
    /// The derived MAC key, never the configured secret itself.
    key: [u8; TAG_LEN],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner { .. }")
    }
}

impl UrlSigner {
    /// A signer with this secret (at least [`MIN_SECRET_LEN`] bytes; configuration loading
    /// enforces that, a shorter one still works but is logged as weak).
    pub fn new(secret: &[u8]) -> Self {
        if secret.len() < MIN_SECRET_LEN {
            tracing::warn!(
                len = secret.len(),
                "URL-signing secret is shorter than 32 bytes"
            );
        }
        let mut mac = mac_with(secret);
        mac.update(KEY_LABEL);
        Self {
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// The query string (`exp=..&max=..&sig=..`) that authorises `op` on `key` until `exp`.
    /// A PUT URL needs `max`; one signed without it never verifies.
    pub fn sign(&self, op: SignedOp, key: &str, exp: i64, max: Option<u64>) -> String {
        let sig = encode_tag(&self.tag(op.as_str(), key, exp, max));
        match max {
            Some(max) => format!("exp={exp}&max={max}&sig={sig}"),
            None => format!("exp={exp}&sig={sig}"),
        }
    }

    /// Checks a query against `op`, `key` and the current time `now` (Unix seconds).
    ///
    /// The signature is checked before the expiry so that an invalid URL learns nothing about
    /// whether it would have been expired.
    pub fn verify(
        &self,
        op: SignedOp,
        key: &str,
        q: &SignedQuery,
        now: i64,
    ) -> Result<(), SignatureError> {
        if !valid_key(key) || (op == SignedOp::Put && q.max.is_none()) {
            return Err(SignatureError::Malformed);
        }
        let given = decode_tag(&q.sig)?;
        check_tag(&given, &self.tag(op.as_str(), key, q.exp, q.max))?;
        check_expiry(q.exp, now)
    }

    /// The MAC of the canonical string `v1\n{verb}\n{subject}\n{exp}\n{max or -}`; `subject`
    /// is a key or a prefix, both newline-free once validated.
    fn tag(&self, verb: &str, subject: &str, exp: i64, max: Option<u64>) -> [u8; TAG_LEN] {
        let max = max.map_or_else(|| "-".to_owned(), |m| m.to_string());
        let canonical = format!("v1\n{verb}\n{subject}\n{exp}\n{max}");
        let mut mac = mac_with(&self.key);
        mac.update(canonical.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

fn encode_tag(tag: &[u8; TAG_LEN]) -> String {
    URL_SAFE_NO_PAD.encode(tag)
}

/// Decodes a presented signature. It must be exactly [`SIG_LEN`] characters, and the decoder
/// refuses non-zero trailing bits, so no two spellings decode to the same tag.
fn decode_tag(sig: &str) -> Result<[u8; TAG_LEN], SignatureError> {
    if sig.len() != SIG_LEN {
        return Err(SignatureError::Malformed);
    }
    URL_SAFE_NO_PAD
        .decode(sig.as_bytes())
        .ok()
        .and_then(|bytes| <[u8; TAG_LEN]>::try_from(bytes.as_slice()).ok())
        .ok_or(SignatureError::Malformed)
}

/// Compares a presented tag with the expected one in constant time.
fn check_tag(given: &[u8; TAG_LEN], expected: &[u8; TAG_LEN]) -> Result<(), SignatureError> {
    if bool::from(given[..].ct_eq(&expected[..])) {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

/// A URL is good strictly before `exp`.
fn check_expiry(exp: i64, now: i64) -> Result<(), SignatureError> {
    if now >= exp {
        Err(SignatureError::Expired)
    } else {
        Ok(())
    }
}

fn mac_with(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first), so this never fails.
    match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// `true` if `key` is a well-formed blob key (`[a-z0-9]` segments joined by `/`, plus `-_.`,
/// no empty, `.` or `..` segment, at most 256 bytes).
///
/// Every blob operation checks this first: it is what keeps a key from ever naming a path
/// outside the store, and what keeps the canonical signing string unambiguous (no newlines).
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.'))
        })
}
