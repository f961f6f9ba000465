//! Test jobs that log their runs and behave as told, on the shared harness
//! (`backbeat_pipeline::testing`: a SQLite catalog, local blobs and the embedded queue).

#![allow(dead_code)] // each test module uses a different subset

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use backbeat_pipeline::{Job, JobContext, JobError};
use backbeat_store::model::*;

pub use backbeat_pipeline::testing::*;

/// Runs of test jobs, in order: (job, track).
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<(String, Id)>>>);

impl Log {
    pub fn jobs_for(&self, track: Id) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, t)| *t == track)
            .map(|(j, _)| j.clone())
            .collect()
    }
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// A test job: logs its run, writes "<job>" into each output, then behaves as told.
#[derive(Clone)]
pub struct TestJob {
    pub log: Log,
    pub behaviour: Behaviour,
}

#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    Ok,
    Panic,
    Hang,
    FailPermanent,
    /// Deletes its own track (as a user would, mid-job), then writes its outputs.
    DeletesTrack,
}

#[async_trait]
impl Job for TestJob {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        self.log
            .0
            .lock()
            .unwrap()
            .push((ctx.spec.name.clone(), ctx.track.id));
        for path in ctx.inputs.values() {
            assert!(path.is_file(), "input {} missing", path.display());
        }
        match self.behaviour {
            Behaviour::Ok => {}
            Behaviour::Panic => panic!("test job panics"),
            Behaviour::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
            Behaviour::FailPermanent => return Err(JobError::Permanent("bad input".into())),
            Behaviour::DeletesTrack => ctx.library.delete_track(ctx.track.id).await.unwrap(),
        }
        for (name, path) in &ctx.outputs {
            std::fs::write(path, format!("{}:{name}", ctx.spec.name)).unwrap();
        }
        Ok(())
    }
}
