//! `/api/v1/tracks`: the upload flow (upload URL → PUT → create), reads, metadata and audio
//! changes, deletion, and the stream endpoint that hands out signed, expiring audio URLs.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use backbeat_pipeline::Plan;
use backbeat_store::signing::{valid_key, SignedOp};
use backbeat_store::{
    new_id, now_millis, DocScope, NewTrack, StoreError, Track, TrackPatch, TrackStatus, Upload,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access;
use crate::auth::Caller;
use crate::cache::CachedTrack;
use crate::dto::{clean_text, rfc3339, Deleted, ListParams, PageDto, TrackDto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Longest track title, in characters.
pub const MAX_TITLE: usize = 200;
/// Object-store prefix of original uploads.
const AUDIO_PREFIX: &str = "audio/";

/// The track routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tracks", get(list).post(create))
        .route("/api/v1/tracks/upload-url", get(upload_url))
        .route("/api/v1/tracks/update-url/{id}", get(update_url))
        .route(
            "/api/v1/tracks/{id}",
            get(read).patch(update).delete(remove),
        )
        .route("/api/v1/tracks/{id}/stream", get(stream))
}

/// Where and until when the client may upload.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrlDto {
    /// `PUT` the audio bytes here (signed; bound to one key, a size limit and an expiry).
    pub upload_url: String,
    /// Names the uploaded audio; pass it to `POST /tracks` or `PATCH /tracks/{id}`.
    pub track_url: String,
    pub expires_at: String,
    pub max_bytes: u64,
}

/// Body of `POST /tracks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTrackBody {
    pub album_id: Uuid,
    /// 1–200 characters, trimmed.
    pub title: String,
    /// The `trackUrl` of an upload URL whose bytes were PUT.
    pub track_url: String,
}

/// Body of `PATCH /tracks/{id}`: any of new metadata and new audio.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrackPatchBody {
    pub album_id: Option<Uuid>,
    pub title: Option<String>,
    /// The `trackUrl` of an update URL whose bytes were PUT; replaces the audio.
    pub track_url: Option<String>,
}

/// Filters of `GET /tracks`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TrackFilter {
    /// Only this album's tracks.
    pub album_id: Option<Uuid>,
}

/// What a player needs to start playback.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamDto {
    /// Signed, expiring URL serving the audio with HTTP Range support.
    pub track_url: String,
    pub album_id: Uuid,
    pub title: String,
    pub expires_at: String,
}

/// Builds the cache entry (response body and validator) for a track.
pub fn cached(track: Track) -> ApiResult<CachedTrack> {
    let json = serde_json::to_vec(&TrackDto::from(&track))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let digest = Sha256::digest(&json);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Ok(CachedTrack {
        track,
        json: json.into(),
        etag,
    })
}

/// A fresh upload slot for the caller and its signed URL.
async fn new_upload(state: &AppState, caller: &Caller) -> ApiResult<UploadUrlDto> {
    let cfg = &state.config;
    let key = format!("{AUDIO_PREFIX}{}", new_id().simple());
    let now = now_millis();
    let ttl_ms = i64::try_from(cfg.upload_url_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
    let expires_at = now.saturating_add(ttl_ms);
    let max_bytes = cfg.max_upload_bytes;
    let upload = Upload {
        key: key.clone(),
        user_id: caller.user_id,
        max_bytes: i64::try_from(max_bytes).unwrap_or(i64::MAX),
        expires_at,
        created_at: now,
    };
    state.store.create_upload(upload).await?;
    let query = state
        .signer
        .sign(SignedOp::Put, &key, expires_at / 1000, Some(max_bytes));
    Ok(UploadUrlDto {
        upload_url: format!("{}/blobs/{key}?{query}", cfg.public_url),
        track_url: format!("{}/blobs/{key}", cfg.public_url),
        expires_at: rfc3339(expires_at / 1000 * 1000),
        max_bytes,
    })
}

/// The blob key a `trackUrl` names, if it is one of ours.
fn key_of(state: &AppState, track_url: &str) -> ApiResult<String> {
    let bad = || ApiError::field("trackUrl", "is not a track URL issued by this server");
    let base = format!("{}/blobs/", state.config.public_url);
    let key = track_url.strip_prefix(&base).ok_or_else(bad)?;
    if key.starts_with(AUDIO_PREFIX) && valid_key(key) {
        Ok(key.to_string())
    } else {
        Err(bad())
    }
}

/// Checks that `key` is an upload of the caller's that holds bytes, and probes them. A blob
/// that is not usable audio is deleted at once (the client may PUT again while the URL lasts).
async fn probe_upload(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<backbeat_store::AudioFacts> {
    let unusable = || ApiError::field("trackUrl", "unknown, expired or already used upload");
    let upload = match state.store.upload(key).await {
        Ok(u) => u,
        Err(StoreError::NotFound) => return Err(unusable()),
        Err(e) => return Err(e.into()),
    };
    if upload.user_id != caller.user_id || upload.expires_at <= now_millis() {
        return Err(unusable());
    }
    match state.blobs.head(key).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => {
            return Err(ApiError::field(
                "trackUrl",
                "nothing has been uploaded to this URL",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let path = state
        .blobs
        .local_path(key)
        .ok_or_else(|| ApiError::Internal("probe needs a local blob".into()))?;
    let cfg = &state.config;
    match crate::probe::probe(path, cfg.max_upload_bytes, cfg.max_duration_s).await {
        Ok(facts) => Ok(facts),
        Err(e) => {
            if let Err(de) = state.blobs.delete(key).await {
                tracing::warn!(key, error = %de, "could not delete a refused upload; gc will");
            }
            Err(e)
        }
    }
}

/// Starts `plan` for the track. A failure is logged, not returned: the track exists by now,
/// and `backbeat backfill --where missing` picks up a track whose jobs were never queued.
async fn submit(state: &AppState, track: Uuid, plan: &Plan) {
    if let Err(e) = state.pipeline.submit(track, plan).await {
        tracing::error!(%track, error = %e, "could not queue the track's processing jobs");
    }
}

fn upload_ref(e: StoreError) -> ApiError {
    match e {
        StoreError::InvalidReference(what) if what == "album" => {
            ApiError::field("albumId", "no such album")
        }
        StoreError::InvalidReference(_) => {
            ApiError::field("trackUrl", "unknown, expired or already used upload")
        }
        other => other.into(),
    }
}

/// A signed upload URL for a new track's audio (artists and admins).
#[utoipa::path(get, path = "/api/v1/tracks/upload-url", tag = "tracks", security(("bearer" = [])),
    responses((status = 200, body = UploadUrlDto), crate::openapi::Errors))]
pub async fn upload_url(state: AppState, caller: Caller) -> ApiResult<Json<UploadUrlDto>> {
    access::require_creator(&caller)?;
    Ok(Json(new_upload(&state, &caller).await?))
}

/// A signed upload URL for replacing a track's audio (its owners and admins).
#[utoipa::path(get, path = "/api/v1/tracks/update-url/{id}", tag = "tracks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = UploadUrlDto), crate::openapi::Errors))]
pub async fn update_url(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<UploadUrlDto>> {
    let t = access::track(&state, id).await?;
    if !access::owns_album(&state, &caller, t.track.album_id).await? {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(new_upload(&state, &caller).await?))
}

/// Creates a track from uploaded audio, after checking that it decodes (artists and admins,
/// on their own albums).
#[utoipa::path(post, path = "/api/v1/tracks", tag = "tracks", request_body = NewTrackBody,
    security(("bearer" = [])),
    responses((status = 201, body = TrackDto), crate::openapi::Errors))]
pub async fn create(
    state: AppState,
    caller: Caller,
    Json(body): Json<NewTrackBody>,
) -> ApiResult<(StatusCode, HeaderMap, Vec<u8>)> {
    access::require_creator(&caller)?;
    let title =
        clean_text("title", &body.title, MAX_TITLE).map_err(|e| ApiError::Validation(vec![e]))?;
    let key = key_of(&state, &body.track_url)?;
    match access::owns_album(&state, &caller, body.album_id).await {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::Forbidden),
        Err(ApiError::NotFound) => return Err(ApiError::field("albumId", "no such album")),
        Err(e) => return Err(e),
    }
    let audio = probe_upload(&state, &caller, &key).await?;
    let track = state
        .store
        .create_track(NewTrack {
            album_id: body.album_id,
            title,
            upload_key: key,
            uploader: caller.user_id,
            audio,
            // Ready once the pipeline's `summary` job has run.
            status: TrackStatus::Processing,
        })
        .await
        .map_err(upload_ref)?;
    super::reindex(&state, DocScope::Track(track.id)).await?;
    submit(&state, track.id, &Plan::top_down(&state.pipeline.graph)).await;
    let c = cached(track)?;
    let mut headers = json_headers(&c.etag);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/tracks/{}", c.track.id)) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, c.json.to_vec()))
}

/// Lists tracks.
#[utoipa::path(get, path = "/api/v1/tracks", tag = "tracks", params(ListParams, TrackFilter),
    security(("bearer" = [])),
    responses((status = 200, body = PageDto<TrackDto>), crate::openapi::Errors))]
pub async fn list(
    state: AppState,
    _caller: Caller,
    Query(page): Query<ListParams>,
    Query(filter): Query<TrackFilter>,
) -> ApiResult<Json<PageDto<TrackDto>>> {
    let items = state
        .store
        .list_tracks(filter.album_id, page.query()?)
        .await?;
    Ok(Json(PageDto::from_page(&items, &page)))
}

fn json_headers(etag: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h
}

/// `true` if an `If-None-Match` header lists `etag` (or `*`).
pub fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
        })
}

/// One track (served from memory when hot; answers `304` to a matching `If-None-Match`).
#[utoipa::path(get, path = "/api/v1/tracks/{id}", tag = "tracks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = TrackDto), (status = 304, description = "Not modified"), crate::openapi::Errors))]
pub async fn read(
    state: AppState,
    _caller: Caller,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let t = access::track(&state, id).await?;
    let h = json_headers(&t.etag);
    if etag_matches(&headers, &t.etag) {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    Ok((h, t.json.clone()).into_response())
}

/// Changes a track's album or title, and/or replaces its audio (its owners and admins).
#[utoipa::path(patch, path = "/api/v1/tracks/{id}", tag = "tracks", params(("id" = Uuid, Path)),
    request_body = TrackPatchBody, security(("bearer" = [])),
    responses((status = 200, body = TrackDto), crate::openapi::Errors))]
pub async fn update(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<TrackPatchBody>,
) -> ApiResult<(HeaderMap, Vec<u8>)> {
    let current = access::track(&state, id).await?;
    if !access::owns_album(&state, &caller, current.track.album_id).await? {
        return Err(ApiError::Forbidden);
    }
    // Every check first, so a refused request changes nothing.
    let title = match &body.title {
        Some(t) => {
            Some(clean_text("title", t, MAX_TITLE).map_err(|e| ApiError::Validation(vec![e]))?)
        }
        None => None,
    };
    if let Some(album) = body.album_id {
        match access::owns_album(&state, &caller, album).await {
            Ok(true) => {}
            Ok(false) => return Err(ApiError::Forbidden),
            Err(ApiError::NotFound) => return Err(ApiError::field("albumId", "no such album")),
            Err(e) => return Err(e),
        }
    }
    let key = body
        .track_url
        .as_deref()
        .map(|u| key_of(&state, u))
        .transpose()?;
    let audio = match &key {
        Some(k) => Some(probe_upload(&state, &caller, k).await?),
        None => None,
    };
    let mut track = current.track.clone();
    if let (Some(k), Some(a)) = (key, audio) {
        state
            .store
            .replace_track_audio(id, &k, caller.user_id, a)
            .await
            .map_err(upload_ref)?;
        state.cache.tracks.invalidate(&id);
        // Processing again: every job reruns on the new audio, `summary` makes it ready.
        track = state
            .store
            .update_track(
                id,
                TrackPatch {
                    status: Some(TrackStatus::Processing),
                    ..TrackPatch::default()
                },
            )
            .await?;
        crate::gc::collect_now(&state).await;
        submit(&state, id, &Plan::rerun_all(&state.pipeline.graph)).await;
    }
    if title.is_some() || body.album_id.is_some() {
        track = state
            .store
            .update_track(
                id,
                TrackPatch {
                    album_id: body.album_id,
                    title,
                    status: None,
                },
            )
            .await
            .map_err(upload_ref)?;
    }
    state.cache.tracks.invalidate(&id);
    super::reindex(&state, DocScope::Track(id)).await?;
    let c = cached(track)?;
    Ok((json_headers(&c.etag), c.json.to_vec()))
}

/// Deletes a track, its audio and every derived artifact (its owners and admins).
#[utoipa::path(delete, path = "/api/v1/tracks/{id}", tag = "tracks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Deleted), crate::openapi::Errors))]
pub async fn remove(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Deleted>> {
    let t = access::track(&state, id).await?;
    if !access::owns_album(&state, &caller, t.track.album_id).await? {
        return Err(ApiError::Forbidden);
    }
    state.store.delete_track(id).await?;
    state.cache.tracks.invalidate(&id);
    state.index.delete(DocScope::Track(id)).await?;
    crate::gc::collect_now(&state).await;
    Ok(Json(Deleted { id }))
}

/// A signed, expiring URL for the track's audio. Anyone signed in may stream a ready track;
/// a track still processing (or failed) only its owners and admins.
#[utoipa::path(get, path = "/api/v1/tracks/{id}/stream", tag = "tracks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = StreamDto), crate::openapi::Errors))]
pub async fn stream(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<(HeaderMap, Json<StreamDto>)> {
    let t = access::track(&state, id).await?;
    let track = &t.track;
    if track.status != TrackStatus::Ready
        && !access::owns_album(&state, &caller, track.album_id).await?
    {
        return Err(ApiError::Forbidden);
    }
    let ttl = i64::try_from(state.config.stream_url_ttl_s).unwrap_or(i64::MAX / 4_000);
    let exp = now_millis() / 1000 + ttl;
    let query = state.signer.sign(SignedOp::Get, &track.blob_key, exp, None);
    let mut h = HeaderMap::new();
    // The URL stays valid for `ttl`; let the client reuse this answer for part of that.
    if let Ok(v) = HeaderValue::from_str(&format!("private, max-age={}", (ttl / 2).clamp(0, 3600)))
    {
        h.insert(header::CACHE_CONTROL, v);
    }
    Ok((
        h,
        Json(StreamDto {
            track_url: format!(
                "{}/blobs/{}?{query}",
                state.config.public_url, track.blob_key
            ),
            album_id: track.album_id,
            title: track.title.clone(),
            expires_at: rfc3339(exp * 1000),
        }),
    ))
}
