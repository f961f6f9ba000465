//! Assembling the HTTP application: [`router`] puts the routes and the middleware stack
//! together over an [`AppState`] (which the binary's wiring builds around a catalog).

mod health;

pub use health::PanicResponse;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::config::MAX_JSON_BODY;
use crate::error::ApiError;
use crate::state::AppState;

/// The whole HTTP application: accounts, the catalog routes, health, metrics, the OpenAPI
/// document and the web app behind the middleware stack (outermost first): the request middleware (request
/// id, rate limits, authentication, metrics, access log, default `Cache-Control`), the body
/// timeouts (408 for a stalled body), the 64 KiB JSON body limit (routes that take uploads
/// lift it themselves), and panic catching.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::routes::accounts::router())
        .merge(crate::routes::api_router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/v1/openapi.json", get(health::openapi))
        // Paths no route takes: the web app's files and pages, else the API's 404.
        .fallback(crate::web::fallback)
        // Must follow every route: it is applied to the routes present when it is called.
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(CatchPanicLayer::custom(health::PanicResponse))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY as usize))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::body_timeout::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::layer,
        ))
        .with_state(state)
}
