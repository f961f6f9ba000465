//! [`UploadStore`]: upload slots, and the garbage list of blobs nothing points at any more.
//! Together because an upload slot nobody claimed in time is what the garbage list collects
//! most, and the collector needs both.
//!
//! A slot's bytes change only while it is open, and a track is made only from bytes it has
//! checked. Both sides therefore take the slot's lock, a lease with a token: a PUT to make its
//! staged bytes visible, a track to check the bytes and claim them. The claim requires the
//! token, so a track never points at bytes other than the ones it checked, and a PUT that
//! finishes after the claim is refused instead of overwriting them. A lock left behind by a
//! crash ends with its lease.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::{Garbage, LockOutcome, Millis, SlotState, Upload};

/// Upload slots and the garbage list.
#[async_trait]
pub trait UploadStore: Send + Sync + 'static {
    /// Records an upload slot (before its URL is handed out).
    async fn create_upload(&self, upload: Upload) -> StoreResult<()>;
    /// The unclaimed upload slot with this key.
    async fn upload(&self, key: &str) -> StoreResult<Upload>;
    /// Where the slot with this key stands at `now`.
    async fn upload_state(&self, key: &str, now: Millis) -> StoreResult<SlotState>;
    /// Locks an unclaimed, unexpired slot with `token` until `until`, unless someone else
    /// holds a lock that is still live at `now`. Taking the lock is one conditional write, so
    /// of two concurrent lockers at most one acquires it.
    async fn lock_upload(
        &self,
        key: &str,
        token: &str,
        until: Millis,
        now: Millis,
    ) -> StoreResult<LockOutcome>;
    /// Releases the slot's lock if `token` still holds it; `false` if it did not (the lease
    /// ended and someone else took the lock, or a claim cleared it).
    async fn unlock_upload(&self, key: &str, token: &str) -> StoreResult<bool>;
    /// Moves the end of the lease of the lock `token` holds to `until`; `false` if `token`
    /// no longer holds it. A holder that works longer than one lease renews it, so the lease
    /// itself can stay short and a crashed holder blocks the slot only briefly.
    async fn extend_upload_lock(&self, key: &str, token: &str, until: Millis) -> StoreResult<bool>;
    /// Moves every upload slot that expired before `now` and was never claimed to the garbage
    /// list; returns how many.
    async fn expire_uploads(&self, now: Millis) -> StoreResult<u64>;
    /// Up to `limit` garbage entries due for deletion at `now` (entries put off with a later
    /// time wait).
    async fn garbage(&self, limit: u32, now: Millis) -> StoreResult<Vec<Garbage>>;
    /// Forgets garbage entries whose blobs are gone.
    async fn garbage_done(&self, keys: &[String]) -> StoreResult<()>;
}
