//! STUB — to be implemented (see the brief). HMAC-signed, expiring blob URLs.

/// Which operation a signed URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedOp {
    /// Read (GET/HEAD) the blob.
    Get,
    /// Write (PUT) the blob, up to a maximum size.
    Put,
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

/// Why a signed URL was refused (all answered with 403; the reason is for logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("malformed")]
    Malformed,
}

/// Signs and verifies blob URLs with one secret.
#[derive(Clone)]
pub struct UrlSigner {}

impl UrlSigner {
    /// A signer with this secret (at least 32 bytes).
    pub fn new(_secret: &[u8]) -> Self {
        unimplemented!()
    }
    /// The query string (`exp=..&max=..&sig=..`) that authorises `op` on `key` until `exp`.
    pub fn sign(&self, _op: SignedOp, _key: &str, _exp: i64, _max: Option<u64>) -> String {
        unimplemented!()
    }
    /// Checks a query against `op`, `key` and the current time `now` (Unix seconds).
    pub fn verify(
        &self,
        _op: SignedOp,
        _key: &str,
        _q: &SignedQuery,
        _now: i64,
    ) -> Result<(), SignatureError> {
        unimplemented!()
    }
}

/// `true` if `key` is a well-formed blob key (`[a-z0-9]` segments joined by `/`, plus `-_.`,
/// no empty, `.` or `..` segment, at most 256 bytes).
pub fn valid_key(_key: &str) -> bool {
    unimplemented!()
}
