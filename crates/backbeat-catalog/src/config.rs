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
    /// Most channels an upload may have.
    pub max_channels: usize,
    /// Highest sample rate an upload may have, Hz.
    pub max_sample_rate: u32,
    /// Most decoded samples (duration × channels × rate) an upload may have: what processing
    /// costs grows with this, not with the file's bytes.
    pub max_decoded_samples: u64,
    /// Per-account quotas.
    pub quota: QuotaConfig,
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
    /// Where loudness normalisation brings tracks (the ladder's `[media]` target).
    pub loudness: backbeat_media::gain::NormalisationTarget,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            max_upload_bytes: 500 * 1024 * 1024,
            max_duration_s: 3.0 * 3600.0,
            max_channels: 8,
            max_sample_rate: 192_000,
            // Three hours of 96 kHz stereo.
            max_decoded_samples: 3 * 3600 * 2 * 96_000,
            quota: QuotaConfig::default(),
            upload_url_ttl_s: 3600,
            stream_url_ttl_s: 6 * 3600,
            access_token_ttl_s: 900,
            refresh_token_ttl_s: 30 * 24 * 3600,
            cache_entries: 100_000,
            staging_grace_s: crate::gc::STAGING_GRACE_S,
            loudness: backbeat_media::gain::NormalisationTarget::default(),
        }
    }
}

/// Per-account quotas; `None` is unlimited. Admins are charged (their usage shows) but never
/// refused unless `admins_exempt` is off.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaConfig {
    /// Most tracks an account may have uploaded (and not deleted).
    pub max_tracks: Option<u64>,
    /// Most bytes of audio an account's tracks may hold.
    pub max_stored_bytes: Option<u64>,
    /// Most seconds of audio an account may submit for processing per UTC day (new tracks and
    /// replaced audio).
    pub max_processing_s_per_day: Option<u64>,
    /// Whether admins are exempt from the quotas.
    pub admins_exempt: bool,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        Self {
            max_tracks: Some(10_000),
            max_stored_bytes: Some(50 * 1024 * 1024 * 1024),
            // Twenty-four hours of audio a day: a whole-day upload session, not a flood.
            max_processing_s_per_day: Some(24 * 3600),
            admins_exempt: true,
        }
    }
}
