//! `/blobs/{key}`: the byte endpoints behind signed URLs. `PUT` receives an upload (bounded by
//! the size the URL was signed for); `GET`/`HEAD` serve audio with `Range`, validators and long
//! caching. The signature is the only credential: no token, so players and CDNs can fetch.
//! `GET`/`HEAD` also take a prefix grant in the path (`/blobs/~{depth}.{exp}.{sig}/{key}`);
//! a `PUT` to such a path is refused.
//!
//! Every answer carries CORS headers (any origin, no credentials: the URL is the credential),
//! so a web player on another site can fetch manifests and segments, read `Content-Range`, and
//! send `Range` after a preflight.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use backbeat_catalog::blobs::{BlobGrant, OpenBlob};
use backbeat_store::blob::BlobMeta;
use futures_util::TryStreamExt;

use crate::error::{ApiError, ApiResult};
use crate::range::{resolve, Ranged};
use crate::state::AppState;

/// The blob routes.
pub fn router() -> Router<AppState> {
    // Uploads bound their own size (the signed limit), so the JSON body limit must not apply.
    Router::new()
        .route(
            "/blobs/{*key}",
            get(serve)
                .head(serve)
                .put(receive.layer(DefaultBodyLimit::disable()))
                .options(preflight),
        )
        .layer(axum::middleware::map_response(cors))
}

/// Headers a cross-origin player may read besides the safelisted ones.
const EXPOSED: &str = "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified";
/// Request headers a cross-origin player may send (after a preflight).
const ALLOWED: &str = "Range, If-Range, If-None-Match, If-Modified-Since, Content-Type";

/// Adds the CORS headers to every blob answer, errors included (a player then sees a `403`
/// as a `403`, not as a network failure).
async fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
    response
}

/// The CORS preflight: any origin may GET, HEAD or PUT (the signature decides).
async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, PUT"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response()
}

/// Receives an upload to a signed PUT URL.
pub async fn receive(
    state: AppState,
    Path(key): Path<String>,
    request: Request,
) -> ApiResult<Response> {
    // Prefix grants are read-only.
    let BlobGrant::Key(q) = BlobGrant::from_url(&key, request.uri().query())?.0 else {
        return Err(ApiError::Forbidden);
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = request
        .into_body()
        .into_data_stream()
        .map_err(|e| e.to_string());
    let meta = state
        .catalog
        .blobs()
        .receive(&key, &q, declared, Box::pin(body))
        .await?;
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&quoted(&meta.etag)) {
        h.insert(header::ETAG, v);
    }
    Ok((StatusCode::OK, h).into_response())
}

/// Serves a blob to a signed GET URL (HEAD too).
pub async fn serve(
    state: AppState,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let blobs = state.catalog.blobs();
    let (grant, key) = BlobGrant::from_url(&path, uri.query())?;
    let OpenBlob { meta, valid_for_s } = blobs.open(key, &grant).await?;
    let mut h = validators(&meta);
    let caching = match blobs.ladder_file(key) {
        // Never rewritten either, but a player should come back for a fresh token.
        Some(kind) if kind.is_manifest() => "public, max-age=60".to_string(),
        // Named by their generation, never rewritten: a CDN may keep them for good.
        Some(_) => "public, max-age=31536000, immutable".to_string(),
        // Blob keys are never reused, so the bytes are immutable; cached for as long as the
        // URL is valid.
        None => format!("private, max-age={}, immutable", valid_for_s.max(0)),
    };
    if let Ok(v) = HeaderValue::from_str(&caching) {
        h.insert(header::CACHE_CONTROL, v);
    }
    if not_modified(&headers, &meta) {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(blobs.media_type(key, meta.size).await),
    );
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let ranged = if if_range_holds(&headers, &meta) {
        resolve(range_header, meta.size)
    } else {
        Ranged::Full
    };
    let (status, range) = match ranged {
        Ranged::Full => (StatusCode::OK, 0..meta.size),
        Ranged::Partial(r) => {
            let v = format!("bytes {}-{}/{}", r.start, r.end - 1, meta.size);
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(header::CONTENT_RANGE, v);
            }
            (StatusCode::PARTIAL_CONTENT, r)
        }
        Ranged::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable(meta.size)),
    };
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(range.end - range.start),
    );
    if method == Method::HEAD || range.is_empty() {
        return Ok((status, h).into_response());
    }
    let stream = blobs.read(key, range).await?;
    Ok((status, h, Body::from_stream(stream)).into_response())
}

/// Validators.
fn validators(meta: &BlobMeta) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&quoted(&meta.etag)) {
        h.insert(header::ETAG, v);
    }
    let modified =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(meta.last_modified.max(0) as u64);
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h
}

/// `If-None-Match` (or, without it, `If-Modified-Since`) says the client's copy is current.
fn not_modified(headers: &HeaderMap, meta: &BlobMeta) -> bool {
    if headers.contains_key(header::IF_NONE_MATCH) {
        return crate::routes::tracks::etag_matches(headers, &quoted(&meta.etag));
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    match since {
        Some(t) => {
            let modified_s = meta.last_modified.max(0) as u64 / 1000;
            let since_s = t
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            modified_s <= since_s
        }
        None => false,
    }
}

/// `If-Range`: a range is honoured only if the client's validator still matches.
fn if_range_holds(headers: &HeaderMap, meta: &BlobMeta) -> bool {
    match headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(v) if v.starts_with('"') => v == quoted(&meta.etag),
        Some(v) => match httpdate::parse_http_date(v) {
            Ok(t) => {
                let since_s = t
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                meta.last_modified.max(0) as u64 / 1000 <= since_s
            }
            Err(_) => false,
        },
    }
}

/// The store's ETag as an HTTP entity tag (quoted), whatever form the store gives it in.
fn quoted(etag: &str) -> String {
    if etag.starts_with('"') || etag.starts_with("W/\"") {
        etag.to_string()
    } else {
        format!("\"{etag}\"")
    }
}
