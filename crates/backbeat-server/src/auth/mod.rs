//! Who is calling: the [`Caller`] extractor.
//!
//! A request authenticates with `Authorization: Bearer <credential>`, where the credential is
//! either a JWT access token (checked with one HMAC, no database) or an API key (`bbk_...`,
//! resolved through a short-lived cache in front of the database). The request middleware
//! authenticates once (it needs the user for per-user rate limits) and leaves the outcome in
//! the request's extensions; the extractors reuse it.

pub mod apikeys;
pub mod input;
pub mod password;
pub mod tokens;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use backbeat_store::{Id, Role, StoreError};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a request. Extracting it fails with 401 when the request has
/// no valid `Authorization: Bearer` access token or API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Id,
    pub role: Role,
}

impl Caller {
    /// `true` for admins.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// `Forbidden` unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// `Forbidden` unless the caller is an artist or an admin (who may create catalog records).
    pub fn require_artist(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Artist | Role::Admin => Ok(()),
            Role::Listener => Err(ApiError::Forbidden),
        }
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
    if credential.starts_with(apikeys::PREFIX) {
        return api_key_caller(state, credential).await.map(Some);
    }
    state
        .tokens
        .verify(credential, tokens::now_secs())
        .map(Some)
        .map_err(|e| {
            tracing::debug!(reason = %e, "access token refused");
            ApiError::Unauthenticated
        })
}

/// Resolves an API key through the cache, then the database.
async fn api_key_caller(state: &AppState, key: &str) -> Result<Caller, ApiError> {
    let hash = tokens::secret_hash(key);
    if let Some(caller) = state.tokens.api_keys.get(&hash) {
        return Ok(caller);
    }
    match state.store.api_key_user(&hash).await {
        Ok(user) => {
            let caller = Caller {
                user_id: user.id,
                role: user.role,
            };
            state.tokens.api_keys.insert(hash, caller);
            Ok(caller)
        }
        Err(StoreError::NotFound) => Err(ApiError::Unauthenticated),
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
