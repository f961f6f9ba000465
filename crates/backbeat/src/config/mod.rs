//! The binary's configuration: every library crate's own section, assembled from layers.
//!
//! Layers, each overriding the one before: built-in defaults < `<data_dir>/backbeat.toml` (when
//! present) < the file named by `--config` < environment (`BACKBEAT_*`) < command-line flags.
//! Environment and flags arrive together through [`ServeArgs`] (clap gives a flag precedence
//! over its variable). The file has one table per section — `[http]`, `[catalog]`,
//! `[storage]`, `[pipeline]` — and still reads the flat keys of earlier versions (see
//! [`file`](mod@file)); unknown keys are an error so a typo never silently falls back to a default.

pub mod file;
mod flags;
mod pipeline;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use backbeat_catalog::CatalogConfig;
use backbeat_server::HttpConfig;
use backbeat_store::blob::BlobLocation;

pub use file::FileConfig;
pub use flags::ServeArgs;
pub use pipeline::{PipelineSettings, QueueDraft, QueueKind};

/// Everything the service commands need, one section per library crate.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Data directory: `catalog.db`, `blobs/`, `search/`, `secret.key` for the embedded default.
    pub data_dir: PathBuf,
    /// Signing secret (JWT and URLs); default: generated once into `<data_dir>/secret.key`.
    pub secret: Option<String>,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// `[http]`. Its `public_url` is only a default until [`Settings::public_url_set`]: an unset
    /// one is derived from the address `serve` binds (see `serve::public_url_for`).
    pub http: HttpConfig,
    /// Whether a layer set `http.public_url`.
    pub public_url_set: bool,
    /// `[catalog]` (its `public_url` is filled from `[http]` when the catalog is opened).
    pub catalog: CatalogConfig,
    /// `[storage]`.
    pub storage: StorageSettings,
    /// `[pipeline]`.
    pub pipeline: PipelineSettings,
    /// `[media]`: the streaming ladder and the ffmpeg that makes it.
    pub media: backbeat_jobs::MediaSettings,
}

/// `[storage]`: the catalog database and the blob store; unset, both live in the data directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageSettings {
    /// Database URL; default `sqlite://<data_dir>/catalog.db?mode=rwc`.
    pub database_url: Option<String>,
    /// Blob location; default `file://<data_dir>/blobs`.
    pub blobs: Option<BlobLocation>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("backbeat-data"),
            secret: None,
            log_format: "text".into(),
            http: HttpConfig::default(),
            public_url_set: false,
            catalog: CatalogConfig::default(),
            storage: StorageSettings::default(),
            pipeline: PipelineSettings::default(),
            media: backbeat_jobs::MediaSettings::default(),
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
    Invalid { field: String, message: String },
}

impl Settings {
    /// The defaults with one configuration file applied (for commands that read only a
    /// section of it, like `transcode`'s `[media]`).
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let mut settings = Settings::default();
        let mut queue = QueueDraft::default();
        FileConfig::read(path)?
            .apply(&mut settings, &mut queue)
            .map_err(|message| ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(settings)
    }

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
            .unwrap_or_else(|| Settings::default().data_dir);
        let implicit_path = data_dir.join("backbeat.toml");
        let mut settings = Settings::default();
        let mut queue = QueueDraft::default();
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
            file.apply(&mut settings, &mut queue)
                .map_err(|message| ConfigError::Parse {
                    path: implicit_path,
                    message,
                })?;
        }
        if let Some((path, file)) = explicit {
            file.apply(&mut settings, &mut queue)
                .map_err(|message| ConfigError::Parse { path, message })?;
        }
        args.apply(&mut settings, &mut queue)
            .map_err(|message| ConfigError::Invalid {
                field: "blobs".into(),
                message,
            })?;
        settings.pipeline.queue = queue.finish().map_err(|message| ConfigError::Invalid {
            field: "pipeline".into(),
            message,
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every value that could make a command misbehave rather than fail clearly.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: &str| ConfigError::Invalid {
            field: field.to_string(),
            message: message.to_string(),
        };
        self.http
            .validate()
            .map_err(|e| invalid(e.field, &e.message))?;
        let c = &self.catalog;
        let p = &self.pipeline;
        let positive = [
            ("upload_url_ttl_s", c.upload_url_ttl_s),
            ("stream_url_ttl_s", c.stream_url_ttl_s),
            ("access_token_ttl_s", c.access_token_ttl_s),
            ("refresh_token_ttl_s", c.refresh_token_ttl_s),
            ("max_upload_bytes", c.max_upload_bytes),
            ("max_channels", c.max_channels as u64),
            ("max_sample_rate", u64::from(c.max_sample_rate)),
            ("max_decoded_samples", c.max_decoded_samples),
            ("ack_wait_s", p.ack_wait_s),
            ("io_slots", p.io_slots as u64),
            ("cpu_slots", p.cpu_slots.map_or(1, |n| n as u64)),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(invalid(field, "must be greater than 0"));
            }
        }
        if !(c.max_duration_s.is_finite() && c.max_duration_s > 0.0) {
            return Err(invalid("max_duration_s", "must be a positive number"));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(invalid("log_format", "must be `text` or `json`"));
        }
        if let Some(secret) = &self.secret {
            if secret.len() < backbeat_store::signing::MIN_SECRET_LEN {
                return Err(invalid("secret", "must be at least 32 bytes"));
            }
        }
        Ok(())
    }

    /// The external-jobs file: the configured one, else `jobs.toml` in the data directory if
    /// it exists.
    pub fn jobs_file(&self) -> Option<PathBuf> {
        let default = self.data_dir.join("jobs.toml");
        match &self.pipeline.jobs_file {
            Some(p) => Some(p.clone()),
            None if default.is_file() => Some(default),
            None => None,
        }
    }

    /// The database URL, defaulting to the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.storage.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("catalog.db").display()
            )
        })
    }

    /// The blob location, defaulting to `blobs/` in the data directory.
    pub fn blobs(&self) -> BlobLocation {
        self.storage
            .blobs
            .clone()
            .unwrap_or_else(|| BlobLocation::Local(self.data_dir.join("blobs")))
    }

    /// The catalog's section with the public URL the HTTP section settled on.
    pub fn catalog_config(&self) -> CatalogConfig {
        CatalogConfig {
            public_url: self.http.public_url.clone(),
            loudness: self.media.ladder.normalisation,
            ..self.catalog.clone()
        }
    }
}

/// `true` when two paths name the same file (falls back to comparing them as written).
fn same_path(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
