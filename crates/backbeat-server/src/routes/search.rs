//! `/api/v1/search`: titles and names, with prefix and typo-tolerant matching.

use axum::routing::get;
use axum::Router;
use backbeat_store::search::SearchHit;
use backbeat_store::DocKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::state::AppState;

/// The search route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/search", get(search))
}

/// Query parameters of `GET /search`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (1–200 characters); the last word also matches as a prefix.
    pub q: String,
    /// `track`, `album` or `artist`; all kinds when absent.
    #[serde(rename = "type")]
    #[param(value_type = Option<String>)]
    pub kind: Option<DocKind>,
    /// 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// 0–1000 (default 0).
    #[param(minimum = 0, maximum = 1000)]
    pub offset: Option<usize>,
}

/// One result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HitDto {
    #[schema(value_type = String, example = "track")]
    #[serde(rename = "type")]
    pub kind: DocKind,
    pub id: Uuid,
    /// Track or album title, or artist name.
    pub title: String,
    pub artist_id: Uuid,
    pub artist_name: String,
    pub album_id: Option<Uuid>,
    pub album_title: Option<String>,
    /// Relevance; higher is better, comparable within one response.
    pub score: f32,
}

impl From<SearchHit> for HitDto {
    fn from(h: SearchHit) -> Self {
        Self {
            kind: h.kind,
            id: h.id,
            title: h.title,
            artist_id: h.artist_id,
            artist_name: h.artist_name,
            album_id: h.album_id,
            album_title: h.album_title,
            score: h.score,
        }
    }
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    pub hits: Vec<HitDto>,
    /// Number of matching documents.
    pub total: u64,
    pub limit: usize,
    pub offset: usize,
}

/// Searches tracks, albums and artists by title and name.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    security(("bearer" = [])),
    responses((status = 200, body = SearchResponse), crate::openapi::Errors))]
pub async fn search(
    state: AppState,
    _caller: Caller,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    let (results, limit, offset) = state
        .catalog
        .search()
        .query(&p.q, p.kind, p.limit, p.offset)
        .await?;
    Ok(Json(SearchResponse {
        hits: results.hits.into_iter().map(HitDto::from).collect(),
        total: results.total,
        limit,
        offset,
    }))
}
