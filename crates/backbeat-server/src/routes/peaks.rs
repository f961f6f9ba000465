//! `GET /api/v1/tracks/{id}/peaks`: where a player reads the track's waveform, drawn by the
//! `peaks` job from the decode the pipeline already made.

use axum::routing::get;
use axum::Router;
use backbeat_catalog::peaks::PeaksGrant;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::rfc3339;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::state::AppState;

/// The peaks route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/tracks/{id}/peaks", get(peaks))
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
