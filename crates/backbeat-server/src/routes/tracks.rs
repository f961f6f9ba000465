//! `/api/v1/tracks`: the upload flow (upload URL → PUT → create), reads, metadata and audio
//! changes and deletion (the stream endpoint is `stream.rs`).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use backbeat_catalog::cache::{CachedTrack, Rendered};
use backbeat_catalog::tracks::{TrackChanges, TrackDraft, UploadSlot};
use backbeat_store::Track;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{rfc3339, Deleted, ListParams, PageDto, TrackDto};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

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

impl From<UploadSlot> for UploadUrlDto {
    fn from(slot: UploadSlot) -> Self {
        Self {
            upload_url: slot.upload_url,
            track_url: slot.track_url,
            expires_at: rfc3339(slot.expires_at),
            max_bytes: slot.max_bytes,
        }
    }
}

/// The track as this API sends it (rendered once per cached record): its JSON and an ETag
/// that is a digest of it.
pub fn rendered(t: &CachedTrack) -> &Rendered {
    t.rendered(render)
}

fn render(track: &Track) -> Rendered {
    // Serialising a plain struct of strings and numbers cannot fail.
    let json = serde_json::to_vec(&TrackDto::from(track)).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Rendered {
        body: json.into(),
        etag,
    }
}

/// A signed upload URL for a new track's audio (artists and admins).
#[utoipa::path(get, path = "/api/v1/tracks/upload-url", tag = "tracks", security(("bearer" = [])),
    responses((status = 200, body = UploadUrlDto), crate::openapi::Errors))]
pub async fn upload_url(state: AppState, caller: Caller) -> ApiResult<Json<UploadUrlDto>> {
    let slot = state.catalog.tracks().upload_slot(&caller).await?;
    Ok(Json(slot.into()))
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
    let slot = state.catalog.tracks().update_slot(&caller, id).await?;
    Ok(Json(slot.into()))
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
    let draft = TrackDraft {
        album_id: body.album_id,
        title: body.title,
        track_url: body.track_url,
    };
    let track = state.catalog.tracks().create(&caller, draft).await?;
    let c = render(&track);
    let mut headers = json_headers(&c.etag);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/tracks/{}", track.id)) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, c.body.to_vec()))
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
        .catalog
        .tracks()
        .list(filter.album_id, page.query()?)
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
    let t = state.catalog.tracks().get(id).await?;
    let r = rendered(&t);
    let h = json_headers(&r.etag);
    if etag_matches(&headers, &r.etag) {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    Ok((h, r.body.clone()).into_response())
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
    let changes = TrackChanges {
        album_id: body.album_id,
        title: body.title,
        track_url: body.track_url,
    };
    let track = state.catalog.tracks().update(&caller, id, changes).await?;
    let c = render(&track);
    Ok((json_headers(&c.etag), c.body.to_vec()))
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
    state.catalog.tracks().delete(&caller, id).await?;
    Ok(Json(Deleted { id }))
}
