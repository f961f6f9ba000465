//! What every handler can reach. Cheap to clone (one `Arc`); holds no per-request state.

use std::sync::Arc;

use backbeat_pipeline::Engine;
use backbeat_store::blob::BlobStore;
use backbeat_store::search::SearchIndex;
use backbeat_store::signing::UrlSigner;
use backbeat_store::CatalogStore;

use crate::auth::tokens::TokenKeys;
use crate::cache::Cache;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::ratelimit::Limiters;

/// Shared application state.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    pub config: Config,
    pub store: Arc<dyn CatalogStore>,
    pub blobs: BlobStore,
    pub index: SearchIndex,
    pub signer: UrlSigner,
    pub tokens: TokenKeys,
    /// Shared with the pipeline's job-state store, which invalidates tracks whose status a job
    /// changes.
    pub cache: Arc<Cache>,
    pub metrics: Metrics,
    pub limits: Limiters,
    /// The processing pipeline: uploads are submitted to it; `serve` may run its workers.
    pub pipeline: Arc<Engine>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Handlers take `state: AppState` directly (no `State(..)` wrapper needed).
impl<S> axum::extract::FromRequestParts<S> for AppState
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(<AppState as axum::extract::FromRef<S>>::from_ref(state))
    }
}
