//! What a job is to the runtime: something that reads local input files and writes local
//! output files. The runtime prepares both paths, runs the job under a timeout with its panics
//! contained, and commits the outputs to the object store only when the job returned `Ok`.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use backbeat_store::model::Track;
use backbeat_store::{JobStore, LibraryStore};

use crate::error::JobError;
use crate::graph::{Input, JobSpec};

/// A job's code.
#[async_trait]
pub trait Job: Send + Sync + 'static {
    /// Runs the job: read `ctx.inputs`, write every path of `ctx.outputs`.
    async fn run(&self, ctx: JobContext) -> Result<(), JobError>;
}

/// Everything a job run gets.
pub struct JobContext {
    /// The track (as stored when the run started).
    pub track: Track,
    /// The job's declaration.
    pub spec: JobSpec,
    /// A local file per input.
    pub inputs: BTreeMap<Input, PathBuf>,
    /// Where to write each declared output (in a scratch folder of this run).
    pub outputs: BTreeMap<String, PathBuf>,
    /// In-memory results handed between jobs of one track on one worker (decode once).
    pub memo: Memo,
    /// Artists, albums and tracks, for jobs whose effect is in the catalog database.
    pub library: Arc<dyn LibraryStore>,
    /// Job states and descriptors.
    pub states: Arc<dyn JobStore>,
    /// Set when the run has been abandoned (timeout, shutdown); long loops should check it.
    pub cancel: CancelFlag,
}

impl JobContext {
    /// The local file of `input` (`upload` or `job.output`).
    pub fn input(&self, input: &str) -> Result<&PathBuf, JobError> {
        let key = Input::parse(input).map_err(|e| JobError::Permanent(e.to_string()))?;
        self.inputs
            .get(&key)
            .ok_or_else(|| JobError::Permanent(format!("job does not read `{input}`")))
    }

    /// Where to write `output`.
    pub fn output(&self, output: &str) -> Result<&PathBuf, JobError> {
        self.outputs
            .get(output)
            .ok_or_else(|| JobError::Permanent(format!("job does not write `{output}`")))
    }
}

/// A shared "stop" flag.
#[derive(Clone, Default, Debug)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether the job should stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// In-memory values keyed by `job.output`, alive while one worker runs a chain of jobs of one
/// track. Lets `analyze` take the mono signal `downsample` just computed instead of decoding
/// the file `downsample` wrote; every job still writes its own output.
#[derive(Clone, Default)]
pub struct Memo(Arc<Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>>);

impl Memo {
    /// Stores `value` under `key`.
    pub fn put<T: Any + Send + Sync>(&self, key: &str, value: Arc<T>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(key.to_string(), value);
        }
    }

    /// The value under `key`, if it has type `T`.
    pub fn get<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let m = self.0.lock().ok()?;
        m.get(key).cloned()?.downcast::<T>().ok()
    }
}

/// Job code by job name.
#[derive(Clone, Default)]
pub struct Registry {
    jobs: HashMap<String, Arc<dyn Job>>,
    /// Jobs known at start-up to be unable to do their work here, with the reason.
    unavailable: std::collections::BTreeMap<String, String>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `job` under `name` (replacing any earlier one).
    pub fn register(&mut self, name: &str, job: impl Job) -> &mut Self {
        self.jobs.insert(name.to_string(), Arc::new(job));
        self
    }

    /// The code for `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Job>> {
        self.jobs.get(name).cloned()
    }

    /// Records that `name` cannot do its work in this process (a missing model), and why: for
    /// start-up warnings and readiness reports. The job still runs and reports it itself
    /// ([`crate::JobError::Unavailable`]).
    pub fn mark_unavailable(&mut self, name: &str, reason: impl Into<String>) -> &mut Self {
        self.unavailable.insert(name.to_string(), reason.into());
        self
    }

    /// The jobs marked unavailable, with their reasons.
    pub fn unavailable(&self) -> &std::collections::BTreeMap<String, String> {
        &self.unavailable
    }
}
