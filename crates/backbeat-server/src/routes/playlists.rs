//! `/api/v1/playlists`: a user's ordered lists of tracks; private unless made public.

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use backbeat_catalog::playlists::{PlaylistChanges, PlaylistDraft};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{Deleted, ListParams, PageDto, PlaylistDto};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Body limit of the playlist routes: room for `MAX_TRACKS` ids and then some.
const PLAYLIST_BODY_LIMIT: usize = 512 * 1024;

/// The playlist routes.
pub fn router() -> Router<AppState> {
    // 10,000 track ids are ~400 KB of JSON: more than the default body limit allows.
    Router::new()
        .route("/api/v1/playlists", post(create).get(list))
        .route(
            "/api/v1/playlists/{id}",
            get(read).patch(update).delete(remove),
        )
        .layer(DefaultBodyLimit::max(PLAYLIST_BODY_LIMIT))
}

/// Body of `POST /playlists`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPlaylistBody {
    /// 1–200 characters, trimmed.
    pub name: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// Visible to everyone (default false).
    pub public: Option<bool>,
    /// Tracks in play order (up to 10,000; repeats allowed).
    pub track_ids: Option<Vec<Uuid>>,
}

/// Body of `PATCH /playlists/{id}`; `trackIds` replaces the whole list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlaylistPatchBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub public: Option<bool>,
    pub track_ids: Option<Vec<Uuid>>,
}

/// Creates a playlist owned by the caller.
#[utoipa::path(post, path = "/api/v1/playlists", tag = "playlists", request_body = NewPlaylistBody,
    security(("bearer" = [])),
    responses((status = 201, body = PlaylistDto), crate::openapi::Errors))]
pub async fn create(
    state: AppState,
    caller: Caller,
    Json(body): Json<NewPlaylistBody>,
) -> ApiResult<(StatusCode, Json<PlaylistDto>)> {
    let draft = PlaylistDraft {
        name: body.name,
        description: body.description,
        public: body.public,
        track_ids: body.track_ids,
    };
    let playlist = state.catalog.playlists().create(&caller, draft).await?;
    Ok((StatusCode::CREATED, Json(PlaylistDto::from(&playlist))))
}

/// The caller's playlists and public ones (admins: all).
#[utoipa::path(get, path = "/api/v1/playlists", tag = "playlists", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = PageDto<PlaylistDto>), crate::openapi::Errors))]
pub async fn list(
    state: AppState,
    caller: Caller,
    Query(page): Query<ListParams>,
) -> ApiResult<Json<PageDto<PlaylistDto>>> {
    let items = state
        .catalog
        .playlists()
        .list(&caller, page.query()?)
        .await?;
    Ok(Json(PageDto::from_page(&items, &page)))
}

/// One playlist (someone else's private playlist is not found).
#[utoipa::path(get, path = "/api/v1/playlists/{id}", tag = "playlists", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = PlaylistDto), crate::openapi::Errors))]
pub async fn read(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<PlaylistDto>> {
    let playlist = state.catalog.playlists().get(&caller, id).await?;
    Ok(Json(PlaylistDto::from(&playlist)))
}

/// Changes a playlist (its owner and admins).
#[utoipa::path(patch, path = "/api/v1/playlists/{id}", tag = "playlists", params(("id" = Uuid, Path)),
    request_body = PlaylistPatchBody, security(("bearer" = [])),
    responses((status = 200, body = PlaylistDto), crate::openapi::Errors))]
pub async fn update(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<PlaylistPatchBody>,
) -> ApiResult<Json<PlaylistDto>> {
    let changes = PlaylistChanges {
        name: body.name,
        description: body.description,
        public: body.public,
        track_ids: body.track_ids,
    };
    let playlist = state
        .catalog
        .playlists()
        .update(&caller, id, changes)
        .await?;
    Ok(Json(PlaylistDto::from(&playlist)))
}

/// Deletes a playlist (its owner and admins).
#[utoipa::path(delete, path = "/api/v1/playlists/{id}", tag = "playlists", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Deleted), crate::openapi::Errors))]
pub async fn remove(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Deleted>> {
    state.catalog.playlists().delete(&caller, id).await?;
    Ok(Json(Deleted { id }))
}
