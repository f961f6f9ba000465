//! Account usage against quotas ([`crate::catalog::QuotaStore`]): one row per account,
//! charged by a conditional UPDATE. The tracks' side (a deleted track gives its share back,
//! replaced audio moves it) lives in `tracks.rs`, in the transactions that delete or replace.

use sqlx::any::AnyRow;

use crate::catalog::{Charge, ChargeOutcome, Quota, QuotaLimits, Usage};
use crate::error::StoreResult;
use crate::model::Id;

use super::errors::{db, reference};
use super::rows::int;
use super::{SqlCatalog, Tx};

/// Processing time on `$day`: an older day's counts as nothing.
const PROCESSED_TODAY: &str = "(CASE WHEN day = $5 THEN processed_ms ELSE 0 END)";

fn usage_row(r: &AnyRow) -> StoreResult<Usage> {
    Ok(Usage {
        tracks: int(r, "tracks")?,
        stored_bytes: int(r, "stored_bytes")?,
        processed_ms: int(r, "processed_ms")?,
    })
}

/// Makes sure the account has a usage row (`InvalidReference("user")` if there is no such
/// account).
pub(super) async fn ensure_row(tx: &mut Tx, user: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO account_usage (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING")
        .bind(user)
        .execute(&mut **tx)
        .await
        .map_err(reference("user"))?;
    Ok(())
}

pub(super) async fn charge(
    c: &SqlCatalog,
    user: Id,
    charge: Charge,
    limits: QuotaLimits,
    day: i64,
) -> StoreResult<ChargeOutcome> {
    let user = user.to_string();
    let max = |l: Option<i64>| l.unwrap_or(i64::MAX);
    let mut tx = c.begin().await?;
    ensure_row(&mut tx, &user).await?;
    // A part of the charge that adds nothing is not checked: replacing audio must not be
    // refused because the account is at its track quota.
    let charged = sqlx::query(&format!(
        "UPDATE account_usage SET tracks = tracks + $2, stored_bytes = stored_bytes + $3,
             processed_ms = {PROCESSED_TODAY} + $4, day = $5
         WHERE user_id = $1
           AND ($2 <= 0 OR tracks + $2 <= $6)
           AND ($3 <= 0 OR stored_bytes + $3 <= $7)
           AND ($4 <= 0 OR {PROCESSED_TODAY} + $4 <= $8)
         RETURNING tracks, stored_bytes, processed_ms"
    ))
    .bind(&user)
    .bind(charge.tracks)
    .bind(charge.bytes)
    .bind(charge.processed_ms)
    .bind(day)
    .bind(max(limits.max_tracks))
    .bind(max(limits.max_stored_bytes))
    .bind(max(limits.max_processed_ms_per_day))
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let outcome = match charged {
        Some(r) => ChargeOutcome::Charged(usage_row(&r)?),
        None => {
            let now = read(&mut tx, &user, day).await?;
            let over = |used: i64, add: i64, limit: Option<i64>| {
                add > 0 && used.saturating_add(add) > max(limit)
            };
            let quota = if over(now.tracks, charge.tracks, limits.max_tracks) {
                Quota::Tracks
            } else if over(now.stored_bytes, charge.bytes, limits.max_stored_bytes) {
                Quota::StoredBytes
            } else {
                Quota::ProcessingPerDay
            };
            ChargeOutcome::Refused(quota, now)
        }
    };
    tx.commit().await.map_err(db)?;
    Ok(outcome)
}

pub(super) async fn refund(c: &SqlCatalog, user: Id, charge: Charge, day: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE account_usage SET tracks = tracks - $2, stored_bytes = stored_bytes - $3,
             processed_ms = CASE WHEN day = $5 AND processed_ms >= $4 THEN processed_ms - $4
                                 WHEN day = $5 THEN 0 ELSE processed_ms END
         WHERE user_id = $1",
    )
    .bind(user.to_string())
    .bind(charge.tracks)
    .bind(charge.bytes)
    .bind(charge.processed_ms)
    .bind(day)
    .execute(&c.write)
    .await
    .map_err(db)?;
    Ok(())
}

/// The usage row with processing time on `$2`.
const SELECT_USAGE: &str = "SELECT tracks, stored_bytes,
        CASE WHEN day = $2 THEN processed_ms ELSE 0 END AS processed_ms
    FROM account_usage WHERE user_id = $1";

pub(super) async fn usage(c: &SqlCatalog, user: Id, day: i64) -> StoreResult<Usage> {
    let r = sqlx::query(SELECT_USAGE)
        .bind(user.to_string())
        .bind(day)
        .fetch_optional(&c.read)
        .await
        .map_err(db)?;
    r.as_ref().map(usage_row).unwrap_or(Ok(Usage::default()))
}

async fn read(tx: &mut Tx, user: &str, day: i64) -> StoreResult<Usage> {
    let r = sqlx::query(SELECT_USAGE)
        .bind(user)
        .bind(day)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    r.as_ref().map(usage_row).unwrap_or(Ok(Usage::default()))
}

/// Gives back what a track held (its count and `bytes`) to the account it was charged to.
pub(super) async fn release_track(tx: &mut Tx, user: &str, bytes: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE account_usage SET tracks = tracks - 1, stored_bytes = stored_bytes - $2
         WHERE user_id = $1",
    )
    .bind(user)
    .bind(bytes)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
