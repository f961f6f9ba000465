//! TEMP(lead) stand-in — accounts routes (H3).
/// The accounts part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApi::default()
}
