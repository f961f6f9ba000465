//! What a committed change sets off, in one place: search-index updates, cache invalidation,
//! garbage collection and pipeline submission. A use case writes to the store, then hands the
//! [`Event`]s of that write to `apply`; nothing else touches the index, the cache, the
//! collector or the queue on a write path.
//!
//! Order and failure, per event: the cache is invalidated first (a later read must not serve
//! the old record), then the search documents, then blobs are collected, then jobs submitted.
//! The metadata change has committed by then, so a failing effect never undoes it:
//! - a search-index failure is returned (the client learns the index may be stale; `backbeat
//!   reindex` repairs it);
//! - a collection failure is logged: the garbage list keeps the keys and the periodic round
//!   retries;
//! - a submission failure is logged: `backbeat backfill --where missing` picks up a track whose
//!   jobs were never queued.

use std::sync::Arc;

use async_trait::async_trait;
use backbeat_pipeline::Plan;
use backbeat_store::jobs::{JobRecord, JobState, JobStore, JobUpdate, Selection, TrackAnalysis};
use backbeat_store::{DocScope, Id, Millis, StoreResult};

use crate::cache::Cache;
use crate::error::CatalogResult;
use crate::Inner;

/// A committed change to the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A new artist.
    ArtistCreated(Id),
    /// An artist's name changed (its albums' and tracks' documents carry it too).
    ArtistRenamed(Id),
    /// An owner was added or removed.
    ArtistOwnersChanged(Id),
    /// An artist with its albums and tracks is gone; their blobs are in the garbage list.
    ArtistDeleted(Id),
    /// A new album.
    AlbumCreated(Id),
    /// An album's title, kind or year changed.
    AlbumChanged(Id),
    /// An album with its tracks is gone; their blobs are in the garbage list.
    AlbumDeleted(Id),
    /// A new track, processing: every job runs on its audio.
    TrackCreated(Id),
    /// A track's title, album or status changed.
    TrackChanged(Id),
    /// A track points at new audio: the old blob is garbage and every job reruns.
    AudioReplaced(Id),
    /// A track is gone; its audio and derived artifacts are in the garbage list.
    TrackDeleted(Id),
}

/// Applies the consequences of `events`, in order.
pub(crate) async fn apply(cat: &Inner, events: &[Event]) -> CatalogResult<()> {
    for event in events {
        apply_one(cat, *event).await?;
    }
    Ok(())
}

async fn apply_one(cat: &Inner, event: Event) -> CatalogResult<()> {
    use Event::*;
    match event {
        ArtistCreated(id) => reindex(cat, DocScope::Artist(id)).await,
        ArtistRenamed(id) => {
            cat.cache.artists.invalidate(&id);
            reindex(cat, DocScope::Artist(id)).await
        }
        ArtistOwnersChanged(id) => {
            cat.cache.artists.invalidate(&id);
            Ok(())
        }
        ArtistDeleted(id) => {
            cat.cache.artists.invalidate(&id);
            cat.cache.clear_tracks_and_albums();
            cat.index.delete(DocScope::Artist(id)).await?;
            collect_now(cat).await;
            Ok(())
        }
        AlbumCreated(id) => reindex(cat, DocScope::Album(id)).await,
        AlbumChanged(id) => {
            cat.cache.albums.invalidate(&id);
            reindex(cat, DocScope::Album(id)).await
        }
        AlbumDeleted(id) => {
            cat.cache.clear_tracks_and_albums();
            cat.index.delete(DocScope::Album(id)).await?;
            collect_now(cat).await;
            Ok(())
        }
        TrackCreated(id) => {
            reindex(cat, DocScope::Track(id)).await?;
            submit(cat, id, &Plan::top_down(&cat.pipeline.graph)).await;
            Ok(())
        }
        TrackChanged(id) => {
            cat.cache.tracks.invalidate(&id);
            reindex(cat, DocScope::Track(id)).await
        }
        AudioReplaced(id) => {
            cat.cache.tracks.invalidate(&id);
            collect_now(cat).await;
            // Processing again: every job reruns on the new audio, `summary` makes it ready.
            submit(cat, id, &Plan::rerun_all(&cat.pipeline.graph)).await;
            Ok(())
        }
        TrackDeleted(id) => {
            cat.cache.tracks.invalidate(&id);
            cat.index.delete(DocScope::Track(id)).await?;
            collect_now(cat).await;
            Ok(())
        }
    }
}

/// Brings the search documents of everything in `scope` up to date (an artist's rename
/// touches its albums' and tracks' documents too, which carry its name).
async fn reindex(cat: &Inner, scope: DocScope) -> CatalogResult<()> {
    let docs = cat.stores.docs.search_docs(scope).await?;
    cat.index.upsert(docs).await?;
    Ok(())
}

/// Collects right away, before a delete or replace answers, so "deleted" means the audio is
/// gone.
async fn collect_now(cat: &Inner) {
    if let Err(e) = crate::gc::Gc(cat).run_once().await {
        tracing::warn!(error = %e.chain(), "gc after write failed; the periodic round retries");
    }
}

/// Starts `plan` for the track.
async fn submit(cat: &Inner, track: Id, plan: &Plan) {
    if let Err(e) = cat.pipeline.submit(track, plan).await {
        tracing::error!(%track, error = %e, "could not queue the track's processing jobs");
    }
}

/// The job-state store of in-process workers: the database, plus invalidation of the cached
/// track when a job changes its status (`summary` makes it ready, a failure makes it failed),
/// so this process serves the new status at once rather than after the cache's TTL.
pub struct CacheAwareStates {
    db: Arc<dyn JobStore>,
    cache: Arc<Cache>,
}

impl CacheAwareStates {
    /// Job states in `db`, invalidating `cache`.
    pub fn new(db: Arc<dyn JobStore>, cache: Arc<Cache>) -> Self {
        CacheAwareStates { db, cache }
    }
}

#[async_trait]
impl JobStore for CacheAwareStates {
    async fn record_job(&self, update: JobUpdate<'_>) -> StoreResult<()> {
        self.db.record_job(update).await
    }
    async fn record_pending(&self, items: &[(Id, &str, u32)]) -> StoreResult<()> {
        self.db.record_pending(items).await
    }
    async fn collect_later(&self, keys: &[String], not_before: Millis) -> StoreResult<()> {
        self.db.collect_later(keys, not_before).await
    }
    async fn track_jobs(&self, track: Id) -> StoreResult<Vec<JobRecord>> {
        self.db.track_jobs(track).await
    }
    async fn job_counts(&self) -> StoreResult<Vec<(String, JobState, u64)>> {
        self.db.job_counts().await
    }
    async fn select_tracks(
        &self,
        selection: &Selection,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<Id>> {
        self.db.select_tracks(selection, after, limit).await
    }
    async fn finished_since(&self, job: &str, since: Millis) -> StoreResult<Vec<(JobState, u64)>> {
        self.db.finished_since(job, since).await
    }
    async fn count_tracks(&self, selection: &Selection) -> StoreResult<u64> {
        self.db.count_tracks(selection).await
    }
    async fn set_track_analysis(&self, analysis: &TrackAnalysis) -> StoreResult<()> {
        let r = self.db.set_track_analysis(analysis).await;
        self.cache.tracks.invalidate(&analysis.track_id);
        r
    }
    async fn track_analysis(&self, track: Id) -> StoreResult<Option<TrackAnalysis>> {
        self.db.track_analysis(track).await
    }
    async fn mark_track_failed(&self, track: Id) -> StoreResult<()> {
        let r = self.db.mark_track_failed(track).await;
        self.cache.tracks.invalidate(&track);
        r
    }
}
