//! The processing pipeline: every track flows through a graph of idempotent jobs.
//!
//! - [`graph`]: the jobs, what each reads and writes, validated at start;
//! - [`plan`]: which jobs a run (upload, bottom-up request, force, backfill) may start;
//! - [`queue`]: the job queue trait and its implementations;
//! - [`engine`]: the worker runtime (inputs copied in, outputs committed by a manifest);
//! - [`backfill`]: bringing one job up to date for a selection of tracks.
//!
//! The built-in jobs live in `backbeat-jobs`; this crate knows only the [`Job`] trait.
//!
//! See `docs/ARCHITECTURE.md` ("Processing pipeline") for the data flow.

pub mod artifacts;
pub mod backfill;
pub mod engine;
pub mod error;
pub mod external;
pub mod graph;
pub mod job;
pub mod jobs_file;
pub mod metrics;
pub mod plan;
pub mod queue;
#[cfg(feature = "testing")]
pub mod testing;
pub mod workers;

pub use backfill::{Backfill, BackfillRequest, BackfillSummary, Which};
pub use engine::{Engine, EngineConfig, Outcome};
pub use error::{GraphError, JobError, PipelineError, QueueError};
pub use graph::{Graph, Input, JobClass, JobKind, JobSpec};
pub use job::{Job, JobContext, Memo, Registry};
pub use plan::{Plan, Run};
pub use queue::{Delivery, JobMessage, Queue, QueueConfig};
pub use workers::Workers;
