//! What the processing pipeline keeps in the catalog database: per-track job states, the
//! descriptors the `summary` job writes, the selections a backfill walks, and the rows of the
//! embedded job queue. A trait of its own (not one of the [`crate::catalog`] stores) because only
//! the pipeline and the job-status endpoints need it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::StoreResult;
use crate::model::{Id, Millis};

/// Where one job stands for one track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Published, waiting for a worker (also: waiting for a retry after a transient failure).
    Pending,
    /// A worker is running it.
    Running,
    /// Outputs written by a run.
    Done,
    /// Outputs already existed for this version; nothing was computed.
    Skipped,
    /// Failed for good (bad input) — not retried.
    Failed,
    /// Failed on every allowed delivery — dead-lettered with the last error.
    Dead,
    /// Could not do its work on the worker that ran it (a model or tool missing there); the
    /// reason is the record's error. Its children went on with what it could give them (no
    /// tags, say), the track is not failed, and `--where missing` selects it again.
    Unavailable,
}

impl JobState {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Skipped => "skipped",
            JobState::Failed => "failed",
            JobState::Dead => "dead",
            JobState::Unavailable => "unavailable",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => JobState::Pending,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "skipped" => JobState::Skipped,
            "failed" => JobState::Failed,
            "dead" => JobState::Dead,
            "unavailable" => JobState::Unavailable,
            _ => return None,
        })
    }

    /// Whether the job's outputs exist in this state.
    pub fn is_complete(self) -> bool {
        matches!(self, JobState::Done | JobState::Skipped)
    }

    /// Every state.
    pub const ALL: [JobState; 7] = [
        JobState::Pending,
        JobState::Running,
        JobState::Done,
        JobState::Skipped,
        JobState::Failed,
        JobState::Dead,
        JobState::Unavailable,
    ];
}

/// The latest state of one job for one track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub track_id: Id,
    pub job: String,
    /// The job version the state is about.
    pub version: u32,
    pub state: JobState,
    /// Deliveries that started this job for this track.
    pub attempts: u32,
    /// Runs that wrote the outputs (so "ran twice to completion" is observable).
    pub completions: u32,
    /// Why it failed (last error), if it did.
    pub error: Option<String>,
    /// Which worker touched it last.
    pub worker: Option<String>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub updated_at: Millis,
}

/// A state change to record.
#[derive(Debug, Clone)]
pub struct JobUpdate<'a> {
    pub track_id: Id,
    pub job: &'a str,
    pub version: u32,
    pub state: JobState,
    /// Set `attempts` to this delivery count (when a run starts).
    pub attempt: Option<u32>,
    pub error: Option<&'a str>,
    pub worker: Option<&'a str>,
}

/// Which tracks a backfill walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every track.
    All,
    /// Tracks of one artist.
    Artist(Id),
    /// Tracks without a complete record of `job` (never run, pending, failed, dead).
    Missing { job: String },
    /// Tracks whose complete record of `job` is for another version than `version`, or missing.
    Stale { job: String, version: u32 },
}

/// Descriptors stored for a track by the pipeline's `summary` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackAnalysis {
    pub track_id: Id,
    pub bpm: Option<f64>,
    /// `"C major"`, `"F# minor"`.
    pub key: Option<String>,
    pub loudness_lufs: Option<f64>,
    /// The whole analysis record (JSON).
    pub analysis: serde_json::Value,
    /// Grouped tags from the tagger (empty when the track was not tagged), replacing the
    /// track's previous tags.
    pub tags: Vec<TrackTag>,
    pub updated_at: Millis,
    /// The audio key (the track's `blob_key`) the analysis was computed from. When set, the
    /// analysis is stored only while the track still has that audio: a job that ran on
    /// audio replaced meanwhile must not overwrite the newer audio's analysis. Not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One grouped tag of a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackTag {
    /// `genre`, `mood`, `instrument`, `vocals` or `era`.
    pub group: String,
    pub tag: String,
    pub confidence: f64,
}

/// Job-state storage.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Records a state change (creating the record on first use). `Done` adds one completion.
    async fn record_job(&self, update: JobUpdate<'_>) -> StoreResult<()>;
    /// Records `Pending` for many (track, job, version) at once (a backfill publishing).
    async fn record_pending(&self, items: &[(Id, &str, u32)]) -> StoreResult<()>;
    /// Every job record of a track, by job name.
    async fn track_jobs(&self, track: Id) -> StoreResult<Vec<JobRecord>>;
    /// Counts per (job, state) over the whole catalog.
    async fn job_counts(&self) -> StoreResult<Vec<(String, JobState, u64)>>;
    /// Track ids matching `selection`, ascending, after `after`, at most `limit`.
    async fn select_tracks(
        &self,
        selection: &Selection,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<Id>>;
    /// Records of `job` that finished (done, skipped, failed, dead) at or after `since`, per
    /// state: a backfill's progress in one query, however many tracks it covers.
    async fn finished_since(&self, job: &str, since: Millis) -> StoreResult<Vec<(JobState, u64)>>;
    /// How many tracks `selection` matches.
    async fn count_tracks(&self, selection: &Selection) -> StoreResult<u64>;
    /// Stores (replaces) a track's descriptors and marks the track `ready` — unless one of its
    /// jobs is `failed` or `dead`, which keeps it `failed`.
    async fn set_track_analysis(&self, analysis: &TrackAnalysis) -> StoreResult<()>;
    /// A track's descriptors.
    async fn track_analysis(&self, track: Id) -> StoreResult<Option<TrackAnalysis>>;
    /// Marks a track `failed` (a job failed for good).
    async fn mark_track_failed(&self, track: Id) -> StoreResult<()>;
    /// Puts blobs a job replaced on the garbage list, to be collected no sooner than
    /// `not_before` (files players may still be reading).
    async fn collect_later(&self, keys: &[String], not_before: Millis) -> StoreResult<()>;
}
