//! The URLs the catalog hands out for blobs, and reading keys back out of them: every blob URL
//! is `{public_url}/blobs/{key}`, signed in its query.

use backbeat_store::signing::valid_key;

use crate::error::{CatalogError, CatalogResult};

/// Object-store prefix of original uploads.
pub const AUDIO_PREFIX: &str = "audio/";

/// The unsigned URL of a blob.
pub fn blob_url(public_url: &str, key: &str) -> String {
    format!("{public_url}/blobs/{key}")
}

/// The URL of a blob with a signed query.
pub fn signed_url(public_url: &str, key: &str, query: &str) -> String {
    format!("{public_url}/blobs/{key}?{query}")
}

/// The upload key a `trackUrl` names, if it is one this server issued.
pub fn upload_key_of(public_url: &str, track_url: &str) -> CatalogResult<String> {
    let bad = || CatalogError::field("trackUrl", "is not a track URL issued by this server");
    let base = format!("{public_url}/blobs/");
    let key = track_url.strip_prefix(&base).ok_or_else(bad)?;
    if key.starts_with(AUDIO_PREFIX) && valid_key(key) {
        Ok(key.to_string())
    } else {
        Err(bad())
    }
}
