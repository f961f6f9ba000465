//! The caller's own account and API keys, and role changes by admins.

use axum::extract::State;
use axum::http::StatusCode;
use backbeat_store::Id;

use super::dto::*;
use crate::auth::Caller;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/users/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserDto),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<UserDto>> {
    let user = state.catalog.accounts().me(&caller).await?;
    Ok(Json(user.into()))
}

/// Create an API key for scripts. The secret is in this response only.
#[utoipa::path(
    post, path = "/api/v1/users/me/api-keys", tag = "accounts",
    security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Created", body = CreatedApiKey),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let accounts = state.catalog.accounts();
    let (key, secret) = accounts.create_api_key(&caller, &req.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            api_key: key.into(),
            secret,
        }),
    ))
}

/// The caller's API keys (without secrets).
#[utoipa::path(
    get, path = "/api/v1/users/me/api-keys", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The keys", body = ApiKeyList),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_api_keys(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ApiKeyList>> {
    let keys = state.catalog.accounts().api_keys(&caller).await?;
    Ok(Json(ApiKeyList {
        items: keys.into_iter().map(Into::into).collect(),
    }))
}

/// Delete one of the caller's API keys. It stops working at once on this server and within
/// 30 seconds on every other.
#[utoipa::path(
    delete, path = "/api/v1/users/me/api-keys/{id}", tag = "accounts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key of the caller", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    state.catalog.accounts().delete_api_key(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a user's role (admins only; not one's own, so the last admin cannot lock
/// everyone out by accident). Access tokens already issued keep their role until they expire.
#[utoipa::path(
    put, path = "/api/v1/users/{id}/role", tag = "accounts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = SetRoleRequest,
    responses(
        (status = 200, description = "The updated user", body = UserDto),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An admin's own role", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(req): Json<SetRoleRequest>,
) -> ApiResult<Json<UserDto>> {
    let accounts = state.catalog.accounts();
    let user = accounts.set_role(&caller, id, req.role.into()).await?;
    Ok(Json(user.into()))
}
