//! `GET /api/v1/tracks/{id}/stream`: what a player needs to start playback — the original
//! audio as a signed progressive URL, and, once the `transcode` job has made it, the HLS and
//! DASH ladder (URLs carrying a path-scoped token) with the track's loudness gain.
//!
//! With `format=mp3|opus|aac` (and `bitrate`, kbit/s) the answer is the audio itself,
//! transcoded on demand and streamed while ffmpeg produces it; `normalize=true` applies the
//! loudness gain. A transcode already in the cache is served with `Content-Length` and
//! `Range`; one in progress is sent as it grows (chunked).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use backbeat_catalog::progressive::ProgressiveRequest;
use backbeat_media::gain::Gain;
use backbeat_media::ondemand::Format;
use backbeat_media::package::RenditionSummary;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::range::{resolve, Ranged};
use crate::state::AppState;

/// The stream route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/tracks/{id}/stream", get(stream))
}

/// How the caller wants to listen.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Ask for loudness-normalised audio: `hlsUrl`/`dashUrl` then name the renditions that
    /// carry the gain in their own headers (Opus), when the ladder has them.
    #[serde(default)]
    pub normalize: bool,
    /// Answer with the audio transcoded on demand into `mp3`, `opus` (Ogg) or `aac` (ADTS)
    /// instead of the JSON document.
    pub format: Option<String>,
    /// Bitrate of the on-demand transcode, kbit/s (the format's default when absent).
    pub bitrate: Option<u32>,
}

/// The loudness normalisation of a track.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoudnessDto {
    /// Gain to apply to reach `targetLufs`, dB (peak-limited).
    pub gain_db: f64,
    /// True peak of the track, dBTP.
    pub peak_db: Option<f64>,
    /// Integrated loudness of the track, LUFS.
    pub loudness_lufs: Option<f64>,
    pub target_lufs: f64,
}

impl From<Gain> for LoudnessDto {
    fn from(g: Gain) -> Self {
        Self {
            gain_db: g.gain_db,
            peak_db: g.peak_db,
            loudness_lufs: g.loudness_lufs,
            target_lufs: g.target_lufs,
        }
    }
}

/// One rendition of the ladder.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenditionDto {
    pub id: String,
    /// `aac`, `opus` or `flac`.
    pub codec: String,
    /// Nominal bitrate, kbit/s (none for FLAC).
    pub kbps: Option<u32>,
    /// RFC 6381 codecs string.
    pub codecs: String,
    /// Peak bit rate, bits/s.
    pub bandwidth: u64,
    /// Average bit rate, bits/s.
    pub average_bandwidth: u64,
}

impl From<&RenditionSummary> for RenditionDto {
    fn from(r: &RenditionSummary) -> Self {
        Self {
            id: r.id.clone(),
            codec: r.codec.name().into(),
            kbps: r.kbps,
            codecs: r.codecs.clone(),
            bandwidth: r.bandwidth,
            average_bandwidth: r.average_bandwidth,
        }
    }
}

/// What a player needs to start playback.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamDto {
    /// Signed, expiring URL serving the original audio with HTTP Range support.
    pub track_url: String,
    /// HLS master playlist (CMAF, AAC and Opus renditions); null until the ladder is made.
    pub hls_url: Option<String>,
    /// DASH MPD over the same segments; null until the ladder is made.
    pub dash_url: Option<String>,
    /// Whether `hlsUrl`/`dashUrl` play normalised audio by themselves; otherwise a player
    /// that wants it applies `loudness.gainDb`.
    pub normalized: bool,
    /// The track's loudness and its normalisation gain, once the ladder is made.
    pub loudness: Option<LoudnessDto>,
    /// The ladder's renditions (empty until it is made).
    pub renditions: Vec<RenditionDto>,
    pub album_id: Uuid,
    pub title: String,
    /// Every URL above is valid until then.
    pub expires_at: String,
}

/// Signed, expiring URLs for the track's audio: the original, and the HLS/DASH ladder once
/// it is made. Anyone signed in may stream a ready track; a track still processing (or
/// failed) only its owners and admins.
#[utoipa::path(get, path = "/api/v1/tracks/{id}/stream", tag = "tracks",
    params(("id" = Uuid, Path), StreamParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The URLs (no `format`), or the transcoded audio (`format` given)",
            content(
                (StreamDto = "application/json"),
                (Vec<u8> = "audio/mpeg"),
                (Vec<u8> = "audio/ogg"),
                (Vec<u8> = "audio/aac"),
            )),
        (status = 206, description = "A range of a complete on-demand transcode",
            content((Vec<u8> = "audio/mpeg"), (Vec<u8> = "audio/ogg"), (Vec<u8> = "audio/aac"))),
        crate::openapi::Errors))]
pub async fn stream(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(params): Query<StreamParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(format) = &params.format {
        return on_demand(state, caller, id, &params, format, &headers).await;
    }
    if params.bitrate.is_some() {
        return Err(ApiError::field(
            "bitrate",
            "applies to an on-demand transcode: give `format` (mp3, opus or aac) too",
        ));
    }
    urls(state, caller, id, params.normalize)
        .await
        .map(IntoResponse::into_response)
}

/// The stream document.
async fn urls(
    state: AppState,
    caller: Caller,
    id: Uuid,
    normalize: bool,
) -> ApiResult<(HeaderMap, Json<StreamDto>)> {
    let grant = state
        .catalog
        .tracks()
        .stream(&caller, id, normalize)
        .await?;
    let mut h = HeaderMap::new();
    // The URLs stay valid for their TTL; let the client reuse this answer for part of that.
    let max_age = (grant.ttl_s / 2).clamp(0, 3600);
    if let Ok(v) = HeaderValue::from_str(&format!("private, max-age={max_age}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    let track = &grant.track.track;
    let ladder = grant.ladder.as_ref();
    Ok((
        h,
        Json(StreamDto {
            track_url: grant.url.clone(),
            hls_url: ladder.map(|l| l.hls_url.clone()),
            dash_url: ladder.map(|l| l.dash_url.clone()),
            normalized: ladder.is_some_and(|l| l.normalised_in_stream),
            loudness: ladder.map(|l| l.index.gain.into()),
            renditions: ladder
                .map(|l| l.index.renditions.iter().map(RenditionDto::from).collect())
                .unwrap_or_default(),
            album_id: track.album_id,
            title: track.title.clone(),
            expires_at: rfc3339(grant.expires_at),
        }),
    ))
}

/// The audio of track `id` transcoded on demand.
async fn on_demand(
    state: AppState,
    caller: Caller,
    id: Uuid,
    params: &StreamParams,
    format: &str,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let format = Format::parse(format)
        .ok_or_else(|| ApiError::field("format", "must be one of mp3, opus, aac"))?;
    let transcode = state
        .catalog
        .tracks()
        .progressive(
            &caller,
            id,
            ProgressiveRequest {
                format,
                kbps: params.bitrate,
                normalise: params.normalize,
            },
        )
        .await?;
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(transcode.content_type),
    );
    // Personal (access-checked with the caller's token), but the same bytes every time.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    let Some(len) = transcode.total_len else {
        // Still being made: sent as it grows, no length, no ranges yet.
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
        return Ok((h, Body::from_stream(transcode.into_body())).into_response());
    };
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, range) = match resolve(range_header, len) {
        Ranged::Full => (StatusCode::OK, 0..len),
        Ranged::Partial(r) => {
            let v = format!("bytes {}-{}/{len}", r.start, r.end - 1);
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(header::CONTENT_RANGE, v);
            }
            (StatusCode::PARTIAL_CONTENT, r)
        }
        Ranged::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable(len)),
    };
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(range.end - range.start),
    );
    let body = transcode
        .range(range)
        .map_err(|e| ApiError::Internal(format!("on-demand range: {e}")))?;
    Ok((status, h, Body::from_stream(body)).into_response())
}
