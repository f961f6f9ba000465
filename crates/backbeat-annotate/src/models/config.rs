//! A model annotator as a project manager configures it: JSON tagged by `kind`.
//!
//! ```json
//! {"kind": "builtin", "bindings": [
//!   {"question": "genre", "source": "tags:genre", "aliases": {"hip hop": "hiphop"}},
//!   {"question": "moods", "source": "tags:mood", "threshold": 0.5},
//!   {"question": "bpm", "source": "analysis:bpm"},
//!   {"question": "key", "source": "analysis:key"}
//! ]}
//! {"kind": "http", "url": "http://ml-backend:9090/predict",
//!  "headers": {"Authorization": "Token abc"},
//!  "limits": {"timeout_seconds": 30, "attempts": 3, "batch_size": 8,
//!             "max_response_bytes": 16777216}}
//! {"kind": "command", "program": "python3", "args": ["predict.py"],
//!  "limits": {"timeout_seconds": 60}}
//! ```
//!
//! Unknown fields are refused, so a misspelt setting fails when the project is saved rather
//! than being silently ignored.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// One model annotator of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelConfig {
    /// Pre-annotations from the pipeline's stored outputs (tags, tempo, key).
    Builtin(BuiltinConfig),
    /// An HTTP endpoint taking Label Studio ML-backend `/predict` requests.
    Http(HttpConfig),
    /// A command reading the same request on stdin and writing the response on stdout.
    Command(CommandConfig),
}

/// The built-in model: which stored output answers which question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuiltinConfig {
    pub bindings: Vec<Binding>,
}

/// One question answered from one stored output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The schema question it answers.
    pub question: String,
    /// `tags:<group>` (a group of [`TAG_GROUPS`]: `tags:genre`, `tags:mood`,
    /// `tags:instrument`, `tags:vocals`, `tags:era`), `analysis:bpm`, `analysis:key` or
    /// `analysis:beats` (see [`Source`]).
    pub source: String,
    /// Tagger tag → schema label, for tags whose names differ from the labels (matching is
    /// otherwise case-insensitive on the names).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, String>,
    /// Multi-label questions: a tag whose probability reaches this is predicted (default
    /// 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// The tagger's tag groups as the store keeps them (`backbeat_store::jobs::TrackTag::group`).
pub const TAG_GROUPS: [&str; 5] = ["genre", "mood", "instrument", "vocals", "era"];

/// Where a binding reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The tagger's tags of one group.
    Tags { group: String },
    /// The analysis's tempo.
    Bpm,
    /// The analysis's key.
    Key,
    /// The analysis's beat grid.
    Beats,
}

impl Source {
    /// Parses `tags:<group>` (one of [`TAG_GROUPS`]), `analysis:bpm`, `analysis:key`,
    /// `analysis:beats`.
    pub fn parse(text: &str) -> Option<Source> {
        match text.trim() {
            "analysis:bpm" => Some(Source::Bpm),
            "analysis:key" => Some(Source::Key),
            "analysis:beats" => Some(Source::Beats),
            other => {
                let group = other.strip_prefix("tags:")?.trim();
                TAG_GROUPS.contains(&group).then(|| Source::Tags {
                    group: group.to_string(),
                })
            }
        }
    }
}

/// An HTTP endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// The full URL requests are POSTed to (a Label Studio backend's is `…/predict`).
    pub url: String,
    /// Extra request headers (say `Authorization`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Sent as the request's `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    /// Timeout, retries, batch size, response cap.
    #[serde(default)]
    pub limits: Limits,
}

/// A command: the request on its stdin, the response on its stdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// The program (looked up on `PATH`); run directly, not through a shell.
    pub program: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Sent as the request's `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    /// Timeout, retries, batch size, response cap.
    #[serde(default)]
    pub limits: Limits,
}

/// How long to wait, how often to try, how much to send and accept (`"limits": {…}`, every
/// field optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Per attempt (default 30). A command still running then is killed with its children.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: f64,
    /// Tries per batch, the first included (default 3). Timeouts, connection errors, 5xx and
    /// cut-off bodies are retried; 4xx, a command's non-zero exit, an oversized or malformed
    /// response are not.
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    /// The first retry's delay in milliseconds (default 500), doubling at each retry, with
    /// up to 50 % random jitter added.
    #[serde(default = "default_backoff")]
    pub backoff_ms: u64,
    /// Tasks per request (default 8).
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// A response above this is refused (default 16 MiB).
    #[serde(default = "default_cap")]
    pub max_response_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout_seconds: default_timeout(),
            attempts: default_attempts(),
            backoff_ms: default_backoff(),
            batch_size: default_batch(),
            max_response_bytes: default_cap(),
        }
    }
}

impl Limits {
    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_seconds)
    }

    /// Refuses settings that cannot work.
    pub fn check(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, problem: &str| {
            Err(ConfigError::Invalid {
                field: field.into(),
                problem: problem.into(),
            })
        };
        if !(self.timeout_seconds.is_finite()
            && self.timeout_seconds > 0.0
            && self.timeout_seconds <= 3600.0)
        {
            return bad("timeout_seconds", "must be above 0 and at most 3600");
        }
        if !(1..=10).contains(&self.attempts) {
            return bad("attempts", "must be 1 to 10");
        }
        if self.backoff_ms > 60_000 {
            return bad("backoff_ms", "must be at most 60000");
        }
        if !(1..=1000).contains(&self.batch_size) {
            return bad("batch_size", "must be 1 to 1000");
        }
        if !(1024..=1 << 30).contains(&self.max_response_bytes) {
            return bad("max_response_bytes", "must be 1 KiB to 1 GiB");
        }
        Ok(())
    }
}

fn default_timeout() -> f64 {
    30.0
}
fn default_attempts() -> u32 {
    3
}
fn default_backoff() -> u64 {
    500
}
fn default_batch() -> usize {
    8
}
fn default_cap() -> u64 {
    16 << 20
}
