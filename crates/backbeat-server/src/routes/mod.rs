//! The REST v1 routes, one module per resource.

use axum::Router;
use backbeat_store::DocScope;

use crate::error::ApiResult;

use crate::state::AppState;

pub mod accounts;
pub mod albums;
pub mod artists;
pub mod blobs;
pub mod blobs_doc;
pub mod playlists;
pub mod processing;
pub mod search;
pub mod tracks;

/// The catalog, search and blob routes (accounts are merged by the app).
pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(artists::router())
        .merge(albums::router())
        .merge(tracks::router())
        .merge(processing::router())
        .merge(playlists::router())
        .merge(search::router())
        .merge(blobs::router())
}

/// Brings the search documents of everything in `scope` up to date after a write (an
/// artist's rename touches its albums' and tracks' documents too, which carry its name).
pub(crate) async fn reindex(state: &AppState, scope: DocScope) -> ApiResult<()> {
    let docs = state.store.search_docs(scope).await?;
    state.index.upsert(docs).await?;
    Ok(())
}
