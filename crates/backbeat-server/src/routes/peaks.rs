//! `GET /api/v1/tracks/{id}/peaks`: where a player reads the track's waveform, drawn by the
//! `peaks` job from the decode the pipeline already made; `…/peaks/overview`: the whole
//! waveform reduced to an overview strip's width.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use backbeat_catalog::peaks::{PeaksGrant, MAX_OVERVIEW_PIXELS};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::rfc3339;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// The peaks route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tracks/{id}/peaks", get(peaks))
        .route("/api/v1/tracks/{id}/peaks/overview", get(overview))
}

/// The track's waveform: a signed URL to its BBC audiowaveform `.dat` file (version 1, 16-bit:
/// a 20-byte header, then `min, max` as little-endian `i16` per pixel) and that header's
/// values, so the pixels of a window are one range request: bytes `20 + 4·first` to
/// `20 + 4·last + 3`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeaksDto {
    pub track_id: Uuid,
    /// The `.dat` file (answers `Range` requests); valid until `expiresAt`.
    pub url: String,
    pub expires_at: String,
    /// Samples per second of the signal the peaks were taken from.
    #[schema(example = 22050)]
    pub sample_rate: u32,
    /// Samples per pixel (`samplesPerPixel / sampleRate` seconds a pixel).
    #[schema(example = 256)]
    pub samples_per_pixel: u32,
    /// Pixels (min/max pairs) in the file.
    pub pixels: u64,
    /// Size of the file.
    pub bytes: u64,
}

/// The track's waveform peaks (who may stream the track; 404 until the `peaks` job has drawn
/// them from its current audio).
#[utoipa::path(get, path = "/api/v1/tracks/{id}/peaks", tag = "tracks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = PeaksDto), crate::openapi::Errors))]
pub async fn peaks(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<PeaksDto>> {
    let g: PeaksGrant = state.catalog.tracks().peaks(&caller, id).await?;
    Ok(Json(PeaksDto {
        track_id: id,
        url: g.url,
        expires_at: rfc3339(g.expires_at),
        sample_rate: g.sample_rate,
        samples_per_pixel: g.samples_per_pixel,
        pixels: g.pixels,
        bytes: g.bytes,
    }))
}

/// How wide an overview to draw.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewParams {
    /// Pixels at most (1 to 4096; default 1024). The answer has the fewest samples per pixel
    /// that are a whole multiple of the stored file's and fit.
    pub pixels: Option<usize>,
}

/// The whole waveform, reduced to at most `pixels` pixels: the same `.dat` format (version 1,
/// 16-bit) with a coarser `samplesPerPixel`, for an overview strip of a track of any length.
#[utoipa::path(get, path = "/api/v1/tracks/{id}/peaks/overview", tag = "tracks",
    params(("id" = Uuid, Path), OverviewParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reduced waveform", content_type = "application/octet-stream", body = Vec<u8>),
        crate::openapi::Errors))]
pub async fn overview(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<OverviewParams>,
) -> ApiResult<impl IntoResponse> {
    let pixels = q.pixels.unwrap_or(1024).min(MAX_OVERVIEW_PIXELS + 1);
    let p = state
        .catalog
        .tracks()
        .peaks_overview(&caller, id, pixels)
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        p.to_dat(),
    ))
}
