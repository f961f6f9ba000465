//! The REST v1 routes, one module per resource.
pub mod accounts;

use axum::Router;

use crate::state::AppState;

/// PLACEHOLDER (H3, for the lead to replace): the catalog, track, search and blob routes.
/// `app::router` merges this with the accounts routes.
pub fn api_router() -> Router<AppState> {
    Router::new()
}
