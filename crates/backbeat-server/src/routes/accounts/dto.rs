//! Wire shapes of the accounts routes (camelCase JSON, RFC 3339 timestamps).

use backbeat_store::{ApiKey, Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::time::rfc3339;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    Listener,
    Artist,
    Admin,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Listener => Self::Listener,
            Role::Artist => Self::Artist,
            Role::Admin => Self::Admin,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Listener => Self::Listener,
            RoleDto::Artist => Self::Artist,
            RoleDto::Admin => Self::Admin,
        }
    }
}

/// A user account.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: Uuid,
    /// Lower-cased.
    pub email: String,
    pub display_name: String,
    pub role: RoleDto,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role.into(),
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

/// `POST /api/v1/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    /// An e-mail address; stored lower-cased.
    pub email: String,
    /// 8 to 256 characters.
    pub password: String,
    /// 1 to 100 characters (trimmed).
    pub display_name: String,
    /// `listener` (default) or `artist`; admins are made by admins.
    #[serde(default)]
    pub role: Option<RoleDto>,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /api/v1/auth/refresh` and `/logout`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last token response.
    pub refresh_token: String,
}

/// Tokens for a signed-in user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub user: UserDto,
    /// JWT to send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// One-use token for `POST /api/v1/auth/refresh`.
    pub refresh_token: String,
}

/// `POST /api/v1/users/me/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// A label for the key, 1 to 100 characters.
    pub name: String,
}

/// An API key's public record (the secret is shown only once, at creation).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyDto {
    pub id: Uuid,
    pub name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<ApiKey> for ApiKeyDto {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            created_at: rfc3339(k.created_at),
        }
    }
}

/// A new API key and its secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub api_key: ApiKeyDto,
    /// `bbk_...`; send as `Authorization: Bearer <secret>`. Not retrievable later.
    pub secret: String,
}

/// The caller's API keys.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyList {
    pub items: Vec<ApiKeyDto>,
}

/// `PUT /api/v1/users/{id}/role`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetRoleRequest {
    pub role: RoleDto,
}

impl From<backbeat_catalog::accounts::SignedIn> for TokenResponse {
    fn from(s: backbeat_catalog::accounts::SignedIn) -> Self {
        Self {
            user: s.user.into(),
            access_token: s.access_token,
            token_type: "Bearer".into(),
            expires_in: s.expires_in,
            refresh_token: s.refresh_token,
        }
    }
}
