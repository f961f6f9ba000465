//! `backbeat serve`'s flags; each one can also come from its `BACKBEAT_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;

use super::file::{set, set_quota, set_some};
use super::{QueueDraft, Settings};

/// Flags of `backbeat serve` (and of the other commands that open the data directory).
/// Every flag is optional: unset, the config files or the defaults decide. A flag wins over
/// its environment variable.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file, one table per section: `[http]`, `[catalog]`, `[storage]`,
    /// `[pipeline]` (keys are the long flag names with `_` for `-`; rate limits go in
    /// `[http.rate_limits.read]` etc.).
    #[arg(long, env = "BACKBEAT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "BACKBEAT_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Base URL clients reach this server at (signed URLs are built from it).
    #[arg(long, env = "BACKBEAT_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Data directory (SQLite catalog, blobs, search index, generated secret).
    #[arg(long, env = "BACKBEAT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (`sqlite://...` or `postgres://...`).
    #[arg(long, env = "BACKBEAT_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Blob store: `file:///absolute/folder` (default: `blobs/` in the data directory) or
    /// `s3://bucket/prefix`.
    #[arg(long, env = "BACKBEAT_BLOBS", value_name = "URL")]
    pub blobs: Option<String>,
    /// Signing secret, at least 32 bytes (default: generated into the data directory).
    #[arg(
        long,
        env = "BACKBEAT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub secret: Option<String>,
    /// Largest accepted upload in bytes.
    #[arg(long, env = "BACKBEAT_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Life of an upload URL in seconds.
    #[arg(long, env = "BACKBEAT_UPLOAD_URL_TTL_S", value_name = "SECONDS")]
    pub upload_url_ttl_s: Option<u64>,
    /// Life of a stream URL in seconds.
    #[arg(long, env = "BACKBEAT_STREAM_URL_TTL_S", value_name = "SECONDS")]
    pub stream_url_ttl_s: Option<u64>,
    /// Life of an access token in seconds.
    #[arg(long, env = "BACKBEAT_ACCESS_TOKEN_TTL_S", value_name = "SECONDS")]
    pub access_token_ttl_s: Option<u64>,
    /// Life of a refresh token in seconds.
    #[arg(long, env = "BACKBEAT_REFRESH_TOKEN_TTL_S", value_name = "SECONDS")]
    pub refresh_token_ttl_s: Option<u64>,
    /// Longest accepted audio in seconds.
    #[arg(long, env = "BACKBEAT_MAX_DURATION_S", value_name = "SECONDS")]
    pub max_duration_s: Option<f64>,
    /// Most channels an upload may have.
    #[arg(long, env = "BACKBEAT_MAX_CHANNELS", value_name = "N")]
    pub max_channels: Option<usize>,
    /// Highest sample rate an upload may have, Hz.
    #[arg(long, env = "BACKBEAT_MAX_SAMPLE_RATE", value_name = "HZ")]
    pub max_sample_rate: Option<u32>,
    /// Most decoded samples (duration × channels × rate) an upload may have.
    #[arg(long, env = "BACKBEAT_MAX_DECODED_SAMPLES", value_name = "N")]
    pub max_decoded_samples: Option<u64>,
    /// Most tracks per account (0: unlimited).
    #[arg(long, env = "BACKBEAT_QUOTA_MAX_TRACKS", value_name = "N")]
    pub quota_max_tracks: Option<u64>,
    /// Most bytes of audio per account (0: unlimited).
    #[arg(long, env = "BACKBEAT_QUOTA_MAX_STORED_BYTES", value_name = "BYTES")]
    pub quota_max_stored_bytes: Option<u64>,
    /// Most seconds of audio per account submitted for processing per UTC day (0: unlimited).
    #[arg(
        long,
        env = "BACKBEAT_QUOTA_MAX_PROCESSING_S_PER_DAY",
        value_name = "SECONDS"
    )]
    pub quota_max_processing_s_per_day: Option<u64>,
    /// Whether admins are exempt from the quotas.
    #[arg(long, env = "BACKBEAT_QUOTA_ADMINS_EXEMPT", value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    pub quota_admins_exempt: Option<bool>,
    /// Read requests per second (per user and per IP).
    #[arg(long, env = "BACKBEAT_RATE_READ_PER_SECOND", value_name = "RATE")]
    pub rate_read_per_second: Option<f64>,
    /// Read burst.
    #[arg(long, env = "BACKBEAT_RATE_READ_BURST", value_name = "N")]
    pub rate_read_burst: Option<u32>,
    /// Write requests per second.
    #[arg(long, env = "BACKBEAT_RATE_WRITE_PER_SECOND", value_name = "RATE")]
    pub rate_write_per_second: Option<f64>,
    /// Write burst.
    #[arg(long, env = "BACKBEAT_RATE_WRITE_BURST", value_name = "N")]
    pub rate_write_burst: Option<u32>,
    /// Login/register/refresh requests per second.
    #[arg(long, env = "BACKBEAT_RATE_AUTH_PER_SECOND", value_name = "RATE")]
    pub rate_auth_per_second: Option<f64>,
    /// Login/register/refresh burst.
    #[arg(long, env = "BACKBEAT_RATE_AUTH_BURST", value_name = "N")]
    pub rate_auth_burst: Option<u32>,
    /// Upload-URL requests per second.
    #[arg(long, env = "BACKBEAT_RATE_UPLOAD_PER_SECOND", value_name = "RATE")]
    pub rate_upload_per_second: Option<f64>,
    /// Upload-URL burst.
    #[arg(long, env = "BACKBEAT_RATE_UPLOAD_BURST", value_name = "N")]
    pub rate_upload_burst: Option<u32>,
    /// `false` turns rate limiting off (load benchmarks).
    #[arg(long, env = "BACKBEAT_RATE_LIMITS_ENABLED", value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    pub rate_limits_enabled: Option<bool>,
    /// Metadata cache capacity in entries.
    #[arg(long, env = "BACKBEAT_CACHE_ENTRIES", value_name = "N")]
    pub cache_entries: Option<usize>,
    /// Log format.
    #[arg(long, env = "BACKBEAT_LOG_FORMAT", value_name = "FORMAT",
          value_parser = ["text", "json"])]
    pub log_format: Option<String>,
    /// Rate-limit by the last `X-Forwarded-For` address (only behind a trusted proxy).
    #[arg(long, env = "BACKBEAT_TRUST_FORWARDED_FOR", value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    pub trust_forwarded_for: Option<bool>,
    /// Seconds a client may take to send a request's headers (also the keep-alive idle time).
    #[arg(long, env = "BACKBEAT_HEADER_READ_TIMEOUT_S", value_name = "SECONDS")]
    pub header_read_timeout_s: Option<u64>,
    /// Seconds a request body may go without a byte before the request fails with 408.
    #[arg(long, env = "BACKBEAT_BODY_IDLE_TIMEOUT_S", value_name = "SECONDS")]
    pub body_idle_timeout_s: Option<u64>,
    /// Seconds a request body (an upload) may take in all before the request fails with 408.
    #[arg(long, env = "BACKBEAT_MAX_UPLOAD_DURATION_S", value_name = "SECONDS")]
    pub max_upload_duration_s: Option<u64>,
    /// Connections open at once; more are closed as soon as accepted.
    #[arg(long, env = "BACKBEAT_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Connections one client IP (IPv6: one /64) may hold; 0 for no cap (behind a proxy).
    #[arg(long, env = "BACKBEAT_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    pub max_connections_per_ip: Option<usize>,
    /// TOML file declaring external pipeline jobs (default: `jobs.toml` in the data directory).
    #[arg(long, env = "BACKBEAT_JOBS_FILE", value_name = "FILE")]
    pub jobs_file: Option<PathBuf>,
    /// `serve` runs pipeline workers in-process (`false`: only enqueue, for separate
    /// `backbeat worker` processes).
    #[arg(long, env = "BACKBEAT_WORKERS", value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    pub workers: Option<bool>,
    /// Concurrent CPU-heavy jobs per worker process (default: cores + 1).
    #[arg(long, env = "BACKBEAT_CPU_SLOTS", value_name = "N")]
    pub cpu_slots: Option<usize>,
    /// Concurrent I/O-bound jobs per worker process.
    #[arg(long, env = "BACKBEAT_IO_SLOTS", value_name = "N")]
    pub io_slots: Option<usize>,
    /// Seconds a job may go without a keep-alive before the queue redelivers it.
    #[arg(long, env = "BACKBEAT_ACK_WAIT_S", value_name = "SECONDS")]
    pub ack_wait_s: Option<u64>,
    /// The job queue: `sql` (embedded in the catalog database, the default) or a NATS
    /// JetStream server (`nats://host:port`) shared by workers on several machines.
    #[arg(long, env = "BACKBEAT_QUEUE", value_name = "sql|nats://HOST:PORT")]
    pub queue: Option<String>,
    /// The JetStream stream holding the jobs (one per deployment; unused with `sql`).
    #[arg(long, env = "BACKBEAT_QUEUE_STREAM", value_name = "NAME")]
    pub queue_stream: Option<String>,
}

impl ServeArgs {
    /// Overrides `settings` (and the queue being assembled) with every flag (or variable)
    /// that is set.
    pub fn apply(&self, settings: &mut Settings, queue: &mut QueueDraft) -> Result<(), String> {
        let s = settings;
        set(&mut s.data_dir, self.data_dir.clone());
        set_some(&mut s.secret, self.secret.clone());
        set(&mut s.log_format, self.log_format.clone());
        let h = &mut s.http;
        set(&mut h.bind, self.bind);
        if self.public_url.is_some() {
            s.public_url_set = true;
        }
        set(&mut h.public_url, self.public_url.clone());
        set(&mut h.trust_forwarded_for, self.trust_forwarded_for);
        let r = &mut h.rate_limits;
        set(&mut r.read.per_second, self.rate_read_per_second);
        set(&mut r.read.burst, self.rate_read_burst);
        set(&mut r.write.per_second, self.rate_write_per_second);
        set(&mut r.write.burst, self.rate_write_burst);
        set(&mut r.auth.per_second, self.rate_auth_per_second);
        set(&mut r.auth.burst, self.rate_auth_burst);
        set(&mut r.upload.per_second, self.rate_upload_per_second);
        set(&mut r.upload.burst, self.rate_upload_burst);
        set(&mut r.enabled, self.rate_limits_enabled);
        let l = &mut h.client_limits;
        set(&mut l.header_read_timeout_s, self.header_read_timeout_s);
        set(&mut l.body_idle_timeout_s, self.body_idle_timeout_s);
        set(&mut l.max_upload_duration_s, self.max_upload_duration_s);
        set(&mut l.max_connections, self.max_connections);
        set(&mut l.max_connections_per_ip, self.max_connections_per_ip);
        let c = &mut s.catalog;
        set(&mut c.max_upload_bytes, self.max_upload_bytes);
        set(&mut c.upload_url_ttl_s, self.upload_url_ttl_s);
        set(&mut c.stream_url_ttl_s, self.stream_url_ttl_s);
        set(&mut c.access_token_ttl_s, self.access_token_ttl_s);
        set(&mut c.refresh_token_ttl_s, self.refresh_token_ttl_s);
        set(&mut c.max_duration_s, self.max_duration_s);
        set(&mut c.max_channels, self.max_channels);
        set(&mut c.max_sample_rate, self.max_sample_rate);
        set(&mut c.max_decoded_samples, self.max_decoded_samples);
        set(&mut c.cache_entries, self.cache_entries);
        set_quota(&mut c.quota.max_tracks, self.quota_max_tracks);
        set_quota(&mut c.quota.max_stored_bytes, self.quota_max_stored_bytes);
        set_quota(
            &mut c.quota.max_processing_s_per_day,
            self.quota_max_processing_s_per_day,
        );
        set(&mut c.quota.admins_exempt, self.quota_admins_exempt);
        set_some(&mut s.storage.database_url, self.database_url.clone());
        if let Some(blobs) = &self.blobs {
            s.storage.blobs = Some(blobs.parse().map_err(|e| format!("{e}"))?);
        }
        let p = &mut s.pipeline;
        set_some(&mut p.jobs_file, self.jobs_file.clone());
        set(&mut p.workers, self.workers);
        set_some(&mut p.cpu_slots, self.cpu_slots);
        set(&mut p.io_slots, self.io_slots);
        set(&mut p.ack_wait_s, self.ack_wait_s);
        set(&mut queue.queue, self.queue.clone());
        set(&mut queue.stream, self.queue_stream.clone());
        Ok(())
    }
}
