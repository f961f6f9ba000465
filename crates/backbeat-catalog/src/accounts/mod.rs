//! Accounts: registration, sign-in, token refresh and logout, the caller's own account and
//! API keys, role changes by admins, and resolving a credential to a [`Caller`].
//!
//! Sign-in hands out a short-lived JWT access token and a one-use refresh token; `refresh`
//! swaps the refresh token for a new pair (the old one stops working at once), `logout`
//! deletes it. Rate limits on sign-in are the transport's (it knows client addresses).
//!
//! Revocation: every credential resolves to the user's *current* role, read through a cache
//! of [`current::USER_TTL`]; an access token also names the user's token epoch at issue and is
//! refused once the epoch has moved on (a role change, a replayed refresh token). A deleted
//! account's credentials stop working the same way. A refresh token that was rotated away and
//! is presented again is taken for stolen: its whole family (the sign-in) is revoked.

pub mod apikeys;
pub mod current;
pub mod input;
pub mod password;
pub mod tokens;

use backbeat_store::{
    new_id, now_millis, AccountStore, ApiKey, Id, NewUser, Role, Rotation, StoreError, User,
};

use crate::error::{CatalogError, CatalogResult, FieldError, Fields};
use crate::{Caller, Inner};
use current::CurrentUser;
use tokens::{now_secs, secret_hash, RefreshToken};

/// Longest API key name, characters.
pub const MAX_KEY_NAME: usize = 100;

/// The account use cases.
pub struct Accounts<'a>(pub(crate) &'a Inner);

/// A registration as a client asks for it.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// Default: listener. Admins are appointed by admins, never self-registered.
    pub role: Option<Role>,
}

/// A registration whose fields passed every check (see [`Accounts::check_registration`]).
#[derive(Debug, Clone)]
pub struct CheckedRegistration {
    /// Trimmed and lower-cased.
    pub email: String,
    password: String,
    display_name: String,
    role: Role,
}

/// What signing in gives a client.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub access_token: String,
    /// Seconds the access token lasts.
    pub expires_in: u64,
    pub refresh_token: String,
}

/// The e-mail a login names, normalised like registered addresses (for per-address limits).
pub fn login_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

fn rng_error(e: getrandom::Error) -> CatalogError {
    CatalogError::Internal(format!("getrandom: {e}"))
}

impl Accounts<'_> {
    /// Checks a registration's fields, all at once.
    pub fn check_registration(&self, r: Registration) -> CatalogResult<CheckedRegistration> {
        let mut fields = Fields::default();
        let email = fields.check(input::email(&r.email));
        fields.check(input::new_password(&r.password));
        let name = fields.check(input::name(
            "displayName",
            &r.display_name,
            input::MAX_DISPLAY_NAME,
        ));
        let role = match r.role {
            None | Some(Role::Listener) => Role::Listener,
            Some(Role::Artist) => Role::Artist,
            Some(Role::Admin) => {
                fields.push(FieldError::new("role", "admins are appointed by admins"));
                Role::Listener
            }
        };
        fields.finish()?;
        Ok(CheckedRegistration {
            email: email.unwrap_or_default(),
            password: r.password,
            display_name: name.unwrap_or_default(),
            role,
        })
    }

    /// Registers a checked registration and signs the new user in.
    pub async fn register(&self, r: CheckedRegistration) -> CatalogResult<SignedIn> {
        let password_hash = password::hash(r.password).await?;
        let user = self
            .0
            .stores
            .accounts
            .create_user(NewUser {
                email: r.email,
                display_name: r.display_name,
                password_hash,
                role: r.role,
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    CatalogError::Conflict("this e-mail is already registered".into())
                }
                other => other.into(),
            })?;
        self.sign_in(user).await
    }

    /// Signs in with e-mail and password; `Unauthenticated` when either is wrong (an unknown
    /// e-mail costs the same time as a wrong password).
    pub async fn login(&self, email: &str, password: String) -> CatalogResult<SignedIn> {
        let found = match self
            .0
            .stores
            .accounts
            .user_credentials(&login_email(email))
            .await
        {
            Ok(found) => Some(found),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let ok = password::verify(password, hash).await?;
        match (ok, user) {
            (true, Some(user)) => self.sign_in(user).await,
            _ => Err(CatalogError::Unauthenticated),
        }
    }

    /// Swaps a refresh token for a new pair; the access token takes the user's current role,
    /// so a refresh picks up role changes. A token of a live family that is no longer its
    /// current one is a replay (the token was stolen, or the client was): the family is
    /// revoked, the user's access tokens with it, and the answer is `Unauthenticated`.
    pub async fn refresh(&self, refresh_token: &str) -> CatalogResult<SignedIn> {
        // A token from before families gets one now, with its successor.
        let family = RefreshToken::family_of(refresh_token).unwrap_or_else(new_id);
        let new = RefreshToken::new(family).map_err(rng_error)?;
        let rotation = self
            .0
            .stores
            .accounts
            .rotate_session(
                family,
                &secret_hash(refresh_token),
                &secret_hash(&new.token),
                self.refresh_expiry(),
                now_millis(),
            )
            .await
            .map_err(|e| match e {
                StoreError::NotFound => CatalogError::Unauthenticated,
                other => other.into(),
            })?;
        match rotation {
            Rotation::Rotated(user) => self.tokens_for(user, new.token),
            Rotation::Reused { user_id } => {
                self.0.tokens.users.forget(user_id);
                tracing::warn!(
                    user = %user_id,
                    family = %family,
                    "a rotated refresh token was presented again; its sign-in is revoked"
                );
                Err(CatalogError::Unauthenticated)
            }
        }
    }

    /// Deletes a refresh token (an unknown one is fine: the client is signed out either way).
    pub async fn logout(&self, refresh_token: &str) -> CatalogResult<()> {
        match self
            .0
            .stores
            .accounts
            .delete_session(&secret_hash(refresh_token))
            .await
        {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The caller's own account (`Unauthenticated` for a valid token of a deleted account).
    pub async fn me(&self, caller: &Caller) -> CatalogResult<User> {
        match self.0.stores.accounts.user(caller.user_id).await {
            Ok(user) => Ok(user),
            Err(StoreError::NotFound) => Err(CatalogError::Unauthenticated),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates an API key for the caller; returns it with its secret (shown once).
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        name: &str,
    ) -> CatalogResult<(ApiKey, String)> {
        let name = input::name("name", name, MAX_KEY_NAME)?;
        let (secret, hash) = apikeys::generate().map_err(rng_error)?;
        let key = self
            .0
            .stores
            .accounts
            .create_api_key(caller.user_id, &name, &hash)
            .await?;
        Ok((key, secret))
    }

    /// The caller's API keys.
    pub async fn api_keys(&self, caller: &Caller) -> CatalogResult<Vec<ApiKey>> {
        Ok(self.0.stores.accounts.list_api_keys(caller.user_id).await?)
    }

    /// Deletes one of the caller's API keys; it stops working at once.
    pub async fn delete_api_key(&self, caller: &Caller, id: Id) -> CatalogResult<()> {
        self.0
            .stores
            .accounts
            .delete_api_key(caller.user_id, id)
            .await?;
        self.0.tokens.api_keys.forget_user(caller.user_id);
        Ok(())
    }

    /// Sets a user's role (admins; not their own).
    pub async fn set_role(&self, caller: &Caller, id: Id, role: Role) -> CatalogResult<User> {
        caller.require_admin()?;
        if id == caller.user_id {
            return Err(CatalogError::Conflict(
                "admins cannot change their own role".into(),
            ));
        }
        let user = self.0.stores.accounts.set_user_role(id, role).await?;
        // Here at once; other replicas within `USER_TTL`.
        self.0.tokens.users.forget(id);
        Ok(user)
    }

    /// The caller a bearer credential names: an access token (one HMAC) or an API key
    /// (`bbk_…`, through a short-lived cache in front of the database), with the user's
    /// current role. `Unauthenticated` for an invalid or expired token, a token from an
    /// earlier token epoch, an unknown key, or a user who no longer exists.
    pub async fn authenticate(&self, credential: &str) -> CatalogResult<Caller> {
        if credential.starts_with(apikeys::PREFIX) {
            let user_id = self.api_key_user(credential).await?;
            let current = self.current_user(user_id).await?;
            return Ok(Caller {
                user_id,
                role: current.role,
            });
        }
        let claims = self.0.tokens.verify(credential, now_secs()).map_err(|e| {
            tracing::debug!(reason = %e, "access token refused");
            CatalogError::Unauthenticated
        })?;
        let current = self.current_user(claims.sub).await?;
        if claims.epoch != current.token_epoch {
            tracing::debug!(user = %claims.sub, "access token from an earlier token epoch");
            return Err(CatalogError::Unauthenticated);
        }
        Ok(Caller {
            user_id: claims.sub,
            role: current.role,
        })
    }

    /// The token keys (tests forge tokens with them).
    pub fn tokens(&self) -> &tokens::TokenKeys {
        &self.0.tokens
    }

    /// The user's role and token epoch, from the cache when read less than `USER_TTL` ago;
    /// `Unauthenticated` if the user does not exist (any more).
    async fn current_user(&self, id: Id) -> CatalogResult<CurrentUser> {
        let users = &self.0.tokens.users;
        let current = match users.get(id) {
            Some(cached) => cached,
            None => {
                let mark = users.mark();
                let found = match self.0.stores.accounts.user(id).await {
                    Ok(user) => Some(CurrentUser::from(&user)),
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e.into()),
                };
                users.insert(id, found, mark);
                found
            }
        };
        current.ok_or(CatalogError::Unauthenticated)
    }

    async fn api_key_user(&self, key: &str) -> CatalogResult<Id> {
        let hash = secret_hash(key);
        if let Some(user) = self.0.tokens.api_keys.get(&hash) {
            return Ok(user);
        }
        match self.0.stores.accounts.api_key_user(&hash).await {
            Ok(user) => {
                self.0.tokens.api_keys.insert(hash, user.id);
                Ok(user.id)
            }
            Err(StoreError::NotFound) => Err(CatalogError::Unauthenticated),
            Err(e) => Err(e.into()),
        }
    }

    async fn sign_in(&self, user: User) -> CatalogResult<SignedIn> {
        let refresh = RefreshToken::new(new_id()).map_err(rng_error)?;
        self.0
            .stores
            .accounts
            .create_session(
                user.id,
                refresh.family,
                &secret_hash(&refresh.token),
                self.refresh_expiry(),
            )
            .await?;
        self.tokens_for(user, refresh.token)
    }

    fn tokens_for(&self, user: User, refresh_token: String) -> CatalogResult<SignedIn> {
        let tokens = &self.0.tokens;
        let access_token = tokens
            .issue_access(user.id, user.role, user.token_epoch, now_secs())
            .map_err(rng_error)?;
        Ok(SignedIn {
            user,
            access_token,
            expires_in: tokens.access_ttl_s,
            refresh_token,
        })
    }

    fn refresh_expiry(&self) -> i64 {
        let ttl_ms = i64::try_from(self.0.tokens.refresh_ttl_s)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        now_millis().saturating_add(ttl_ms)
    }
}

/// A new account with an e-mail, a password, a display name and any role — the operator's
/// way to make the first admin (`backbeat user create`). Checks and hashing are the same as
/// registration's.
pub async fn create_user(
    store: &dyn AccountStore,
    email: &str,
    password: String,
    display_name: &str,
    role: Role,
) -> CatalogResult<User> {
    let email = input::email(email)?;
    input::new_password(&password)?;
    let display_name = input::name("display name", display_name, input::MAX_DISPLAY_NAME)?;
    let password_hash = password::hash(password).await?;
    store
        .create_user(NewUser {
            email: email.clone(),
            display_name,
            password_hash,
            role,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                CatalogError::Conflict(format!("{email} is already registered"))
            }
            other => other.into(),
        })
}
