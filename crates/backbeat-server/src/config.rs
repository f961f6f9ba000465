//! Server configuration. STUB for loading: the struct and defaults are fixed; layering
//! (defaults < TOML file < environment < flags) is to be implemented (see the brief).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Largest JSON request body accepted, in bytes.
pub const MAX_JSON_BODY: u64 = 64 * 1024;

/// Requests per second and burst for one rate-limit class.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

/// Rate limits per class; each applies per user (when authenticated) and per client IP.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct RateLimits {
    /// Everything not listed below.
    pub read: Rate,
    /// Catalog writes.
    pub write: Rate,
    /// Login, register, refresh (per IP and per e-mail).
    pub auth: Rate,
    /// Upload and update URLs.
    pub upload: Rate,
    /// `false` turns limiting off (load benchmarks).
    pub enabled: bool,
}

/// Everything `backbeat serve` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Base URL clients reach this server at; signed URLs are built from it.
    pub public_url: String,
    /// Data directory: `catalog.db`, `blobs/`, `search/`, `secret.key` for the embedded default.
    pub data_dir: PathBuf,
    /// Database URL; default `sqlite://<data_dir>/catalog.db?mode=rwc`.
    pub database_url: Option<String>,
    /// Signing secret (JWT and URLs); default: generated once into `<data_dir>/secret.key`.
    pub secret: Option<String>,
    /// Largest accepted upload, bytes.
    pub max_upload_bytes: u64,
    /// Life of an upload URL, seconds.
    pub upload_url_ttl_s: u64,
    /// Life of a stream URL, seconds.
    pub stream_url_ttl_s: u64,
    /// Life of an access token, seconds.
    pub access_token_ttl_s: u64,
    /// Life of a refresh token, seconds.
    pub refresh_token_ttl_s: u64,
    /// Longest accepted audio, seconds.
    pub max_duration_s: f64,
    pub rate_limits: RateLimits,
    /// Metadata cache capacity (entries).
    pub cache_entries: usize,
    /// Log format: `text` or `json`.
    pub log_format: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            data_dir: PathBuf::from("backbeat-data"),
            database_url: None,
            secret: None,
            max_upload_bytes: 500 * 1024 * 1024,
            upload_url_ttl_s: 3600,
            stream_url_ttl_s: 6 * 3600,
            access_token_ttl_s: 900,
            refresh_token_ttl_s: 30 * 24 * 3600,
            max_duration_s: 3.0 * 3600.0,
            rate_limits: RateLimits {
                read: Rate {
                    per_second: 200.0,
                    burst: 400,
                },
                write: Rate {
                    per_second: 20.0,
                    burst: 40,
                },
                auth: Rate {
                    per_second: 0.5,
                    burst: 10,
                },
                upload: Rate {
                    per_second: 1.0,
                    burst: 20,
                },
                enabled: true,
            },
            cache_entries: 100_000,
            log_format: "text".into(),
        }
    }
}
