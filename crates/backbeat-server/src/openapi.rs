//! PLACEHOLDER (H3, for the lead to replace): the full OpenAPI document served at
//! `/api/v1/openapi.json`. For now only the accounts routes.

/// The OpenAPI 3.1 document of the whole API.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::routes::accounts::openapi()
}
