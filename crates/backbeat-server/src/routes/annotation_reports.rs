//! `/api/v1/annotation/projects/{id}/…` reports for project managers (admins): `metrics`
//! (throughput and quality, the project's and each annotator's), `agreement` (per question,
//! per annotator pair, per annotator) and `export` (the resolved items as JSON Lines, CSV or
//! Label Studio JSON, streamed: memory stays at one page of items whatever the project's
//! size). The rules live in `backbeat-annotate`.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use backbeat_annotate::engine::{Actor, Metrics};
use backbeat_annotate::reports::{AgreementReport, ExportFormat, ExportOptions};
use backbeat_store::annotation::Span;
use bytes::Bytes;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// The reporting routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/annotation/projects/{id}/metrics", get(metrics))
        .route("/api/v1/annotation/projects/{id}/agreement", get(agreement))
        .route("/api/v1/annotation/projects/{id}/export", get(export))
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        user_id: caller.user_id,
        admin: caller.is_admin(),
    }
}

/// The span of `GET …/metrics`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SpanParams {
    /// Start of the span, Unix milliseconds (default: the beginning).
    pub from: Option<i64>,
    /// End of the span, Unix milliseconds (default: now and on).
    pub to: Option<i64>,
}

/// Throughput and quality: items per state (the queues), answers and items per hour, median
/// lead time, answers by hour, resolutions (model / consensus / expert / QA, with shares),
/// escalations, the model's accuracy on spot checks, agreement by day; and the same per
/// annotator (admins).
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/metrics", tag = "annotation",
    params(("id" = Uuid, Path), SpanParams), security(("bearer" = [])),
    responses((status = 200, description = "The project's metrics and its annotators'",
        body = Object), crate::openapi::Errors))]
pub async fn metrics(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<SpanParams>,
) -> ApiResult<Json<Metrics>> {
    let span = Span {
        from: q.from.unwrap_or(0),
        to: q.to.unwrap_or(i64::MAX),
    };
    if span.from > span.to {
        return Err(ApiError::field("from", "must not be after `to`"));
    }
    Ok(Json(
        state.annotation.metrics(&actor(&caller), id, span).await?,
    ))
}

/// Agreement per question (Krippendorff's α with the question's distance, Fleiss' κ where
/// it applies), per annotator pair (Cohen's κ, α), and each annotator's agreement with peers
/// and gold (admins).
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/agreement", tag = "annotation",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The agreement report", body = Object),
        crate::openapi::Errors))]
pub async fn agreement(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AgreementReport>> {
    Ok(Json(state.annotation.agreement(&actor(&caller), id).await?))
}

/// The format of `GET …/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `jsonl` (default), `csv` or `labelstudio`.
    pub format: Option<String>,
}

/// Bytes of export buffered between the writer and the response body.
const EXPORT_BUFFER: usize = 256 * 1024;

/// The project's resolved items, streamed (admins): JSON Lines (`application/x-ndjson`), CSV
/// (`text/csv`) or Label Studio's JSON export (`application/json`). A failure after the first
/// bytes ends the response early (the body is then incomplete).
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/export", tag = "annotation",
    params(("id" = Uuid, Path), ExportParams), security(("bearer" = [])),
    responses((status = 200, description = "The export, streamed", content_type = "application/x-ndjson"),
        crate::openapi::Errors))]
pub async fn export(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<ExportParams>,
) -> ApiResult<Response> {
    let (format, content_type, ext) = match q.format.as_deref().unwrap_or("jsonl") {
        "jsonl" => (ExportFormat::Jsonl, "application/x-ndjson", "jsonl"),
        "csv" => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        "labelstudio" => (ExportFormat::LabelStudio, "application/json", "json"),
        _ => {
            return Err(ApiError::field(
                "format",
                "must be `jsonl`, `csv` or `labelstudio`",
            ))
        }
    };
    let who = actor(&caller);
    // Refused before the first byte: 403 / 404 are answers, not truncated bodies.
    state.annotation.may_export(&who, id).await?;
    let (reader, writer) = tokio::io::duplex(EXPORT_BUFFER);
    let annotation = state.annotation.clone();
    let opts = ExportOptions::new(format);
    tokio::spawn(async move {
        if let Err(e) = annotation.export(&who, id, &opts, writer).await {
            tracing::warn!(project = %id, error = %e, "annotation export failed midway");
        }
    });
    let stream = futures_util::stream::unfold(reader, |mut reader| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), reader))
            }
            Err(e) => Some((Err(e), reader)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"annotation-{id}.{ext}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
