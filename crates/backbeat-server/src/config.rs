//! Server configuration: the [`Config`] struct with its defaults, and how it is assembled.
//!
//! Layers, each overriding the one before: built-in defaults < `<data_dir>/backbeat.toml` (when
//! present) < the file named by `--config` < environment (`BACKBEAT_*`) < command-line flags.
//! Environment and flags arrive together through [`ServeArgs`] (clap gives a flag precedence
//! over its variable). The TOML keys are the field names below; unknown keys are an error so a
//! typo never silently falls back to a default.

mod args;
mod file;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use args::ServeArgs;
pub use file::FileConfig;

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
    /// Take the client IP for rate limits from the last `X-Forwarded-For` entry (set by a
    /// trusted reverse proxy) instead of the socket peer. Off by default: a client could
    /// otherwise pick its own rate-limit key.
    pub trust_forwarded_for: bool,
    /// Processing pipeline: TOML file declaring external jobs (default: `jobs.toml` in the
    /// data directory, when present).
    pub jobs_file: Option<PathBuf>,
    /// `backbeat serve` runs pipeline workers in-process (`false`: it only enqueues; separate
    /// `backbeat worker` processes do the work).
    pub workers: bool,
    /// Concurrent CPU-heavy jobs per worker process (`None`: cores + 1).
    pub cpu_slots: Option<usize>,
    /// Concurrent I/O-bound jobs per worker process.
    pub io_slots: usize,
    /// Seconds a running job may go without a keep-alive before the queue hands it to another
    /// worker (workers send keep-alives every third of it).
    pub ack_wait_s: u64,
    /// The job queue: `sql` (embedded in the catalog database) or a NATS JetStream server
    /// (`nats://host:port`) shared by workers on several machines.
    pub queue: String,
    /// The JetStream stream holding the jobs (one per deployment; unused with `sql`).
    pub queue_stream: String,
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
            trust_forwarded_for: false,
            jobs_file: None,
            workers: true,
            cpu_slots: None,
            io_slots: 16,
            ack_wait_s: 30,
            queue: "sql".into(),
            queue_stream: "backbeat".into(),
        }
    }
}

/// Why a configuration could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A configuration file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A configuration file is not valid TOML or has unknown keys or wrong types.
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A value is out of range.
    #[error("invalid configuration: {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl Config {
    /// Assembles the configuration from defaults, config files, environment and flags
    /// (see the module documentation for the order), then validates it.
    pub fn load(args: &ServeArgs) -> Result<Self, ConfigError> {
        let explicit = args
            .config
            .as_deref()
            .map(|p| FileConfig::read(p).map(|f| (p.to_path_buf(), f)))
            .transpose()?;
        // The data directory decides where the implicit file lives, so find it first from the
        // layers that can name it without that file.
        let data_dir = args
            .data_dir
            .clone()
            .or_else(|| explicit.as_ref().and_then(|(_, f)| f.data_dir.clone()))
            .unwrap_or_else(|| Config::default().data_dir);
        let implicit_path = data_dir.join("backbeat.toml");
        let mut config = Config::default();
        let same_file = explicit
            .as_ref()
            .is_some_and(|(p, _)| same_path(p, &implicit_path));
        if implicit_path.is_file() && !same_file {
            let file = FileConfig::read(&implicit_path)?;
            if file.data_dir.is_some() {
                // It was found through the data directory, so it cannot move it.
                return Err(ConfigError::Parse {
                    path: implicit_path,
                    message: "`data_dir` cannot be set in the data directory's own file".into(),
                });
            }
            file.apply(&mut config);
        }
        if let Some((_, file)) = explicit {
            file.apply(&mut config);
        }
        args.apply(&mut config);
        config.validate()?;
        Ok(config)
    }

    /// Checks every value that could make the server misbehave rather than fail clearly.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &'static str, message: &str| ConfigError::Invalid {
            field,
            message: message.to_string(),
        };
        validate_public_url(&self.public_url).map_err(|m| invalid("public_url", &m))?;
        let ttls = [
            ("upload_url_ttl_s", self.upload_url_ttl_s),
            ("stream_url_ttl_s", self.stream_url_ttl_s),
            ("access_token_ttl_s", self.access_token_ttl_s),
            ("refresh_token_ttl_s", self.refresh_token_ttl_s),
            ("max_upload_bytes", self.max_upload_bytes),
            ("ack_wait_s", self.ack_wait_s),
            ("io_slots", self.io_slots as u64),
            ("cpu_slots", self.cpu_slots.map_or(1, |n| n as u64)),
        ];
        for (field, value) in ttls {
            if value == 0 {
                return Err(invalid(field, "must be greater than 0"));
            }
        }
        if !(self.max_duration_s.is_finite() && self.max_duration_s > 0.0) {
            return Err(invalid("max_duration_s", "must be a positive number"));
        }
        let r = &self.rate_limits;
        for (field, rate) in [
            ("rate_limits.read", r.read),
            ("rate_limits.write", r.write),
            ("rate_limits.auth", r.auth),
            ("rate_limits.upload", r.upload),
        ] {
            if !(rate.per_second.is_finite() && rate.per_second > 0.0) || rate.burst == 0 {
                return Err(invalid(
                    field,
                    "per_second and burst must be greater than 0",
                ));
            }
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(invalid("log_format", "must be `text` or `json`"));
        }
        validate_queue(&self.queue).map_err(|m| invalid("queue", &m))?;
        if self.queue_stream.is_empty()
            || !self
                .queue_stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "queue_stream",
                "must be letters, digits, `-` and `_` only",
            ));
        }
        if let Some(secret) = &self.secret {
            if secret.len() < 32 {
                return Err(invalid("secret", "must be at least 32 bytes"));
            }
        }
        Ok(())
    }

    /// The external-jobs file: the configured one, else `jobs.toml` in the data directory if
    /// it exists.
    pub fn jobs_file(&self) -> Option<PathBuf> {
        let default = self.data_dir.join("jobs.toml");
        match &self.jobs_file {
            Some(p) => Some(p.clone()),
            None if default.is_file() => Some(default),
            None => None,
        }
    }

    /// The database URL, defaulting to the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("catalog.db").display()
            )
        })
    }
}

/// `public_url` must be an absolute http(s) URL without query or fragment, since signed URLs
/// are built by appending paths to it.
fn validate_public_url(url: &str) -> Result<(), String> {
    let uri: axum::http::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err("must start with http:// or https://".into()),
    }
    if uri.authority().is_none_or(|a| a.host().is_empty()) {
        return Err("must name a host".into());
    }
    if uri.query().is_some() || url.contains('#') {
        return Err("must not have a query or fragment".into());
    }
    Ok(())
}

/// The queue is `sql` or a `nats://host[:port]` URL.
fn validate_queue(queue: &str) -> Result<(), String> {
    if queue == "sql" {
        return Ok(());
    }
    match queue.strip_prefix("nats://") {
        Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => Ok(()),
        _ => Err(format!(
            "expected `sql` or a NATS URL `nats://host:port`, not `{queue}`"
        )),
    }
}

/// `true` when two paths name the same file (falls back to comparing them as written).
fn same_path(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
