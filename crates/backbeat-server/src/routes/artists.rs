//! `/api/v1/artists`: create, read, list, rename, delete, and manage owners.

use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{ArtistDto, Deleted, ListParams, PageDto};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// The artist routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/artists", post(create).get(list))
        .route(
            "/api/v1/artists/{id}",
            get(read).patch(update).delete(remove),
        )
        .route("/api/v1/artists/{id}/owners", post(add_owner))
        .route(
            "/api/v1/artists/{id}/owners/{user_id}",
            delete(remove_owner),
        )
}

/// Body of `POST /artists` and `PATCH /artists/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtistBody {
    /// 1–200 characters, trimmed.
    pub name: String,
}

/// Body of `POST /artists/{id}/owners`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerBody {
    pub user_id: Uuid,
}

/// Filters of `GET /artists`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ArtistFilter {
    /// Only artists this user owns.
    pub owner_id: Option<Uuid>,
}

/// Creates an artist owned by the caller (artists and admins).
#[utoipa::path(post, path = "/api/v1/artists", tag = "artists", request_body = ArtistBody,
    security(("bearer" = [])),
    responses((status = 201, body = ArtistDto), crate::openapi::Errors))]
pub async fn create(
    state: AppState,
    caller: Caller,
    Json(body): Json<ArtistBody>,
) -> ApiResult<(StatusCode, Json<ArtistDto>)> {
    let artist = state.catalog.artists().create(&caller, &body.name).await?;
    Ok((StatusCode::CREATED, Json(ArtistDto::from(&artist))))
}

/// Lists artists.
#[utoipa::path(get, path = "/api/v1/artists", tag = "artists", params(ListParams, ArtistFilter),
    security(("bearer" = [])),
    responses((status = 200, body = PageDto<ArtistDto>), crate::openapi::Errors))]
pub async fn list(
    state: AppState,
    _caller: Caller,
    Query(page): Query<ListParams>,
    Query(filter): Query<ArtistFilter>,
) -> ApiResult<Json<PageDto<ArtistDto>>> {
    let items = state
        .catalog
        .artists()
        .list(filter.owner_id, page.query()?)
        .await?;
    Ok(Json(PageDto::from_page(&items, &page)))
}

/// One artist.
#[utoipa::path(get, path = "/api/v1/artists/{id}", tag = "artists", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ArtistDto), crate::openapi::Errors))]
pub async fn read(
    state: AppState,
    _caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ArtistDto>> {
    let artist = state.catalog.artists().get(id).await?;
    Ok(Json(ArtistDto::from(artist.as_ref())))
}

/// Renames an artist (owners and admins).
#[utoipa::path(patch, path = "/api/v1/artists/{id}", tag = "artists", params(("id" = Uuid, Path)),
    request_body = ArtistBody, security(("bearer" = [])),
    responses((status = 200, body = ArtistDto), crate::openapi::Errors))]
pub async fn update(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ArtistBody>,
) -> ApiResult<Json<ArtistDto>> {
    let artist = state
        .catalog
        .artists()
        .rename(&caller, id, &body.name)
        .await?;
    Ok(Json(ArtistDto::from(&artist)))
}

/// Deletes an artist with its albums, tracks and their audio (owners and admins).
#[utoipa::path(delete, path = "/api/v1/artists/{id}", tag = "artists", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Deleted), crate::openapi::Errors))]
pub async fn remove(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Deleted>> {
    state.catalog.artists().delete(&caller, id).await?;
    Ok(Json(Deleted { id }))
}

/// Adds an owner (owners and admins). The new owner must be an artist or an admin: a
/// listener's id is refused with `422` on `userId`.
#[utoipa::path(post, path = "/api/v1/artists/{id}/owners", tag = "artists", params(("id" = Uuid, Path)),
    request_body = OwnerBody, security(("bearer" = [])),
    responses((status = 200, body = ArtistDto), crate::openapi::Errors))]
pub async fn add_owner(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<OwnerBody>,
) -> ApiResult<Json<ArtistDto>> {
    let artists = state.catalog.artists();
    let artist = artists.add_owner(&caller, id, body.user_id).await?;
    Ok(Json(ArtistDto::from(&artist)))
}

/// Removes an owner; the last owner cannot be removed (owners and admins).
#[utoipa::path(delete, path = "/api/v1/artists/{id}/owners/{user_id}", tag = "artists",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ArtistDto), crate::openapi::Errors))]
pub async fn remove_owner(
    state: AppState,
    caller: Caller,
    Path((id, user)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<ArtistDto>> {
    let artist = state
        .catalog
        .artists()
        .remove_owner(&caller, id, user)
        .await?;
    Ok(Json(ArtistDto::from(&artist)))
}
