//! Garbage collection of blobs no metadata points at: audio replaced or deleted, derived
//! artifacts of deleted tracks, uploads whose URL expired without a track claiming them, and
//! the staging objects of uploads that never finished (a process killed mid-PUT).
//!
//! The database moves keys into its garbage list in the same transaction that stops pointing
//! at them, so a crash at any point leaves at worst a blob that will still be collected, never
//! metadata pointing at a missing blob.

use backbeat_store::{now_millis, Millis, StoreResult};

use crate::Inner;

/// Uploads are collected this long after their URL expired, so a PUT that started just before
/// the expiry can finish before its blob is considered abandoned.
pub const UPLOAD_GRACE_MS: Millis = 60 * 60 * 1000;

/// Default of `CatalogConfig::staging_grace_s`: a staging file is swept once it has gone this
/// long without a write. Every 1 MiB part of an upload in flight writes to it, so an hour of
/// silence is far beyond a live upload (a client sending 1 MiB an hour would have outlived
/// its URL, which lasts an hour too); and an hour's leftovers of killed uploads are bounded by
/// what could be uploaded in an hour. Twenty-four hours would only keep the dead longer.
pub const STAGING_GRACE_S: u64 = 60 * 60;

/// Entries handled per round.
const BATCH: u32 = 500;

/// The garbage collector of a catalog.
pub struct Gc<'a>(pub(crate) &'a Inner);

impl Gc<'_> {
    /// Runs one full collection now; returns how many blobs (or prefixes) were deleted.
    pub async fn run_once(&self) -> StoreResult<u64> {
        self.run_once_at(now_millis()).await
    }

    /// As [`Gc::run_once`], as if the time were `now` (tests move the clock forward).
    pub async fn run_once_at(&self, now: Millis) -> StoreResult<u64> {
        let state = self.0;
        state
            .stores
            .uploads
            .expire_uploads(now - UPLOAD_GRACE_MS)
            .await?;
        let grace = Millis::try_from(state.config.staging_grace_s.saturating_mul(1000))
            .unwrap_or(Millis::MAX);
        let mut deleted = match state.blobs.sweep_staging(now.saturating_sub(grace)).await {
            Ok(n) => n,
            // Not worth failing the round for: the next one sweeps again.
            Err(e) => {
                tracing::warn!(error = %e.chain(), "gc: sweeping staging files failed");
                0
            }
        };
        if deleted > 0 {
            tracing::info!(
                removed = deleted,
                "gc: staging files of unfinished uploads removed"
            );
            state.metrics.gc_blobs_deleted.inc_by(deleted);
        }
        loop {
            let batch = state.stores.uploads.garbage(BATCH, now).await?;
            if batch.is_empty() {
                break;
            }
            let mut done = Vec::with_capacity(batch.len());
            for item in &batch {
                let result = if item.prefix {
                    state.blobs.delete_prefix(&item.key).await.map(|_| ())
                } else {
                    state.blobs.delete(&item.key).await
                };
                match result {
                    Ok(()) => done.push(item.key.clone()),
                    Err(e) => {
                        tracing::warn!(key = %item.key, error = %e.chain(), "gc: blob delete failed, will retry")
                    }
                }
            }
            if done.is_empty() {
                break; // every delete failed; retry on the next round rather than spin
            }
            state.stores.uploads.garbage_done(&done).await?;
            deleted += done.len() as u64;
            state.metrics.gc_blobs_deleted.inc_by(done.len() as u64);
            if batch.len() < BATCH as usize {
                break;
            }
        }
        Ok(deleted)
    }
}
