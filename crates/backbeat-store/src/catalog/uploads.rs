//! [`UploadStore`]: upload slots, and the garbage list of blobs nothing points at any more.
//! Together because an upload slot nobody claimed in time is what the garbage list collects
//! most, and the collector needs both.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::{Garbage, Millis, Upload};

/// Upload slots and the garbage list.
#[async_trait]
pub trait UploadStore: Send + Sync + 'static {
    /// Records an upload slot (before its URL is handed out).
    async fn create_upload(&self, upload: Upload) -> StoreResult<()>;
    /// The unclaimed upload slot with this key.
    async fn upload(&self, key: &str) -> StoreResult<Upload>;
    /// Moves every upload slot that expired before `now` and was never claimed to the garbage
    /// list; returns how many.
    async fn expire_uploads(&self, now: Millis) -> StoreResult<u64>;
    /// Up to `limit` garbage entries to delete.
    async fn garbage(&self, limit: u32) -> StoreResult<Vec<Garbage>>;
    /// Forgets garbage entries whose blobs are gone.
    async fn garbage_done(&self, keys: &[String]) -> StoreResult<()>;
}
