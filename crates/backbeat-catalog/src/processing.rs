//! What the pipeline did with a track: its job states against the current graph, and the
//! analysis the `summary` job stored.

use backbeat_store::jobs::{JobRecord, TrackAnalysis};
use backbeat_store::{Id, TrackStatus};

use crate::error::{CatalogError, CatalogResult};
use crate::{policy, Caller, Inner};

/// The processing views.
pub struct Processing<'a>(pub(crate) &'a Inner);

/// One job of the graph as it stands for a track.
#[derive(Debug, Clone)]
pub struct JobView {
    pub job: String,
    /// The graph's current version of the job.
    pub version: u32,
    /// The latest record, of whatever version; `None` if the job never ran for the track.
    pub record: Option<JobRecord>,
}

impl JobView {
    /// `none`, `stale` (complete, but for another version), or the record's state.
    pub fn state(&self) -> &'static str {
        match &self.record {
            None => "none",
            Some(r) if r.version != self.version && r.state.is_complete() => "stale",
            Some(r) => r.state.as_str(),
        }
    }
}

/// A track's status and every job of the graph.
#[derive(Debug, Clone)]
pub struct TrackJobs {
    pub status: TrackStatus,
    pub jobs: Vec<JobView>,
}

impl Processing<'_> {
    /// The track's job states (its owners and admins).
    pub async fn jobs(&self, caller: &Caller, id: Id) -> CatalogResult<TrackJobs> {
        let cat = self.0;
        policy::owned_track(cat, caller, id).await?;
        let records = cat.pipeline.states.track_jobs(id).await?;
        let jobs = cat
            .pipeline
            .graph
            .jobs()
            .map(|spec| JobView {
                job: spec.name.clone(),
                version: spec.version,
                record: records.iter().find(|r| r.job == spec.name).cloned(),
            })
            .collect();
        // From the database, not the cache: a job may have just changed it.
        let track = cat.stores.library.track(id).await?;
        Ok(TrackJobs {
            status: track.status,
            jobs,
        })
    }

    /// The track's stored analysis (anyone signed in); `NotFound` before `summary` ran.
    pub async fn analysis(&self, id: Id) -> CatalogResult<TrackAnalysis> {
        let cat = self.0;
        policy::track(cat, id).await?;
        cat.pipeline
            .states
            .track_analysis(id)
            .await?
            .ok_or(CatalogError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backbeat_store::jobs::JobState;

    fn record(version: u32, state: JobState) -> JobRecord {
        JobRecord {
            track_id: uuid::Uuid::nil(),
            job: "analyze".into(),
            version,
            state,
            attempts: 1,
            completions: 1,
            error: None,
            worker: None,
            started_at: None,
            finished_at: None,
            updated_at: 0,
        }
    }

    fn view(record: Option<JobRecord>) -> JobView {
        JobView {
            job: "analyze".into(),
            version: 2,
            record,
        }
    }

    #[test]
    fn states_name_staleness_and_absence() {
        assert_eq!(view(None).state(), "none");
        assert_eq!(view(Some(record(2, JobState::Done))).state(), "done");
        assert_eq!(view(Some(record(1, JobState::Done))).state(), "stale");
        // A pending or failed record says what is happening, whatever its version.
        assert_eq!(view(Some(record(1, JobState::Pending))).state(), "pending");
    }
}
