//! OpenAPI descriptions of the signed-URL byte endpoints (the handlers in `blobs.rs` take raw
//! requests, so their documentation lives on these stand-ins).
#![allow(dead_code)] // the functions exist only to carry `#[utoipa::path]`

use crate::error::Problem;

/// Query parameters of a signed URL.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Signature {
    /// Expiry, Unix seconds.
    exp: i64,
    /// Size limit in bytes (upload URLs only).
    max: Option<u64>,
    /// HMAC-SHA256 signature, base64url.
    sig: String,
}

/// Downloads audio bytes (supports `Range`, `If-Range`, `If-None-Match`, `If-Modified-Since`).
#[utoipa::path(get, path = "/blobs/{key}", tag = "blobs",
    params(("key" = String, Path, description = "Blob key, e.g. audio/<id>"), Signature,
        ("Range" = Option<String>, Header, description = "One byte range, e.g. bytes=0-1023")),
    responses(
        (status = 200, description = "The whole blob", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The requested range", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "Not modified"),
        (status = 403, description = "Missing, invalid or expired signature", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such blob", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "Range not satisfiable", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn serve() {}

/// Headers of a blob, as `GET` would send them.
#[utoipa::path(head, path = "/blobs/{key}", tag = "blobs",
    params(("key" = String, Path), Signature),
    responses(
        (status = 200, description = "Headers only"),
        (status = 206, description = "Headers only, for the requested range"),
        (status = 304, description = "Not modified"),
        (status = 403, description = "Missing, invalid or expired signature"),
        (status = 404, description = "No such blob"),
        (status = 416, description = "Range not satisfiable"),
        (status = 429, description = "Rate limited"),
    ))]
pub fn head() {}

/// Uploads audio bytes to a signed upload URL (at most the signed size).
#[utoipa::path(put, path = "/blobs/{key}", tag = "blobs",
    params(("key" = String, Path), Signature),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Stored; `ETag` names the content"),
        (status = 400, description = "The body was interrupted", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing, invalid or expired signature", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A track has used this upload URL (also while this upload was under way), or is being created from it right now (retry in a moment); nothing was stored", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the signed limit", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    ))]
pub fn receive() {}
