//! Who is calling: the [`Caller`] extractor.
//!
//! A request authenticates with `Authorization: Bearer <credential>`, where the credential is
//! either a JWT access token or an API key; the catalog's accounts resolve it
//! ([`backbeat_catalog::accounts::Accounts::authenticate`]). The request middleware
//! authenticates once (it needs the user for per-user rate limits) and leaves the outcome in
//! the request's extensions; the extractors reuse it.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use backbeat_catalog::CatalogError;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a request (the catalog's caller, as an extractor). Extracting
/// it fails with 401 when the request has no valid `Authorization: Bearer` access token or
/// API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller(pub backbeat_catalog::Caller);

impl std::ops::Deref for Caller {
    type Target = backbeat_catalog::Caller;
    fn deref(&self) -> &backbeat_catalog::Caller {
        &self.0
    }
}

/// The caller when the request carries credentials, `None` when it carries none. Credentials
/// that are present but invalid still fail with 401: a client with a stale token should learn
/// so rather than silently see the anonymous view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalCaller(pub Option<Caller>);

/// The outcome of authenticating a request, cached in its extensions by the middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// No `Authorization` header.
    Anonymous,
    /// Valid credentials.
    Caller(Caller),
    /// Credentials present but not valid.
    Invalid,
}

/// Authenticates from the request headers. `Ok(None)` when there are no credentials;
/// `Unauthenticated` when they are not valid; other errors when the database fails.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let credential = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, c)| c.trim())
        .ok_or(ApiError::Unauthenticated)?;
    match state.catalog.accounts().authenticate(credential).await {
        Ok(caller) => Ok(Some(Caller(caller))),
        Err(CatalogError::Unauthenticated) => Err(ApiError::Unauthenticated),
        Err(e) => Err(e.into()),
    }
}

/// The authentication outcome, from the middleware's cache or computed now.
async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    match parts.extensions.get::<Resolved>() {
        Some(Resolved::Anonymous) => Ok(None),
        Some(Resolved::Caller(c)) => Ok(Some(*c)),
        Some(Resolved::Invalid) => Err(ApiError::Unauthenticated),
        None => authenticate(state, &parts.headers).await,
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        resolve(parts, state)
            .await?
            .ok_or(ApiError::Unauthenticated)
    }
}

impl FromRequestParts<AppState> for OptionalCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        resolve(parts, state).await.map(OptionalCaller)
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        resolve(parts, state).await
    }
}
