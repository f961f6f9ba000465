//! Users, refresh-token sessions and API keys. Secrets arrive already hashed; e-mail addresses
//! are stored lower-cased so uniqueness and login ignore case.
//!
//! A session is one refresh-token family (one sign-in): a single row, rotated in place, whose
//! `token_hash` is the family's current token. A token that no row holds but whose family is
//! live was rotated away before: presenting it again is a replay, and the family goes.

use sqlx::any::AnyRow;

use crate::error::{StoreError, StoreResult};
use crate::model::{new_id, now_millis, ApiKey, Id, Millis, NewUser, Role, Rotation, User};

use super::errors::{constraint, db, unique};
use super::rows::{enumerated, id, int, text};
use super::SqlCatalog;

/// A user's public columns, qualified by alias `u` (for joins) and bare (for `RETURNING`).
const USER: &str =
    "u.id, u.email, u.display_name, u.role, u.token_epoch, u.created_at, u.updated_at";
const USER_COLS: &str = "id, email, display_name, role, token_epoch, created_at, updated_at";

fn user_row(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: id(r, "id")?,
        email: text(r, "email")?,
        display_name: text(r, "display_name")?,
        role: enumerated(r, "role", Role::parse)?,
        token_epoch: int(r, "token_epoch")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

fn key_row(r: &AnyRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: id(r, "id")?,
        user_id: id(r, "user_id")?,
        name: text(r, "name")?,
        created_at: int(r, "created_at")?,
    })
}

pub(super) async fn create_user(c: &SqlCatalog, new: NewUser) -> StoreResult<User> {
    let now = now_millis();
    let user = User {
        id: new_id(),
        email: new.email.to_lowercase(),
        display_name: new.display_name,
        role: new.role,
        token_epoch: 0,
        created_at: now,
        updated_at: now,
    };
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(user.id.to_string())
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&new.password_hash)
    .bind(user.role.as_str())
    .bind(user.created_at)
    .execute(&c.write)
    .await
    .map_err(unique("email"))?;
    Ok(user)
}

pub(super) async fn user(c: &SqlCatalog, user_id: Id) -> StoreResult<User> {
    let r = sqlx::query(&format!("SELECT {USER} FROM users u WHERE u.id = $1"))
        .bind(user_id.to_string())
        .fetch_optional(&c.read)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    user_row(&r)
}

pub(super) async fn user_credentials(c: &SqlCatalog, email: &str) -> StoreResult<(User, String)> {
    let r = sqlx::query(&format!(
        "SELECT {USER}, u.password_hash FROM users u WHERE u.email = $1"
    ))
    .bind(email.to_lowercase())
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    Ok((user_row(&r)?, text(&r, "password_hash")?))
}

pub(super) async fn set_user_role(c: &SqlCatalog, user_id: Id, role: Role) -> StoreResult<User> {
    let r = sqlx::query(&format!(
        "UPDATE users SET role = $2, updated_at = $3,
             token_epoch = token_epoch + CASE WHEN role = $2 THEN 0 ELSE 1 END
         WHERE id = $1 RETURNING {USER_COLS}"
    ))
    .bind(user_id.to_string())
    .bind(role.as_str())
    .bind(now_millis())
    .fetch_optional(&c.write)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    user_row(&r)
}

/// Stores a session (a new family); the user's expired sessions are swept in the same
/// transaction so the table does not grow with every login.
pub(super) async fn create_session(
    c: &SqlCatalog,
    user_id: Id,
    family: Id,
    token_hash: &str,
    expires_at: Millis,
) -> StoreResult<()> {
    let now = now_millis();
    let mut tx = c.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
        .bind(user_id.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, family_id, user_id, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(family.to_string())
    .bind(user_id.to_string())
    .bind(expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(constraint("session", "user"))?;
    tx.commit().await.map_err(db)
}

pub(super) async fn rotate_session(
    c: &SqlCatalog,
    family: Id,
    old_hash: &str,
    new_hash: &str,
    new_expires_at: Millis,
    now: Millis,
) -> StoreResult<Rotation> {
    let mut tx = c.begin().await?;
    // The update takes the row: of two concurrent rotations of one token, the second finds
    // the row holding the first one's new hash, not its own.
    let rotated = sqlx::query(
        "UPDATE sessions SET token_hash = $2, expires_at = $3, family_id = $5
         WHERE token_hash = $1 AND expires_at > $4 RETURNING user_id",
    )
    .bind(old_hash)
    .bind(new_hash)
    .bind(new_expires_at)
    .bind(now)
    .bind(family.to_string())
    .fetch_optional(&mut *tx)
    .await
    .map_err(constraint("session", "user"))?;
    if let Some(r) = rotated {
        let user_id = id(&r, "user_id")?;
        let u = sqlx::query(&format!("SELECT {USER} FROM users u WHERE u.id = $1"))
            .bind(user_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let user = user_row(&u)?;
        tx.commit().await.map_err(db)?;
        return Ok(Rotation::Rotated(user));
    }
    // Not a current token, but its family is live: a replay of a token rotated away (or a
    // forgery by someone who saw one: only the thief and the victim know the family's id).
    let revoked = sqlx::query(
        "DELETE FROM sessions WHERE family_id = $1 AND expires_at > $2 RETURNING user_id",
    )
    .bind(family.to_string())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(r) = revoked else {
        return Err(StoreError::NotFound);
    };
    let user_id = id(&r, "user_id")?;
    sqlx::query("UPDATE users SET token_epoch = token_epoch + 1 WHERE id = $1")
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Rotation::Reused { user_id })
}

/// Idempotent: logging out with an unknown or already used token succeeds.
pub(super) async fn delete_session(c: &SqlCatalog, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&c.write)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn create_api_key(
    c: &SqlCatalog,
    user_id: Id,
    name: &str,
    key_hash: &str,
) -> StoreResult<ApiKey> {
    let key = ApiKey {
        id: new_id(),
        user_id,
        name: name.to_owned(),
        created_at: now_millis(),
    };
    sqlx::query(
        "INSERT INTO api_keys (id, user_id, name, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key.id.to_string())
    .bind(user_id.to_string())
    .bind(name)
    .bind(key_hash)
    .bind(key.created_at)
    .execute(&c.write)
    .await
    .map_err(constraint("api key", "user"))?;
    Ok(key)
}

pub(super) async fn api_key_user(c: &SqlCatalog, key_hash: &str) -> StoreResult<User> {
    let r = sqlx::query(&format!(
        "SELECT {USER} FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1"
    ))
    .bind(key_hash)
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    user_row(&r)
}

pub(super) async fn list_api_keys(c: &SqlCatalog, user_id: Id) -> StoreResult<Vec<ApiKey>> {
    let rows = sqlx::query(
        "SELECT id, user_id, name, created_at FROM api_keys WHERE user_id = $1
         ORDER BY created_at, id",
    )
    .bind(user_id.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?;
    rows.iter().map(key_row).collect()
}

pub(super) async fn delete_api_key(c: &SqlCatalog, user_id: Id, key_id: Id) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM api_keys WHERE id = $1 AND user_id = $2")
        .bind(key_id.to_string())
        .bind(user_id.to_string())
        .execute(&c.write)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
