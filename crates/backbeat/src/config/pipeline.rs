//! `[pipeline]`: the job queue, the worker slots and the external jobs file.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where the jobs wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueKind {
    /// Job rows in the catalog database (the embedded default).
    Sql,
    /// A NATS JetStream stream, shared by workers on several machines.
    JetStream {
        /// `nats://host[:port]`.
        url: String,
        /// The stream holding the jobs (one per deployment).
        stream: String,
    },
}

/// The stream name when none is configured.
pub const DEFAULT_STREAM: &str = "backbeat";

impl QueueKind {
    /// Reads the setting as written, `sql` or `nats://host:port`, with the stream name that
    /// goes with a JetStream queue.
    pub fn parse(queue: &str, stream: &str) -> Result<Self, String> {
        if stream.is_empty()
            || !stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "queue_stream: must be letters, digits, `-` and `_` only, not `{stream}`"
            ));
        }
        if queue == "sql" {
            return Ok(QueueKind::Sql);
        }
        match queue.strip_prefix("nats://") {
            Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
                Ok(QueueKind::JetStream {
                    url: queue.to_string(),
                    stream: stream.to_string(),
                })
            }
            _ => Err(format!(
                "queue: expected `sql` or a NATS URL `nats://host:port`, not `{queue}`"
            )),
        }
    }
}

impl FromStr for QueueKind {
    type Err = String;

    fn from_str(queue: &str) -> Result<Self, String> {
        QueueKind::parse(queue, DEFAULT_STREAM)
    }
}

/// The queue in words, for logs: its kind and where it is.
impl fmt::Display for QueueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueKind::Sql => f.write_str("sql, in the catalog database"),
            QueueKind::JetStream { url, stream } => {
                write!(f, "jetstream at {url}, stream {stream}")
            }
        }
    }
}

/// The `[pipeline]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSettings {
    /// TOML file declaring external jobs (default: `jobs.toml` in the data directory, when
    /// present).
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
    /// The job queue.
    pub queue: QueueKind,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            jobs_file: None,
            workers: true,
            cpu_slots: None,
            io_slots: 16,
            ack_wait_s: 30,
            queue: QueueKind::Sql,
        }
    }
}

/// The queue settings while the layers are applied: the two keys may come from different
/// layers (the file names the server, a flag the stream), so they are read together at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDraft {
    pub queue: String,
    pub stream: String,
}

impl Default for QueueDraft {
    fn default() -> Self {
        Self {
            queue: "sql".into(),
            stream: DEFAULT_STREAM.into(),
        }
    }
}

impl QueueDraft {
    /// The queue the layers settled on.
    pub fn finish(&self) -> Result<QueueKind, String> {
        QueueKind::parse(&self.queue, &self.stream)
    }
}
