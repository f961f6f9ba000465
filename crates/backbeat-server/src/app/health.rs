//! Health, readiness, metrics and the OpenAPI document; plus the response for a caught panic.

use std::any::Any;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Response};
use axum::response::IntoResponse;
use bytes::Bytes;

use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers within two seconds and the search index is open. Jobs
/// that cannot run in this process (the tagger without its models) are listed with the
/// reason under `unavailableJobs`; the server is still ready (tracks are processed without
/// them).
pub async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, state.catalog.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let error = crate::error::error_chain(&e);
            tracing::warn!(%error, "readiness: database ping failed");
            return Err(ApiError::Unavailable);
        }
        Err(_) => {
            tracing::warn!("readiness: database ping timed out");
            return Err(ApiError::Unavailable);
        }
    }
    let docs = state.catalog.parts().index.num_docs();
    let unavailable = state.catalog.pipeline().registry.unavailable();
    Ok(Json(serde_json::json!({
        "status": "ok",
        "searchDocs": docs,
        "unavailableJobs": unavailable,
    })))
}

/// Prometheus metrics in the OpenMetrics text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state.catalog.refresh_gauges();
    if let Err(e) = state.annotation.refresh_gauges().await {
        tracing::warn!(error = %e, "refreshing the annotation gauges failed");
    }
    (
        [
            (header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics.render(),
    )
}

/// The OpenAPI 3.1 document, serialised once per process.
pub async fn openapi() -> impl IntoResponse {
    static DOC: OnceLock<Bytes> = OnceLock::new();
    let body = DOC.get_or_init(|| {
        Bytes::from(serde_json::to_vec(&crate::openapi::document()).unwrap_or_default())
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body.clone(),
    )
}

/// Turns a handler panic into a problem-document 500 (the panic message is logged only).
#[derive(Clone, Copy)]
pub struct PanicResponse;

impl tower_http::catch_panic::ResponseForPanic for PanicResponse {
    type ResponseBody = Body;

    fn response_for_panic(&mut self, err: Box<dyn Any + Send + 'static>) -> Response<Body> {
        let message = err
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| err.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        ApiError::Internal(format!("handler panicked: {message}")).into_response()
    }
}
