//! [`Health`]: whether the store answers at all, for readiness probes.

use async_trait::async_trait;

use crate::error::StoreResult;

/// A store's liveness.
#[async_trait]
pub trait Health: Send + Sync + 'static {
    /// `Ok` when the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
}
