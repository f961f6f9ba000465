//! Errors of the pipeline crate.

use backbeat_store::blob::PutError;
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
    /// The embedded queue's database failed; kept whole so an outage (a full disk) is seen
    /// as one.
    #[error("queue: {}", .0.chain())]
    Store(#[source] StoreError),
}

impl From<StoreError> for QueueError {
    fn from(e: StoreError) -> Self {
        QueueError::Store(e)
    }
}

/// Why a job run failed. Permanent failures (the input itself is bad) are not retried;
/// transient ones are, with backoff, until the delivery limit dead-letters them.
///
/// Wrapped errors are kept as sources (for logs that walk the chain); the Display text is the
/// reason recorded in the job's state, so it stays what it was when these were strings.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Permanent(String),
    #[error("{0}")]
    Transient(String),
    /// A local file could not be read or written (transient: disks fill up and free up).
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The blob store or the database failed (transient).
    #[error("{0}")]
    Store(#[source] StoreError),
    /// An output could not be uploaded (transient).
    #[error("{0}")]
    Upload(#[source] PutError),
    /// The queue failed (transient), `what` saying at what.
    #[error("{what}: {source}")]
    Queue {
        what: String,
        #[source]
        source: QueueError,
    },
    /// The input itself is bad (permanent): the decoder's or the model's own error.
    #[error("{0}")]
    BadInput(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The track's audio was replaced while the job ran: its result is discarded, not a
    /// failure (the run started for the new audio makes the job again).
    #[error("{0}")]
    Stale(String),
    /// The job cannot do its work on this worker (a model or tool missing here). The job has
    /// still written every output, with what its children can go on with (no tags, say): they
    /// are committed, the job is recorded `unavailable` with this reason, the run goes on, and
    /// the job counts as not done, so a later run does it properly.
    #[error("{0}")]
    Unavailable(String),
}

impl JobError {
    /// Whether retrying could help.
    pub fn is_transient(&self) -> bool {
        match self {
            JobError::Transient(_)
            | JobError::Io { .. }
            | JobError::Store(_)
            | JobError::Queue { .. }
            | JobError::Upload(_) => true,
            JobError::Permanent(_)
            | JobError::BadInput(_)
            | JobError::Stale(_)
            | JobError::Unavailable(_) => false,
        }
    }

    /// Whether the failure is an outage (a full disk, a database out of reach) rather than
    /// anything about this job: the engine waits those out instead of counting them as tries.
    pub fn is_outage(&self) -> bool {
        match self {
            JobError::Io { source, .. } => backbeat_store::outage::is_storage_full(source),
            JobError::Store(e)
            | JobError::Upload(PutError::Store(e))
            | JobError::Queue {
                source: QueueError::Store(e),
                ..
            } => e.outage().is_some(),
            JobError::Queue { .. } => false,
            JobError::Upload(PutError::TooLarge(_) | PutError::Body(_))
            | JobError::Transient(_)
            | JobError::Permanent(_)
            | JobError::BadInput(_)
            | JobError::Stale(_)
            | JobError::Unavailable(_) => false,
        }
    }

    /// The reason text (what the job's state records).
    pub fn reason(&self) -> String {
        self.to_string()
    }

    /// A failed local file operation, `what` saying which.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> JobError {
        let what = what.into();
        move |source| JobError::Io { what, source }
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Store(e)
    }
}

impl From<PutError> for JobError {
    fn from(e: PutError) -> Self {
        JobError::Upload(e)
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

#[cfg(test)]
mod tests {
    use super::{JobError, PutError, QueueError};
    use backbeat_store::StoreError;

    #[test]
    fn outages_are_told_from_failures_of_the_job() {
        let enospc = || std::io::Error::from_raw_os_error(28);
        assert!(JobError::io("writing audio.wav")(enospc()).is_outage());
        let full_blobs = StoreError::blob("writing a part", enospc());
        assert!(JobError::Upload(PutError::Store(full_blobs)).is_outage());
        let lost_db = StoreError::database("recording", sqlx::Error::PoolTimedOut);
        assert!(JobError::Store(lost_db).is_outage());
        // Publishing a child to the embedded queue on a full disk (seen in the full-disk test:
        // the job went `dead` when this was a plain string).
        let full_queue = StoreError::database("publishing", sqlx::Error::PoolTimedOut);
        let publish = JobError::Queue {
            what: "publishing `analyze`".into(),
            source: QueueError::from(full_queue),
        };
        assert!(publish.is_outage());
        let broken = JobError::Queue {
            what: "publishing `analyze`".into(),
            source: QueueError::Decode("bad".into()),
        };
        assert!(!broken.is_outage());

        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!JobError::io("reading")(denied).is_outage());
        assert!(!JobError::Transient("job panicked".into()).is_outage());
        assert!(!JobError::Upload(PutError::TooLarge(10)).is_outage());
    }
}
