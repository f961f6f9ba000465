//! The REST v1 routes, one module per resource.

use axum::Router;

use crate::state::AppState;

pub mod accounts;
pub mod albums;
pub mod annotation;
pub mod annotation_dto;
pub mod annotation_reports;
pub mod artists;
pub mod blobs;
pub mod blobs_doc;
pub mod peaks;
pub mod playlists;
pub mod processing;
pub mod search;
pub mod stream;
pub mod tracks;

/// The catalog, search, blob and annotation routes (accounts are merged by the app).
pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(artists::router())
        .merge(albums::router())
        .merge(tracks::router())
        .merge(stream::router())
        .merge(processing::router())
        .merge(peaks::router())
        .merge(playlists::router())
        .merge(search::router())
        .merge(blobs::router())
        .merge(annotation::router())
        .merge(annotation_reports::router())
}
