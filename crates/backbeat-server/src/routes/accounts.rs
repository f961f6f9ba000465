//! Accounts: registration, login, token refresh and logout (this file), the caller's own
//! account and API keys, and role changes by admins ([`users`]).
//!
//! Sign-in hands out a short-lived JWT access token and a one-use refresh token; `refresh`
//! swaps the refresh token for a new pair (the old one stops working at once), `logout`
//! deletes it. Login and registration count against the `auth` rate limit per client IP (in
//! the middleware) and per e-mail address (here), so one account cannot be guessed at from
//! many addresses.

mod dto;
mod users;

use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::Router;
use backbeat_store::{now_millis, NewUser, Role, StoreError, User};
use utoipa::OpenApi;

use crate::auth::tokens::{now_secs, random_secret, secret_hash};
use crate::auth::{input, password};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::Json;
use crate::state::AppState;

pub use dto::*;

/// The accounts routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/users/me", get(users::me))
        .route(
            "/api/v1/users/me/api-keys",
            post(users::create_api_key).get(users::list_api_keys),
        )
        .route(
            "/api/v1/users/me/api-keys/{id}",
            delete(users::delete_api_key),
        )
        .route("/api/v1/users/{id}/role", put(users::set_role))
}

/// The OpenAPI description of these routes (merged into the full document by `openapi.rs`).
#[derive(OpenApi)]
#[openapi(
    paths(
        register, login, refresh, logout, users::me, users::create_api_key,
        users::list_api_keys, users::delete_api_key, users::set_role
    ),
    components(schemas(
        RoleDto, UserDto, RegisterRequest, LoginRequest, RefreshRequest, TokenResponse,
        CreateApiKeyRequest, ApiKeyDto, CreatedApiKey, ApiKeyList, SetRoleRequest, Problem,
        FieldError
    )),
    modifiers(&BearerScheme),
    tags((name = "accounts", description = "Registration, sign-in, API keys and roles"))
)]
pub struct AccountsApi;

/// The OpenAPI document of the accounts routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    AccountsApi::openapi()
}

/// Declares the `bearer` security scheme the `security(...)` annotations refer to.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT or bbk_ API key")
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

pub(crate) fn rng_error(e: getrandom::Error) -> ApiError {
    ApiError::Internal(format!("getrandom: {e}"))
}

/// An access token plus the given refresh token for `user`.
fn token_response(state: &AppState, user: User, refresh_token: String) -> ApiResult<TokenResponse> {
    let access_token = state
        .tokens
        .issue_access(user.id, user.role, now_secs())
        .map_err(rng_error)?;
    Ok(TokenResponse {
        user: user.into(),
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.access_ttl_s,
        refresh_token,
    })
}

/// Expiry of a refresh token made now, in milliseconds.
fn refresh_expiry(state: &AppState) -> i64 {
    let ttl_ms = i64::try_from(state.tokens.refresh_ttl_s)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    now_millis().saturating_add(ttl_ms)
}

/// Starts a session for `user`: stores a fresh refresh token and returns the token pair.
async fn sign_in(state: &AppState, user: User) -> ApiResult<TokenResponse> {
    let refresh = random_secret().map_err(rng_error)?;
    state
        .store
        .create_session(user.id, &secret_hash(&refresh), refresh_expiry(state))
        .await?;
    token_response(state, user, refresh)
}

/// Register a listener or artist account and sign in.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in", body = TokenResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "E-mail already registered", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    state: axum::extract::State<AppState>,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let mut errors = Vec::new();
    let email = input::email(&req.email).map_err(|e| errors.push(e)).ok();
    let _ = input::new_password(&req.password).map_err(|e| errors.push(e));
    let name = input::name("displayName", &req.display_name, input::MAX_DISPLAY_NAME)
        .map_err(|e| errors.push(e))
        .ok();
    let role = match req.role {
        None | Some(RoleDto::Listener) => Role::Listener,
        Some(RoleDto::Artist) => Role::Artist,
        Some(RoleDto::Admin) => {
            errors.push(FieldError::new("role", "admins are appointed by admins"));
            Role::Listener
        }
    };
    let (Some(email), Some(display_name), true) = (email, name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    state.limits.check_email(&email)?;
    let password_hash = password::hash(req.password).await?;
    let user = state
        .store
        .create_user(NewUser {
            email,
            display_name,
            password_hash,
            role,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::Conflict("this e-mail is already registered".into())
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(sign_in(&state, user).await?)))
}

/// Sign in with e-mail and password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    state: axum::extract::State<AppState>,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let email = req.email.trim().to_lowercase();
    state.limits.check_email(&email)?;
    let found = match state.store.user_credentials(&email).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Unknown e-mail: verify against a dummy hash anyway so timing does not tell.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let ok = password::verify(req.password, hash).await?;
    match (ok, user) {
        (true, Some(user)) => Ok(Json(sign_in(&state, user).await?)),
        _ => Err(ApiError::Unauthenticated),
    }
}

/// Exchange a refresh token for a new access and refresh token (the old one stops working).
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, used or expired refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    state: axum::extract::State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let new = random_secret().map_err(rng_error)?;
    let user = state
        .store
        .rotate_session(
            &secret_hash(&req.refresh_token),
            &secret_hash(&new),
            refresh_expiry(&state),
            now_millis(),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::Unauthenticated,
            other => other.into(),
        })?;
    // The access token takes the user's current role, so a refresh picks up role changes.
    Ok(Json(token_response(&state, user, new)?))
}

/// End a session: the refresh token stops working. Unknown tokens are accepted silently.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    state: axum::extract::State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<StatusCode> {
    match state
        .store
        .delete_session(&secret_hash(&req.refresh_token))
        .await
    {
        Ok(()) | Err(StoreError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e.into()),
    }
}
