//! Errors of the pipeline crate.

use backbeat_store::StoreError;

/// An invalid job graph (found at start, before any work).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GraphError {
    #[error("invalid name: {0}")]
    BadName(String),
    #[error("job `{0}` is declared twice")]
    DuplicateJob(String),
    #[error("output `{0}` is declared twice")]
    DuplicateOutput(String),
    #[error("job `{0}` reads nothing (give it `upload` or another job's output)")]
    NoInputs(String),
    #[error("job `{job}` reads `{input}`, which no job writes")]
    MissingInput { job: String, input: String },
    #[error("the job graph has a cycle through: {0}")]
    Cycle(String),
    #[error("no job is called `{0}`")]
    UnknownJob(String),
    #[error("job file: {0}")]
    File(String),
}

/// A queue backend failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue: {0}")]
    Backend(String),
    #[error("queue message could not be decoded: {0}")]
    Decode(String),
}

impl From<StoreError> for QueueError {
    fn from(e: StoreError) -> Self {
        QueueError::Backend(e.chain())
    }
}

/// Why a job run failed. Permanent failures (the input itself is bad) are not retried;
/// transient ones are, with backoff, until the delivery limit dead-letters them.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum JobError {
    #[error("{0}")]
    Permanent(String),
    #[error("{0}")]
    Transient(String),
}

impl JobError {
    /// Whether retrying could help.
    pub fn is_transient(&self) -> bool {
        matches!(self, JobError::Transient(_))
    }

    /// The reason text.
    pub fn reason(&self) -> &str {
        match self {
            JobError::Permanent(s) | JobError::Transient(s) => s,
        }
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Transient(e.chain())
    }
}

/// A worker-level failure (not one job's).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Other(String),
}
