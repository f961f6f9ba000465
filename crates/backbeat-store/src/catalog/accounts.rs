//! [`AccountStore`]: users, their refresh-token sessions and their API keys.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::{ApiKey, Id, Millis, NewUser, Role, Rotation, User};

/// Accounts: who can sign in, and with what.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Registers a user; [`crate::StoreError::Conflict`] if the e-mail is taken.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    /// One user by id.
    async fn user(&self, id: Id) -> StoreResult<User>;
    /// The user and their password hash, by (lower-cased) e-mail.
    async fn user_credentials(&self, email: &str) -> StoreResult<(User, String)>;
    /// Changes a user's role; a real change raises the user's token epoch (their access tokens
    /// stop working), setting the role it already has changes nothing.
    async fn set_user_role(&self, id: Id, role: Role) -> StoreResult<User>;

    /// Stores the first refresh token's hash of a new family (a sign-in) for a user.
    async fn create_session(
        &self,
        user_id: Id,
        family: Id,
        token_hash: &str,
        expires_at: Millis,
    ) -> StoreResult<()>;
    /// Presents a refresh token of `family` (as the token names it), atomically. If `old_hash`
    /// is a current, unexpired token, it is replaced by `new_hash` (one use per token) and its
    /// row takes `family` (a token from before families adopts the family its successor
    /// names): [`Rotation::Rotated`]. Otherwise, if `family` is live, the token is a replay
    /// of one rotated away: the family is deleted and the user's token epoch raised,
    /// [`Rotation::Reused`]. Anything else is `NotFound`.
    async fn rotate_session(
        &self,
        family: Id,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: Millis,
        now: Millis,
    ) -> StoreResult<Rotation>;
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
