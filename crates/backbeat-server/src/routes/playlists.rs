//! `/api/v1/playlists`: a user's ordered lists of tracks; private unless made public.

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use backbeat_store::{NewPlaylist, PlaylistPatch, StoreError};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access;
use crate::auth::Caller;
use crate::dto::{clean_text, Deleted, ListParams, PageDto, PlaylistDto};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Longest name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// Most tracks in one playlist.
pub const MAX_TRACKS: usize = 10_000;
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

fn check_description(d: Option<&String>, errors: &mut Vec<FieldError>) -> Option<String> {
    let d = d?;
    if d.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
        return None;
    }
    Some(d.trim().to_string())
}

fn check_tracks(ids: &Option<Vec<Uuid>>, errors: &mut Vec<FieldError>) {
    if matches!(ids, Some(v) if v.len() > MAX_TRACKS) {
        errors.push(FieldError::new("trackIds", "at most 10000 tracks"));
    }
}

/// A store "track does not exist" as a field error.
fn track_ref(e: StoreError) -> ApiError {
    match e {
        StoreError::InvalidReference(_) => {
            ApiError::field("trackIds", "contains a track that does not exist")
        }
        other => other.into(),
    }
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
    let mut errors = Vec::new();
    let name = clean_text("name", &body.name, MAX_NAME)
        .map_err(|e| errors.push(e))
        .ok();
    let description = check_description(body.description.as_ref(), &mut errors);
    check_tracks(&body.track_ids, &mut errors);
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let playlist = state
        .store
        .create_playlist(NewPlaylist {
            owner_id: caller.user_id,
            name,
            description: description.unwrap_or_default(),
            public: body.public.unwrap_or(false),
            track_ids: body.track_ids.unwrap_or_default(),
        })
        .await
        .map_err(track_ref)?;
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
    let viewer = (!caller.is_admin()).then_some(caller.user_id);
    let items = state.store.list_playlists(viewer, page.query()?).await?;
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
    Ok(Json(PlaylistDto::from(
        &access::visible_playlist(&state, &caller, id).await?,
    )))
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
    access::owned_playlist(&state, &caller, id).await?;
    let mut errors = Vec::new();
    let name = match &body.name {
        Some(n) => clean_text("name", n, MAX_NAME)
            .map_err(|e| errors.push(e))
            .ok(),
        None => None,
    };
    let description = check_description(body.description.as_ref(), &mut errors);
    check_tracks(&body.track_ids, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let patch = PlaylistPatch {
        name,
        description,
        public: body.public,
        track_ids: body.track_ids,
    };
    let playlist = state
        .store
        .update_playlist(id, patch)
        .await
        .map_err(track_ref)?;
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
    access::owned_playlist(&state, &caller, id).await?;
    state.store.delete_playlist(id).await?;
    Ok(Json(Deleted { id }))
}
