//! `/api/v1/albums`: create, read, list, change, delete. A standalone track is a `single`.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use backbeat_catalog::albums::{AlbumChanges, AlbumDraft};
use backbeat_store::AlbumKind;
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{AlbumDto, Deleted, ListParams, PageDto};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// The album routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/albums", post(create).get(list))
        .route(
            "/api/v1/albums/{id}",
            get(read).patch(update).delete(remove),
        )
}

/// A year on the wire. JSON Schema's `integer` admits `1999.0`, so a whole number written with
/// a fraction part is taken as well; `1999.5` is refused like any non-integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "f64")]
pub struct Year(pub i32);

impl TryFrom<f64> for Year {
    type Error = String;

    fn try_from(v: f64) -> Result<Self, String> {
        let whole = v.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&v);
        if !whole {
            return Err(format!("{v} is not a whole number"));
        }
        #[allow(clippy::cast_possible_truncation)] // whole and within i32, checked above
        Ok(Year(v as i32))
    }
}

/// Body of `POST /albums`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAlbumBody {
    pub artist_id: Uuid,
    /// 1–200 characters, trimmed.
    pub title: String,
    /// `album` (default), `ep` or `single`.
    #[schema(value_type = Option<String>)]
    pub kind: Option<AlbumKind>,
    #[schema(value_type = Option<i32>, minimum = 1860, maximum = 2200)]
    pub release_year: Option<Year>,
}

/// Body of `PATCH /albums/{id}`; absent fields stay as they are, `releaseYear: null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlbumPatchBody {
    pub title: Option<String>,
    #[schema(value_type = Option<String>)]
    pub kind: Option<AlbumKind>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1860, maximum = 2200)]
    pub release_year: Option<Option<Year>>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Filters of `GET /albums`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AlbumFilter {
    /// Only this artist's albums.
    pub artist_id: Option<Uuid>,
}

/// Creates an album for an artist the caller owns.
#[utoipa::path(post, path = "/api/v1/albums", tag = "albums", request_body = NewAlbumBody,
    security(("bearer" = [])),
    responses((status = 201, body = AlbumDto), crate::openapi::Errors))]
pub async fn create(
    state: AppState,
    caller: Caller,
    Json(body): Json<NewAlbumBody>,
) -> ApiResult<(StatusCode, Json<AlbumDto>)> {
    let draft = AlbumDraft {
        artist_id: body.artist_id,
        title: body.title,
        kind: body.kind,
        release_year: body.release_year.map(|y| y.0),
    };
    let album = state.catalog.albums().create(&caller, draft).await?;
    Ok((StatusCode::CREATED, Json(AlbumDto::from(&album))))
}

/// Lists albums.
#[utoipa::path(get, path = "/api/v1/albums", tag = "albums", params(ListParams, AlbumFilter),
    security(("bearer" = [])),
    responses((status = 200, body = PageDto<AlbumDto>), crate::openapi::Errors))]
pub async fn list(
    state: AppState,
    _caller: Caller,
    Query(page): Query<ListParams>,
    Query(filter): Query<AlbumFilter>,
) -> ApiResult<Json<PageDto<AlbumDto>>> {
    let items = state
        .catalog
        .albums()
        .list(filter.artist_id, page.query()?)
        .await?;
    Ok(Json(PageDto::from_page(&items, &page)))
}

/// One album.
#[utoipa::path(get, path = "/api/v1/albums/{id}", tag = "albums", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = AlbumDto), crate::openapi::Errors))]
pub async fn read(
    state: AppState,
    _caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AlbumDto>> {
    let album = state.catalog.albums().get(id).await?;
    Ok(Json(AlbumDto::from(album.as_ref())))
}

/// Changes an album's title, kind or year (its artist's owners and admins).
#[utoipa::path(patch, path = "/api/v1/albums/{id}", tag = "albums", params(("id" = Uuid, Path)),
    request_body = AlbumPatchBody, security(("bearer" = [])),
    responses((status = 200, body = AlbumDto), crate::openapi::Errors))]
pub async fn update(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<AlbumPatchBody>,
) -> ApiResult<Json<AlbumDto>> {
    let changes = AlbumChanges {
        title: body.title,
        kind: body.kind,
        release_year: body.release_year.map(|y| y.map(|y| y.0)),
    };
    let album = state.catalog.albums().update(&caller, id, changes).await?;
    Ok(Json(AlbumDto::from(&album)))
}

/// Deletes an album with its tracks and their audio (its artist's owners and admins).
#[utoipa::path(delete, path = "/api/v1/albums/{id}", tag = "albums", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Deleted), crate::openapi::Errors))]
pub async fn remove(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Deleted>> {
    state.catalog.albums().delete(&caller, id).await?;
    Ok(Json(Deleted { id }))
}
