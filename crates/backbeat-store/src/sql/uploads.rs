//! Upload slots and the garbage list: the two halves of "no orphans". An upload slot is the
//! promise that a blob may appear under its key; claiming it hands the blob to a track,
//! expiring it hands the blob to the garbage collector. Garbage entries are written in the same
//! transaction that makes a blob unreachable, and forgotten only after the blob is deleted.

use sqlx::any::AnyRow;

use crate::error::{StoreError, StoreResult};
use crate::model::{now_millis, Garbage, LockOutcome, Millis, SlotState, Upload};

use super::errors::{constraint, db};
use super::rows::{flag, id, int, opt_int, text};
use super::{SqlCatalog, Tx};

/// Rows per multi-row statement: far below both backends' bind-parameter limits.
const CHUNK: usize = 300;

fn upload_row(r: &AnyRow) -> StoreResult<Upload> {
    Ok(Upload {
        key: text(r, "key")?,
        user_id: id(r, "user_id")?,
        max_bytes: int(r, "max_bytes")?,
        expires_at: int(r, "expires_at")?,
        created_at: int(r, "created_at")?,
    })
}

pub(super) async fn create_upload(c: &SqlCatalog, u: Upload) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO uploads (key, user_id, max_bytes, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&u.key)
    .bind(u.user_id.to_string())
    .bind(u.max_bytes)
    .bind(u.expires_at)
    .bind(u.created_at)
    .execute(&c.write)
    .await
    .map_err(constraint("upload", "user"))?;
    Ok(())
}

pub(super) async fn upload(c: &SqlCatalog, key: &str) -> StoreResult<Upload> {
    let r = sqlx::query(
        "SELECT key, user_id, max_bytes, expires_at, created_at FROM uploads
         WHERE key = $1 AND claimed_at IS NULL",
    )
    .bind(key)
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    upload_row(&r)
}

/// Where the slot stands at `now`: one read of its row.
pub(super) async fn upload_state(c: &SqlCatalog, key: &str, now: Millis) -> StoreResult<SlotState> {
    let r = sqlx::query("SELECT claimed_at, expires_at, locked_until FROM uploads WHERE key = $1")
        .bind(key)
        .fetch_optional(&c.read)
        .await
        .map_err(db)?;
    let Some(r) = r else {
        return Ok(SlotState::Gone);
    };
    if opt_int(&r, "claimed_at")?.is_some() {
        return Ok(SlotState::Claimed);
    }
    if int(&r, "expires_at")? <= now {
        return Ok(SlotState::Gone);
    }
    Ok(match opt_int(&r, "locked_until")? {
        Some(until) if until > now => SlotState::Busy { until },
        _ => SlotState::Open,
    })
}

/// Takes the slot's lock with one conditional UPDATE (the check and the write at once, so two
/// lockers cannot both succeed); when it changes nothing, a read says why.
pub(super) async fn lock_upload(
    c: &SqlCatalog,
    key: &str,
    token: &str,
    until: Millis,
    now: Millis,
) -> StoreResult<LockOutcome> {
    let done = sqlx::query(
        "UPDATE uploads SET lock_token = $2, locked_until = $3
         WHERE key = $1 AND claimed_at IS NULL AND expires_at > $4
             AND (locked_until IS NULL OR locked_until <= $4)",
    )
    .bind(key)
    .bind(token)
    .bind(until)
    .bind(now)
    .execute(&c.write)
    .await
    .map_err(db)?;
    if done.rows_affected() == 1 {
        return Ok(LockOutcome::Acquired);
    }
    Ok(match upload_state(c, key, now).await? {
        SlotState::Busy { until } => LockOutcome::Busy { until },
        SlotState::Claimed => LockOutcome::Claimed,
        SlotState::Gone => LockOutcome::Gone,
        // Released between the two statements: as busy as it was a moment ago, so try again.
        SlotState::Open => LockOutcome::Busy { until: now },
    })
}

/// Releases the lock if `token` holds it.
pub(super) async fn unlock_upload(c: &SqlCatalog, key: &str, token: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET lock_token = NULL, locked_until = NULL
         WHERE key = $1 AND lock_token = $2",
    )
    .bind(key)
    .bind(token)
    .execute(&c.write)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// Extends the lease of the lock `token` holds (claimed slots hold none).
pub(super) async fn extend_upload_lock(
    c: &SqlCatalog,
    key: &str,
    token: &str,
    until: Millis,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET locked_until = $3
         WHERE key = $1 AND lock_token = $2 AND claimed_at IS NULL",
    )
    .bind(key)
    .bind(token)
    .bind(until)
    .execute(&c.write)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// The upload a track claims, and the lock its bytes were checked under.
pub(super) struct Claim<'a> {
    pub key: &'a str,
    pub lock_token: &'a str,
    pub uploader: &'a str,
}

/// Claims an upload slot for a track inside `tx`: it must exist, belong to the uploader, be
/// unclaimed and unexpired, and still be locked with the claim's token — whether or not the
/// lease has ended: any other lock taken since (a PUT's) replaced or cleared the token. The
/// conditional UPDATE is the check and the claim at once, so two concurrent claims cannot both
/// succeed; it releases the lock, which a claimed slot no longer needs.
pub(super) async fn claim(tx: &mut Tx, upload: &Claim<'_>, now: Millis) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE uploads SET claimed_at = $3, lock_token = NULL, locked_until = NULL
         WHERE key = $1 AND user_id = $2 AND claimed_at IS NULL AND expires_at > $3
             AND lock_token = $4",
    )
    .bind(upload.key)
    .bind(upload.uploader)
    .bind(now)
    .bind(upload.lock_token)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    if done.rows_affected() != 1 {
        return Err(StoreError::InvalidReference("upload".into()));
    }
    Ok(())
}

/// Moves expired, unclaimed slots to the garbage list. Deleting with `RETURNING` first (rather
/// than selecting) means a slot claimed concurrently is skipped, never collected. Claimed slots
/// past their expiry are forgotten: their blobs belong to tracks now.
pub(super) async fn expire_uploads(c: &SqlCatalog, now: Millis) -> StoreResult<u64> {
    let mut tx = c.begin().await?;
    let rows = sqlx::query(
        "DELETE FROM uploads WHERE claimed_at IS NULL AND expires_at < $1 RETURNING key",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let keys = rows
        .iter()
        .map(|r| text(r, "key").map(|key| Garbage { key, prefix: false }))
        .collect::<StoreResult<Vec<_>>>()?;
    push_garbage(&mut tx, &keys, now_millis()).await?;
    sqlx::query("DELETE FROM uploads WHERE claimed_at IS NOT NULL AND expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(keys.len() as u64)
}

/// Adds blobs to the garbage list to be collected no sooner than `not_before` (an entry
/// already listed keeps its time).
pub(super) async fn garbage_later(
    c: &SqlCatalog,
    keys: &[String],
    not_before: Millis,
) -> StoreResult<()> {
    let now = now_millis();
    let mut tx = c.begin().await?;
    for chunk in keys.chunks(CHUNK) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, $3, $1, $2)", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO garbage (key, prefix, created_at, not_before) VALUES {values}
             ON CONFLICT (key) DO NOTHING"
        );
        let mut q = sqlx::query(&sql)
            .persistent(false)
            .bind(now)
            .bind(not_before)
            .bind(false);
        for k in chunk {
            q = q.bind(k.as_str());
        }
        q.execute(&mut *tx).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)
}

/// Adds entries to the garbage list inside `tx` (an entry already listed stays as it is).
pub(super) async fn push_garbage(tx: &mut Tx, entries: &[Garbage], now: Millis) -> StoreResult<()> {
    for chunk in entries.chunks(CHUNK) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO garbage (key, prefix, created_at) VALUES {values}
             ON CONFLICT (key) DO NOTHING"
        );
        // Statements of every chunk length would crowd the prepared-statement cache.
        let mut q = sqlx::query(&sql).persistent(false);
        for g in chunk {
            q = q.bind(g.key.as_str()).bind(g.prefix).bind(now);
        }
        q.execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

pub(super) async fn garbage(c: &SqlCatalog, limit: u32, now: Millis) -> StoreResult<Vec<Garbage>> {
    let rows = sqlx::query(
        "SELECT key, prefix FROM garbage WHERE not_before <= $2
         ORDER BY created_at, key LIMIT $1",
    )
    .bind(i64::from(limit))
    .bind(now)
    .fetch_all(&c.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Garbage {
                key: text(r, "key")?,
                prefix: flag(r, "prefix")?,
            })
        })
        .collect()
}

pub(super) async fn garbage_done(c: &SqlCatalog, keys: &[String]) -> StoreResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut tx = c.begin().await?;
    for chunk in keys.chunks(CHUNK) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("DELETE FROM garbage WHERE key IN ({list})");
        let mut q = sqlx::query(&sql).persistent(false);
        for k in chunk {
            q = q.bind(k.as_str());
        }
        q.execute(&mut *tx).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
