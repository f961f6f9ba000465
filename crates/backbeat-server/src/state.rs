//! What every handler can reach. Cheap to clone (one `Arc`); holds no per-request state.

use std::sync::Arc;

use backbeat_annotate::engine::Annotation;
use backbeat_catalog::Catalog;

use crate::config::HttpConfig;
use crate::metrics::Metrics;
use crate::ratelimit::Limiters;

/// Shared application state.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// The `[http]` section.
    pub http: HttpConfig,
    /// The catalog's use cases: every handler is a call into it.
    pub catalog: Catalog,
    /// The annotation engine (projects, items, claims, answers) over the same database.
    pub annotation: Annotation,
    pub metrics: Metrics,
    pub limits: Limiters,
}

impl AppState {
    /// The HTTP application over `catalog` and `annotation`: rate limiters from `http`, and a
    /// metrics registry with the catalog's and the pipeline's families next to the HTTP ones.
    pub fn new(catalog: Catalog, annotation: Annotation, http: HttpConfig) -> Self {
        let metrics = Metrics::with(|r| {
            catalog.metrics().register(r);
            catalog.pipeline().metrics.register(r);
            annotation.gauges().register(r);
        });
        AppState(Arc::new(Inner {
            limits: Limiters::new(&http.rate_limits),
            metrics,
            catalog,
            annotation,
            http,
        }))
    }
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
