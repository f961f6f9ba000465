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

/// The lease of a slot's lock. Its holder renews it every third of it for as long as it
/// works (a PUT making its bytes visible, a track checking them: bounded by the upload limits,
/// but a large multipart completion or a slow decode may outlast one lease), so the lease only
/// decides how long a holder that crashed keeps the slot from others: a retry after a crash
/// succeeds within this long. A check that outlives its lease anyway is still safe (its claim
/// fails if anyone else took the lock meanwhile).
pub(crate) const LEASE_MS: Millis = 30_000;

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
    /// The task that renews the lease; stopped whenever the lock stops being held.
    renewal: tokio::task::JoinHandle<()>,
}

/// Renews the lease every third of it until `token` no longer holds the lock (released,
/// claimed, or lost) or the task is aborted. A failed renewal is retried at the next tick:
/// the lease still has two thirds left.
fn renew(uploads: Arc<dyn UploadStore>, key: String, token: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = std::time::Duration::from_millis((LEASE_MS / 3).unsigned_abs());
        loop {
            tokio::time::sleep(every).await;
            match uploads
                .extend_upload_lock(&key, &token, now_millis() + LEASE_MS)
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(key = %key, error = %e.chain(), "renewing an upload slot's lease failed; retrying")
                }
            }
        }
    })
}

impl SlotLock {
    /// Tries to lock the slot `key`; a lock taken is renewed in the background until it is
    /// given back.
    pub(crate) async fn acquire(
        uploads: &Arc<dyn UploadStore>,
        key: &str,
    ) -> CatalogResult<Attempt> {
        let token = new_id().to_string();
        let now = now_millis();
        Ok(
            match uploads
                .lock_upload(key, &token, now + LEASE_MS, now)
                .await?
            {
                LockOutcome::Acquired => Attempt::Locked(SlotLock {
                    renewal: renew(Arc::clone(uploads), key.to_string(), token.clone()),
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
        self.renewal.abort();
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
                done.renewal.abort();
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
        self.renewal.abort();
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
