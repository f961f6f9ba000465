//! What every handler can reach. Cheap to clone (one `Arc`); holds no per-request state.

use std::sync::Arc;

use backbeat_catalog::Catalog;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::ratelimit::Limiters;

/// Shared application state.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    pub config: Config,
    /// The catalog's use cases: every handler is a call into it.
    pub catalog: Catalog,
    pub metrics: Metrics,
    pub limits: Limiters,
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
