//! The caller's quotas and what it uses of them (`GET /api/v1/users/me/quota`).

use axum::extract::State;
use backbeat_catalog::quota::QuotaReport;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;
use crate::time::rfc3339;

/// One quota: what is used and the limit (`null`: unlimited).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaUse {
    pub used: i64,
    pub limit: Option<i64>,
}

/// The caller's quotas. Tracks and stored bytes are hard quotas (`403
/// /problems/quota-exceeded` once full); processing seconds are per UTC day (`429
/// /problems/rate-quota-exceeded` with `Retry-After` until `processingResetsAt`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaDto {
    /// Tracks uploaded by this account and not deleted.
    pub tracks: QuotaUse,
    /// Bytes of audio of those tracks.
    pub stored_bytes: QuotaUse,
    /// Seconds of audio submitted for processing today (UTC).
    pub processing_seconds_today: QuotaUse,
    #[schema(format = DateTime)]
    pub processing_resets_at: String,
}

impl From<QuotaReport> for QuotaDto {
    fn from(r: QuotaReport) -> Self {
        Self {
            tracks: QuotaUse {
                used: r.usage.tracks,
                limit: r.limits.max_tracks,
            },
            stored_bytes: QuotaUse {
                used: r.usage.stored_bytes,
                limit: r.limits.max_stored_bytes,
            },
            processing_seconds_today: QuotaUse {
                used: r.usage.processed_ms / 1000,
                limit: r.limits.max_processed_ms_per_day.map(|ms| ms / 1000),
            },
            processing_resets_at: rfc3339(r.day_resets_at),
        }
    }
}

/// The caller's quotas and usage.
#[utoipa::path(
    get, path = "/api/v1/users/me/quota", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's quotas and usage", body = QuotaDto),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn my_quota(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<QuotaDto>> {
    let report = state.catalog.quotas().report(&caller).await?;
    Ok(Json(report.into()))
}
