//! [`AccountStore`]: users, their refresh-token sessions and their API keys.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::{ApiKey, Id, Millis, NewUser, Role, User};

/// Accounts: who can sign in, and with what.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Registers a user; [`crate::StoreError::Conflict`] if the e-mail is taken.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    /// One user by id.
    async fn user(&self, id: Id) -> StoreResult<User>;
    /// The user and their password hash, by (lower-cased) e-mail.
    async fn user_credentials(&self, email: &str) -> StoreResult<(User, String)>;
    /// Changes a user's role.
    async fn set_user_role(&self, id: Id, role: Role) -> StoreResult<User>;

    /// Stores a refresh token's hash for a user.
    async fn create_session(
        &self,
        user_id: Id,
        token_hash: &str,
        expires_at: Millis,
    ) -> StoreResult<()>;
    /// Exchanges a valid (unexpired) refresh token hash for a new one, atomically: the old one
    /// is deleted, so a token is good for one use. Returns the user; `NotFound` otherwise.
    async fn rotate_session(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: Millis,
        now: Millis,
    ) -> StoreResult<User>;
    /// Deletes one refresh token (logout).
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    /// Stores a new API key's hash for a user.
    async fn create_api_key(&self, user_id: Id, name: &str, key_hash: &str) -> StoreResult<ApiKey>;
    /// The user an API key (by hash) belongs to.
    async fn api_key_user(&self, key_hash: &str) -> StoreResult<User>;
    /// A user's API keys (without their hashes).
    async fn list_api_keys(&self, user_id: Id) -> StoreResult<Vec<ApiKey>>;
    /// Deletes a key of this user; `NotFound` if it is not theirs.
    async fn delete_api_key(&self, user_id: Id, key_id: Id) -> StoreResult<()>;
}
