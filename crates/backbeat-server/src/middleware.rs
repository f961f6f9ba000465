//! The per-request middleware, in one function because it sits on the 20k req/s hot path:
//! request id, authentication for per-user limits, rate limits, default `Cache-Control`,
//! metrics and the access-log line. Each step is a few header operations; the only allocation
//! beyond the request id is the metric label.
//!
//! It is installed with `Router::layer`, so it runs after routing and sees the matched route
//! template (bounded label cardinality). Latency is measured to the response head: streamed
//! bodies (blob downloads) are not included.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::auth::{self, Resolved};
use crate::error::ApiError;
use crate::metrics::UNMATCHED_ROUTE;
use crate::ratelimit::{Class, Subject};
use crate::state::AppState;

/// The request-id header, read from the client when sane and always echoed.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware; see the module documentation.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = request_id(req.headers());
    req.headers_mut().insert(REQUEST_ID.clone(), id.clone());
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, |m| m.as_str())
        .to_string();
    let is_api = req.uri().path().starts_with("/api/");
    let span = tracing::info_span!(
        "request",
        id = id.to_str().unwrap_or_default(),
        method = %method,
        route = %route,
    );
    let mut res = async {
        match admit(&state, &mut req).await {
            Ok(()) => next.run(req).await,
            Err(e) => e.into_response(),
        }
    }
    .instrument(span.clone())
    .await;

    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && !res.headers().contains_key(header::CONTENT_TYPE)
    {
        // A 405 produced by a router without our fallback: give it the problem shape too.
        let allow = res.headers().get(header::ALLOW).cloned();
        res = ApiError::MethodNotAllowed.into_response();
        if let Some(allow) = allow {
            res.headers_mut().insert(header::ALLOW, allow);
        }
    }
    let headers = res.headers_mut();
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(REQUEST_ID.clone(), id);
    let status = res.status().as_u16();
    let elapsed = start.elapsed();
    state
        .metrics
        .observe_request(&method, &route, status, elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            target: "backbeat::access",
            status,
            latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    });
    res
}

/// Rate limits (per IP, then per user) and authentication, whose outcome is left in the
/// request for the extractors.
async fn admit(state: &AppState, req: &mut Request) -> Result<(), ApiError> {
    let class = Class::of(req.method(), req.uri().path());
    let limits = &state.limits;
    if let (Some(class), true) = (class, limits.enabled()) {
        let ip = client_ip(
            req.headers(),
            req.extensions(),
            state.http.trust_forwarded_for,
        );
        limits.check(class, Subject::ip(ip))?;
    }
    if req.headers().contains_key(header::AUTHORIZATION) {
        let resolved = match auth::authenticate(state, req.headers()).await {
            Ok(Some(caller)) => Some(Resolved::Caller(caller)),
            Ok(None) => Some(Resolved::Anonymous),
            Err(ApiError::Unauthenticated) => Some(Resolved::Invalid),
            // The database failed: leave it to the extractor, which reports the error on the
            // routes that need a caller.
            Err(_) => None,
        };
        if let (Some(class), Some(Resolved::Caller(c))) = (class, resolved) {
            limits.check(class, Subject::User(c.user_id))?;
        }
        if let Some(r) = resolved {
            req.extensions_mut().insert(r);
        }
    } else {
        req.extensions_mut().insert(Resolved::Anonymous);
    }
    Ok(())
}

/// The client address: the socket peer, or the last `X-Forwarded-For` entry when a trusted
/// proxy sets it. Unspecified when neither is known (a router driven without a socket).
pub(crate) fn client_ip(
    headers: &HeaderMap,
    extensions: &Extensions,
    trust_forwarded_for: bool,
) -> IpAddr {
    if trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse::<IpAddr>().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// The client's request id when it is 1–128 visible ASCII characters, else a new one.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    if let Some(v) = headers.get(&REQUEST_ID) {
        let b = v.as_bytes();
        if !b.is_empty() && b.len() <= 128 && b.iter().all(|c| (0x21..0x7f).contains(c)) {
            return v.clone();
        }
    }
    generate_request_id()
}

/// A process-unique id: a random per-process prefix and a counter (no syscall per request).
fn generate_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| getrandom::u32().unwrap_or_else(|_| std::process::id()));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let text = format!("{prefix:08x}-{n:010x}");
    // Hex digits and a dash are always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_and_client_ids_sanitised() {
        let a = generate_request_id();
        assert_ne!(a, generate_request_id());
        let mut h = HeaderMap::new();
        h.insert(&REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&h), "abc-123");
        h.insert(&REQUEST_ID, HeaderValue::from_static("has space"));
        assert_ne!(request_id(&h), "has space");
        h.insert(
            &REQUEST_ID,
            HeaderValue::from_str(&"x".repeat(129)).unwrap(),
        );
        assert_eq!(request_id(&h).len(), 19);
    }
}
