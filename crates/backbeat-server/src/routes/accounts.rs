//! Accounts: registration, login, token refresh and logout (this file), the caller's own
//! account and API keys, and role changes by admins (`users.rs`).
//!
//! Sign-in hands out a short-lived JWT access token and a one-use refresh token; `refresh`
//! swaps the refresh token for a new pair (the old one stops working at once), `logout`
//! deletes it. Login and registration count against the `auth` rate limit per client IP (in
//! the middleware) and per e-mail address and client IP (here), under a much higher ceiling
//! per e-mail address: one account cannot be guessed at from many addresses, and no single
//! client can lock its owner out.

mod dto;
mod quota;
mod users;

use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::Router;
use backbeat_catalog::accounts::{login_email, Registration};
use backbeat_store::Role;
use utoipa::OpenApi;

use crate::error::{ApiResult, FieldError, Problem};
use crate::extract::{ClientIp, Json};
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
        .route("/api/v1/users/me/quota", get(quota::my_quota))
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
        register, login, refresh, logout, users::me, quota::my_quota, users::create_api_key,
        users::list_api_keys, users::delete_api_key, users::set_role
    ),
    components(schemas(
        RoleDto, UserDto, RegisterRequest, LoginRequest, RefreshRequest, TokenResponse,
        CreateApiKeyRequest, ApiKeyDto, CreatedApiKey, ApiKeyList, SetRoleRequest, Problem,
        FieldError, quota::QuotaDto, quota::QuotaUse
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
    ClientIp(ip): ClientIp,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let accounts = state.catalog.accounts();
    let checked = accounts.check_registration(Registration {
        email: req.email,
        password: req.password,
        display_name: req.display_name,
        role: req.role.map(Role::from),
    })?;
    state.limits.check_email(&checked.email, ip)?;
    let signed_in = accounts.register(checked).await?;
    Ok((StatusCode::CREATED, Json(signed_in.into())))
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
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    state.limits.check_email(&login_email(&req.email), ip)?;
    let signed_in = state
        .catalog
        .accounts()
        .login(&req.email, req.password)
        .await?;
    Ok(Json(signed_in.into()))
}

/// Exchange a refresh token for a new access and refresh token (the old one stops working).
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, used or expired refresh token (a used one revokes its whole sign-in)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    state: axum::extract::State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let signed_in = state.catalog.accounts().refresh(&req.refresh_token).await?;
    Ok(Json(signed_in.into()))
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
    state.catalog.accounts().logout(&req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
