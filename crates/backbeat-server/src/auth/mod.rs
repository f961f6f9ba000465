//! STUB — to be implemented (see the brief). Who is calling: the `Caller` extractor.
pub mod password;
pub mod tokens;

use backbeat_store::{Id, Role};

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
}

// TEMP(lead): stand-in until H3's extractor lands.
impl axum::extract::FromRequestParts<crate::state::AppState> for Caller {
    type Rejection = crate::error::ApiError;
    async fn from_request_parts(
        _parts: &mut axum::http::request::Parts,
        _state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        Err(crate::error::ApiError::Unauthenticated)
    }
}
