//! Backfills: bring one job up to date for a selection of tracks, as `backbeat backfill` (and,
//! later, an admin endpoint) asks.
//!
//! Three steps, so each caller shows progress its own way (a progress bar, a response stream):
//! [`Backfill::prepare`] resolves the job and counts the tracks, [`Backfill::submit`] enqueues
//! them page by page, [`Backfill::wait`] watches the job's records until every track has
//! finished or the queue ran dry. Progress goes through a callback; nothing here prints.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use backbeat_store::jobs::{JobState, Selection};
use backbeat_store::model::{now_millis, Id, Millis};
use futures_util::{stream, StreamExt, TryStreamExt};

use crate::engine::Engine;
use crate::error::{GraphError, PipelineError};
use crate::graph::JobSpec;
use crate::plan::Plan;

/// Tracks per page of the selection (one plan per group of tracks in the same situation).
const PAGE: u32 = 1000;

/// Which tracks a backfill covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// Every track.
    All,
    /// One artist's tracks.
    Artist(Id),
    /// Tracks without a complete record of the job.
    Missing,
    /// Missing, or done under another version of the job.
    Stale,
}

/// How a backfill runs the job.
#[derive(Debug, Clone)]
pub struct BackfillRequest {
    /// The job to bring up to date (its missing ancestors run first).
    pub job: String,
    /// Which tracks.
    pub which: Which,
    /// Re-run the job even where its outputs exist.
    pub force: bool,
    /// With `force`: re-run everything downstream of the job too.
    pub with_descendants: bool,
}

/// A prepared backfill: the job resolved and the tracks counted.
pub struct Backfill {
    engine: Arc<Engine>,
    spec: JobSpec,
    selection: Selection,
    request: BackfillRequest,
    total: u64,
}

/// What [`Backfill::submit`] enqueued.
#[derive(Debug, Clone, Copy)]
pub struct Submitted {
    /// Tracks enqueued.
    pub tracks: u64,
    /// When enqueuing started (records finished since then count for [`Backfill::wait`]).
    pub since: Millis,
}

/// Progress while waiting.
#[derive(Debug, Clone, Copy)]
pub struct WaitProgress {
    /// Tracks for which the job has finished (any way).
    pub finished: u64,
    /// Messages still queued, over every job.
    pub queued: u64,
}

/// How a backfill ended, per track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillSummary {
    /// Done or skipped (already up to date).
    pub complete: u64,
    pub failed: u64,
    pub dead: u64,
    /// Never reached the job (an earlier job failed).
    pub unreached: u64,
}

impl Backfill {
    /// Resolves `request.job` in the engine's graph and counts the selected tracks.
    pub async fn prepare(
        engine: Arc<Engine>,
        request: BackfillRequest,
    ) -> Result<Self, PipelineError> {
        let spec = engine
            .graph
            .job(&request.job)
            .cloned()
            .ok_or_else(|| GraphError::UnknownJob(request.job.clone()))?;
        let selection = match &request.which {
            Which::All => Selection::All,
            Which::Artist(id) => Selection::Artist(*id),
            Which::Missing => Selection::Missing {
                job: spec.name.clone(),
            },
            Which::Stale => Selection::Stale {
                job: spec.name.clone(),
                version: spec.version,
            },
        };
        let total = engine.states.count_tracks(&selection).await?;
        Ok(Backfill {
            engine,
            spec,
            selection,
            request,
            total,
        })
    }

    /// The job being backfilled.
    pub fn job(&self) -> &JobSpec {
        &self.spec
    }

    /// Tracks selected.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Enqueues every selected track, calling `progress` with the number of tracks enqueued
    /// after each submission.
    pub async fn submit(&self, mut progress: impl FnMut(u64)) -> Result<Submitted, PipelineError> {
        let since = now_millis();
        let mut after = None;
        let mut enqueued: u64 = 0;
        loop {
            let page = self
                .engine
                .states
                .select_tracks(&self.selection, after, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(*last);
            // A track's plan depends on which jobs are done for it; tracks in the same
            // situation share one plan and one submission.
            let done_sets: Vec<(Id, BTreeSet<String>)> = stream::iter(page)
                .map(|id| {
                    let engine = Arc::clone(&self.engine);
                    async move { Ok::<_, PipelineError>((id, engine.done_set(id).await?)) }
                })
                .buffered(16)
                .try_collect()
                .await?;
            let mut groups: BTreeMap<BTreeSet<String>, Vec<Id>> = BTreeMap::new();
            for (id, done) in done_sets {
                groups.entry(done).or_default().push(id);
            }
            for (done, ids) in groups {
                let is_done = |n: &str| done.contains(n);
                let graph = &self.engine.graph;
                let plan = if self.request.force {
                    Plan::force(
                        graph,
                        &self.spec.name,
                        self.request.with_descendants,
                        is_done,
                    )?
                } else {
                    Plan::bottom_up(graph, &self.spec.name, is_done)?
                };
                self.engine.submit_many(&ids, &plan).await?;
                enqueued += ids.len() as u64;
                progress(enqueued);
            }
        }
        Ok(Submitted {
            tracks: enqueued,
            since,
        })
    }

    /// Waits until the job has finished (done, skipped, failed or dead) for every submitted
    /// track, or the queue has been empty twice in a row (tracks whose ancestors failed never
    /// reach the job), calling `progress` every `tick`. One count query and one depth query
    /// per tick, however large the backfill.
    pub async fn wait(
        &self,
        submitted: Submitted,
        tick: Duration,
        mut progress: impl FnMut(WaitProgress),
    ) -> Result<BackfillSummary, PipelineError> {
        let job = &self.spec.name;
        let states = &self.engine.states;
        let total = submitted.tracks;
        let names: Vec<String> = self.engine.graph.names().into_iter().collect();
        let mut empty_ticks = 0;
        let counts = loop {
            let counts = states.finished_since(job, submitted.since).await?;
            let finished: u64 = counts.iter().map(|c| c.1).sum();
            if finished >= total {
                progress(WaitProgress {
                    finished: total,
                    queued: 0,
                });
                break counts;
            }
            let queued: u64 = self
                .engine
                .queue
                .depth(&names)
                .await?
                .iter()
                .map(|d| d.1)
                .sum();
            progress(WaitProgress { finished, queued });
            empty_ticks = if queued == 0 { empty_ticks + 1 } else { 0 };
            if empty_ticks >= 2 {
                // Counted after the queue emptied, so nothing finished in between is missed.
                break states.finished_since(job, submitted.since).await?;
            }
            tokio::time::sleep(tick).await;
        };
        let of = |wanted: &[JobState]| -> u64 {
            counts
                .iter()
                .filter(|c| wanted.contains(&c.0))
                .map(|c| c.1)
                .sum()
        };
        let complete = of(&[JobState::Done, JobState::Skipped]);
        let failed = of(&[JobState::Failed]);
        let dead = of(&[JobState::Dead]);
        Ok(BackfillSummary {
            complete,
            failed,
            dead,
            unreached: total.saturating_sub(complete + failed + dead),
        })
    }
}
