//! The catalog's own settings (the binary fills them from flags, environment and the
//! `[catalog]` section of the configuration file).

/// Limits and lifetimes the catalog's use cases apply.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogConfig {
    /// Base URL clients reach the blob endpoints at; signed URLs are built from it.
    pub public_url: String,
    /// Largest accepted upload, bytes.
    pub max_upload_bytes: u64,
    /// Longest accepted audio, seconds.
    pub max_duration_s: f64,
    /// Life of an upload URL, seconds.
    pub upload_url_ttl_s: u64,
    /// Life of a stream URL, seconds.
    pub stream_url_ttl_s: u64,
    /// Life of an access token, seconds.
    pub access_token_ttl_s: u64,
    /// Life of a refresh token, seconds.
    pub refresh_token_ttl_s: u64,
    /// Metadata cache capacity (entries of each kind).
    pub cache_entries: usize,
    /// How long the staging file of an unfinished upload must have gone unwritten before
    /// garbage collection deletes it, seconds (see `gc`).
    pub staging_grace_s: u64,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            max_upload_bytes: 500 * 1024 * 1024,
            max_duration_s: 3.0 * 3600.0,
            upload_url_ttl_s: 3600,
            stream_url_ttl_s: 6 * 3600,
            access_token_ttl_s: 900,
            refresh_token_ttl_s: 30 * 24 * 3600,
            cache_entries: 100_000,
            staging_grace_s: crate::gc::STAGING_GRACE_S,
        }
    }
}
