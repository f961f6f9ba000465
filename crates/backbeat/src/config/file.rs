//! The TOML configuration file: one table per library crate's section, every key optional,
//! unknown keys refused.
//!
//! ```toml
//! data_dir = "/srv/backbeat"
//! [http]
//! bind = "0.0.0.0:8080"
//! public_url = "https://music.example.org"
//! [http.rate_limits.auth]
//! burst = 5
//! [http.client_limits]
//! max_connections_per_ip = 64
//! [catalog]
//! max_upload_bytes = 1_000_000_000
//! [storage]
//! database_url = "postgres://backbeat@db/backbeat"
//! blobs = "file:///srv/backbeat/blobs"
//! [pipeline]
//! queue = "nats://nats:4222"
//! [media]
//! rungs = ["aac-96", "aac-160", "aac-256", "opus-64", "opus-96", "opus-160"]
//! segment_s = 6.0
//! target_lufs = -14.0
//! ```
//!
//! Files written for earlier versions have every key at the top level (`public_url = ...`,
//! `[rate_limits.auth]`, `queue_stream = ...`); they still load: each flat key is moved into
//! its section first ([`LEGACY_KEYS`]), and a key set both ways is an error rather than a
//! guess.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use backbeat_server::config::Rate;
use backbeat_store::blob::BlobLocation;

use super::{ConfigError, QueueDraft, Settings};

/// Flat keys of earlier versions: (top-level key, section, key in the section).
pub const LEGACY_KEYS: &[(&str, &str, &str)] = &[
    ("bind", "http", "bind"),
    ("public_url", "http", "public_url"),
    ("rate_limits", "http", "rate_limits"),
    ("trust_forwarded_for", "http", "trust_forwarded_for"),
    ("max_upload_bytes", "catalog", "max_upload_bytes"),
    ("upload_url_ttl_s", "catalog", "upload_url_ttl_s"),
    ("stream_url_ttl_s", "catalog", "stream_url_ttl_s"),
    ("access_token_ttl_s", "catalog", "access_token_ttl_s"),
    ("refresh_token_ttl_s", "catalog", "refresh_token_ttl_s"),
    ("max_duration_s", "catalog", "max_duration_s"),
    ("cache_entries", "catalog", "cache_entries"),
    ("database_url", "storage", "database_url"),
    ("jobs_file", "pipeline", "jobs_file"),
    ("workers", "pipeline", "workers"),
    ("cpu_slots", "pipeline", "cpu_slots"),
    ("io_slots", "pipeline", "io_slots"),
    ("ack_wait_s", "pipeline", "ack_wait_s"),
    ("queue", "pipeline", "queue"),
    ("queue_stream", "pipeline", "queue_stream"),
];

/// A configuration file as written; absent keys keep the value of the layer below.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub secret: Option<String>,
    pub log_format: Option<String>,
    #[serde(default)]
    pub http: FileHttp,
    #[serde(default)]
    pub catalog: FileCatalog,
    #[serde(default)]
    pub storage: FileStorage,
    #[serde(default)]
    pub pipeline: FilePipeline,
    #[serde(default)]
    pub media: FileMedia,
}

/// `[media]`: the streaming ladder.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMedia {
    /// The ffmpeg to run (default: `ffmpeg` on the `PATH`).
    pub ffmpeg: Option<PathBuf>,
    /// Rungs as `codec-kbps`: `["aac-96", "aac-160", "opus-64"]`.
    pub rungs: Option<Vec<String>>,
    pub segment_s: Option<f64>,
    pub flac_for_lossless: Option<bool>,
    pub target_lufs: Option<f64>,
    pub peak_ceiling_dbtp: Option<f64>,
    /// On-demand transcodes: disk cache size, bytes.
    pub on_demand_cache_bytes: Option<u64>,
    /// On-demand transcodes: ffmpeg processes at once.
    pub on_demand_max_transcodes: Option<usize>,
    /// On-demand transcodes: open transcoded streams per user.
    pub on_demand_max_per_user: Option<usize>,
}

/// `[http]`.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileHttp {
    pub bind: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub trust_forwarded_for: Option<bool>,
    pub rate_limits: Option<FileRateLimits>,
    pub client_limits: Option<FileClientLimits>,
}

/// The `[http.client_limits]` table (slow and half-open clients).
#[derive(Debug, Default, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileClientLimits {
    pub header_read_timeout_s: Option<u64>,
    pub body_idle_timeout_s: Option<u64>,
    pub max_upload_duration_s: Option<u64>,
    pub max_connections: Option<usize>,
    pub max_connections_per_ip: Option<usize>,
}

/// `[catalog]`.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCatalog {
    pub max_upload_bytes: Option<u64>,
    pub upload_url_ttl_s: Option<u64>,
    pub stream_url_ttl_s: Option<u64>,
    pub access_token_ttl_s: Option<u64>,
    pub refresh_token_ttl_s: Option<u64>,
    pub max_duration_s: Option<f64>,
    pub max_channels: Option<usize>,
    pub max_sample_rate: Option<u32>,
    pub max_decoded_samples: Option<u64>,
    pub cache_entries: Option<usize>,
    pub staging_grace_s: Option<u64>,
    pub quota: Option<FileQuota>,
}

/// `[catalog.quota]`: per-account quotas; `0` is unlimited.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileQuota {
    pub max_tracks: Option<u64>,
    pub max_stored_bytes: Option<u64>,
    pub max_processing_s_per_day: Option<u64>,
    pub admins_exempt: Option<bool>,
}

/// `[storage]`.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStorage {
    pub database_url: Option<String>,
    /// `file:///folder` or `s3://bucket/prefix`.
    pub blobs: Option<String>,
}

/// `[pipeline]`.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePipeline {
    pub jobs_file: Option<PathBuf>,
    pub workers: Option<bool>,
    pub cpu_slots: Option<usize>,
    pub io_slots: Option<usize>,
    pub ack_wait_s: Option<u64>,
    /// `sql` or `nats://host:port`.
    pub queue: Option<String>,
    pub queue_stream: Option<String>,
}

/// The `[http.rate_limits]` table.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRateLimits {
    pub read: Option<FileRate>,
    pub write: Option<FileRate>,
    pub auth: Option<FileRate>,
    pub upload: Option<FileRate>,
    pub enabled: Option<bool>,
}

/// One `[http.rate_limits.<class>]` table.
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

    /// Parses TOML text. A file in sections is read straight from the text, so an error names
    /// the offending key and its line; a file with flat keys is rearranged first.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| tidy(&e))?;
        if !LEGACY_KEYS
            .iter()
            .any(|(flat, ..)| table.contains_key(*flat))
        {
            return toml::from_str(text).map_err(|e| tidy(&e));
        }
        for (flat, section, key) in LEGACY_KEYS {
            let Some(value) = table.remove(*flat) else {
                continue;
            };
            let section_table = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section_table) = section_table else {
                return Err(format!("`{section}` must be a table"));
            };
            if section_table.contains_key(*key) {
                return Err(format!(
                    "`{flat}` is set both at the top level and as `{section}.{key}`; keep one"
                ));
            }
            section_table.insert(key.to_string(), value);
        }
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| tidy(&e))
    }

    /// Overrides `settings` (and the queue being assembled) with every value this file sets.
    pub fn apply(self, settings: &mut Settings, queue: &mut QueueDraft) -> Result<(), String> {
        let s = settings;
        set(&mut s.data_dir, self.data_dir);
        set_some(&mut s.secret, self.secret);
        set(&mut s.log_format, self.log_format);
        let h = self.http;
        if h.public_url.is_some() {
            s.public_url_set = true;
        }
        set(&mut s.http.bind, h.bind);
        set(&mut s.http.public_url, h.public_url);
        set(&mut s.http.trust_forwarded_for, h.trust_forwarded_for);
        if let Some(r) = h.rate_limits {
            let limits = &mut s.http.rate_limits;
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
        if let Some(c) = h.client_limits {
            let limits = &mut s.http.client_limits;
            set(&mut limits.header_read_timeout_s, c.header_read_timeout_s);
            set(&mut limits.body_idle_timeout_s, c.body_idle_timeout_s);
            set(&mut limits.max_upload_duration_s, c.max_upload_duration_s);
            set(&mut limits.max_connections, c.max_connections);
            set(&mut limits.max_connections_per_ip, c.max_connections_per_ip);
        }
        let c = self.catalog;
        set(&mut s.catalog.max_upload_bytes, c.max_upload_bytes);
        set(&mut s.catalog.upload_url_ttl_s, c.upload_url_ttl_s);
        set(&mut s.catalog.stream_url_ttl_s, c.stream_url_ttl_s);
        set(&mut s.catalog.access_token_ttl_s, c.access_token_ttl_s);
        set(&mut s.catalog.refresh_token_ttl_s, c.refresh_token_ttl_s);
        set(&mut s.catalog.max_duration_s, c.max_duration_s);
        set(&mut s.catalog.max_channels, c.max_channels);
        set(&mut s.catalog.max_sample_rate, c.max_sample_rate);
        set(&mut s.catalog.max_decoded_samples, c.max_decoded_samples);
        set(&mut s.catalog.cache_entries, c.cache_entries);
        set(&mut s.catalog.staging_grace_s, c.staging_grace_s);
        if let Some(q) = c.quota {
            let quota = &mut s.catalog.quota;
            set_quota(&mut quota.max_tracks, q.max_tracks);
            set_quota(&mut quota.max_stored_bytes, q.max_stored_bytes);
            set_quota(
                &mut quota.max_processing_s_per_day,
                q.max_processing_s_per_day,
            );
            set(&mut quota.admins_exempt, q.admins_exempt);
        }
        set_some(&mut s.storage.database_url, self.storage.database_url);
        if let Some(blobs) = self.storage.blobs {
            let location: BlobLocation =
                blobs.parse().map_err(|e| format!("storage.blobs: {e}"))?;
            s.storage.blobs = Some(location);
        }
        let p = self.pipeline;
        set_some(&mut s.pipeline.jobs_file, p.jobs_file);
        set(&mut s.pipeline.workers, p.workers);
        set_some(&mut s.pipeline.cpu_slots, p.cpu_slots);
        set(&mut s.pipeline.io_slots, p.io_slots);
        set(&mut s.pipeline.ack_wait_s, p.ack_wait_s);
        set(&mut queue.queue, p.queue);
        set(&mut queue.stream, p.queue_stream);
        let m = self.media;
        set(&mut s.media.ffmpeg, m.ffmpeg);
        let ladder = &mut s.media.ladder;
        if let Some(rungs) = m.rungs {
            ladder.rungs = rungs
                .iter()
                .map(|r| {
                    backbeat_media::model::Rung::parse(r).map_err(|e| format!("media.rungs: {e}"))
                })
                .collect::<Result<_, _>>()?;
        }
        set(&mut ladder.segment_s, m.segment_s);
        set(&mut ladder.flac_for_lossless, m.flac_for_lossless);
        set(&mut ladder.normalisation.target_lufs, m.target_lufs);
        set(
            &mut ladder.normalisation.peak_ceiling_dbtp,
            m.peak_ceiling_dbtp,
        );
        ladder.validate().map_err(|e| format!("[media]: {e}"))?;
        let od = &mut s.media.on_demand;
        set(&mut od.cache_max_bytes, m.on_demand_cache_bytes);
        set(&mut od.max_transcodes, m.on_demand_max_transcodes);
        set(&mut od.max_per_user, m.on_demand_max_per_user);
        Ok(())
    }
}

/// A TOML error on one line (toml prints a source excerpt over several).
fn tidy(e: &toml::de::Error) -> String {
    e.to_string().trim_end().to_string()
}

/// Overwrites `slot` when the layer sets a value.
pub(super) fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// A quota setting: `0` is unlimited (`None`).
pub(super) fn set_quota(slot: &mut Option<u64>, value: Option<u64>) {
    if let Some(v) = value {
        *slot = (v > 0).then_some(v);
    }
}

/// Like [`set`] for fields that are themselves optional.
pub(super) fn set_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}
