//! The lock on an upload slot, as the domain takes it: what makes "an upload lands" and "a
//! track checks and claims the upload" mutually exclusive.
//!
//! A PUT stages its whole body first (the slow part, as long as the client takes), then locks
//! the slot for the instant it takes to make the bytes visible. Creating a track or replacing
//! its audio locks the slot for the whole check and claims it with the lock's token. So the
//! bytes a track was checked on are exactly the bytes it points at, and an upload that ends
//! after the claim is refused rather than overwriting them. A lock is a lease: one left by a
//! crash ends by itself.

use std::sync::Arc;

use backbeat_store::{new_id, now_millis, LockOutcome, Millis, StoreResult, UploadStore};

use crate::error::CatalogResult;

/// How long a PUT may hold the slot while it makes its staged bytes visible: one small write
/// or the completion of a multipart upload whose parts are written, so far more than enough.
/// It must outlast that step: once the lease ends a track may lock the slot and check it.
pub(crate) const PUT_LEASE_MS: Millis = 60_000;

/// How long a track may hold the slot while it checks the bytes and claims them. The check is
/// bounded by the upload limits; a check that outlives its lease is still safe (its claim
/// fails if anyone else took the lock meanwhile), this only bounds how long a crashed request
/// keeps uploads to the slot waiting.
pub(crate) const CHECK_LEASE_MS: Millis = 10 * 60_000;

/// What trying to lock a slot gave.
pub(crate) enum Attempt {
    /// The caller holds the lock.
    Locked(SlotLock),
    /// Someone else holds a live lock; retrying later may succeed.
    Busy,
    /// A track has claimed the slot.
    Claimed,
    /// No such slot, or it expired.
    Gone,
}

/// A held lock on an upload slot. Give it back with [`SlotLock::release`], or hand the result
/// of a claim made with its token to [`SlotLock::after_claim`]; dropped while still held (the
/// request was cancelled), it is released in the background.
pub(crate) struct SlotLock {
    uploads: Arc<dyn UploadStore>,
    key: String,
    token: String,
    held: bool,
}

impl SlotLock {
    /// Tries to lock the slot `key` for `lease_ms`.
    pub(crate) async fn acquire(
        uploads: &Arc<dyn UploadStore>,
        key: &str,
        lease_ms: Millis,
    ) -> CatalogResult<Attempt> {
        let token = new_id().to_string();
        let now = now_millis();
        Ok(
            match uploads
                .lock_upload(key, &token, now + lease_ms, now)
                .await?
            {
                LockOutcome::Acquired => Attempt::Locked(SlotLock {
                    uploads: Arc::clone(uploads),
                    key: key.to_string(),
                    token,
                    held: true,
                }),
                LockOutcome::Busy { .. } => Attempt::Busy,
                LockOutcome::Claimed => Attempt::Claimed,
                LockOutcome::Gone => Attempt::Gone,
            },
        )
    }

    /// The token a claim under this lock must carry.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Gives the lock back. A failure is only logged: the lease ends by itself.
    pub(crate) async fn release(mut self) {
        self.held = false;
        match self.uploads.unlock_upload(&self.key, &self.token).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(key = %self.key, "an upload slot's lease ended before its holder released it")
            }
            Err(e) => {
                tracing::warn!(key = %self.key, error = %e.chain(), "releasing an upload slot failed; its lease will end")
            }
        }
    }

    /// After a claim made with this lock's token: a successful claim released the lock in the
    /// same transaction; a failed one leaves it to release here.
    pub(crate) async fn after_claim<T>(self, claim: StoreResult<T>) -> StoreResult<T> {
        match claim {
            Ok(v) => {
                let mut done = self;
                done.held = false;
                Ok(v)
            }
            Err(e) => {
                self.release().await;
                Err(e)
            }
        }
    }
}

impl Drop for SlotLock {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (uploads, key, token) = (
                Arc::clone(&self.uploads),
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.token),
            );
            rt.spawn(async move {
                let _ = uploads.unlock_upload(&key, &token).await;
            });
        }
    }
}
