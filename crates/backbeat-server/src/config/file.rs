//! The TOML configuration file: every [`Config`] field optional, unknown keys refused.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::{Config, ConfigError, Rate};

/// A configuration file as written; absent keys keep the value of the layer below.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub secret: Option<String>,
    pub max_upload_bytes: Option<u64>,
    pub upload_url_ttl_s: Option<u64>,
    pub stream_url_ttl_s: Option<u64>,
    pub access_token_ttl_s: Option<u64>,
    pub refresh_token_ttl_s: Option<u64>,
    pub max_duration_s: Option<f64>,
    pub rate_limits: Option<FileRateLimits>,
    pub cache_entries: Option<usize>,
    pub log_format: Option<String>,
    pub trust_forwarded_for: Option<bool>,
    pub jobs_file: Option<PathBuf>,
    pub workers: Option<bool>,
    pub cpu_slots: Option<usize>,
    pub io_slots: Option<usize>,
    pub ack_wait_s: Option<u64>,
    pub queue: Option<String>,
    pub queue_stream: Option<String>,
}

/// The `[rate_limits]` table.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRateLimits {
    pub read: Option<FileRate>,
    pub write: Option<FileRate>,
    pub auth: Option<FileRate>,
    pub upload: Option<FileRate>,
    pub enabled: Option<bool>,
}

/// One `[rate_limits.<class>]` table.
#[derive(Debug, Default, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRate {
    pub per_second: Option<f64>,
    pub burst: Option<u32>,
}

impl FileRate {
    fn apply(self, rate: &mut Rate) {
        set(&mut rate.per_second, self.per_second);
        set(&mut rate.burst, self.burst);
    }
}

impl FileConfig {
    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses TOML text; the error names the offending key and its line.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    /// Overrides `config` with every value this file sets.
    pub fn apply(self, config: &mut Config) {
        set(&mut config.bind, self.bind);
        set(&mut config.public_url, self.public_url);
        set(&mut config.data_dir, self.data_dir);
        set_some(&mut config.database_url, self.database_url);
        set_some(&mut config.secret, self.secret);
        set(&mut config.max_upload_bytes, self.max_upload_bytes);
        set(&mut config.upload_url_ttl_s, self.upload_url_ttl_s);
        set(&mut config.stream_url_ttl_s, self.stream_url_ttl_s);
        set(&mut config.access_token_ttl_s, self.access_token_ttl_s);
        set(&mut config.refresh_token_ttl_s, self.refresh_token_ttl_s);
        set(&mut config.max_duration_s, self.max_duration_s);
        set(&mut config.cache_entries, self.cache_entries);
        set(&mut config.log_format, self.log_format);
        set(&mut config.trust_forwarded_for, self.trust_forwarded_for);
        set_some(&mut config.jobs_file, self.jobs_file);
        set(&mut config.workers, self.workers);
        set_some(&mut config.cpu_slots, self.cpu_slots);
        set(&mut config.io_slots, self.io_slots);
        set(&mut config.ack_wait_s, self.ack_wait_s);
        set(&mut config.queue, self.queue);
        set(&mut config.queue_stream, self.queue_stream);
        if let Some(r) = self.rate_limits {
            let limits = &mut config.rate_limits;
            for (file, rate) in [
                (r.read, &mut limits.read),
                (r.write, &mut limits.write),
                (r.auth, &mut limits.auth),
                (r.upload, &mut limits.upload),
            ] {
                if let Some(file) = file {
                    file.apply(rate);
                }
            }
            set(&mut limits.enabled, r.enabled);
        }
    }
}

/// Overwrites `slot` when the layer sets a value.
pub(super) fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// Like [`set`] for fields that are themselves optional.
pub(super) fn set_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}
