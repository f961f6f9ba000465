//! Reviewed values and the webhook outbox: written with the change that resolves an item
//! (inside its transaction), read by the track API and the delivery loop.

use sqlx::any::AnyRow;

use crate::annotation::*;
use crate::error::StoreResult;
use crate::model::{Id, Millis};

use super::super::errors::db;
use super::super::rows::{id, int, opt_int, opt_text, text};
use super::super::{Backend, SqlCatalog, Tx};
use super::rows::{json, to_json};

/// Writes a resolved item's reviews and webhook inside the resolving transaction.
pub(super) async fn write_in(
    tx: &mut Tx,
    item: &ItemRecord,
    ch: &ItemChange,
    now: Millis,
) -> StoreResult<()> {
    if ch.state == ItemState::Resolved {
        for review in &ch.reviews {
            write_review_in(tx, item, review, now).await?;
        }
    }
    if let Some(n) = &ch.notify {
        sqlx::query(
            "INSERT INTO ann_outbox (project_id, event, payload, attempts, next_at, created_at)
             VALUES ($1, $2, $3, 0, $4, $4)",
        )
        .bind(item.project_id.to_string())
        .bind(&n.event)
        .bind(to_json(&n.payload))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// The tag of a group's row when people reviewed it and gave no tag (never a tag name: they
/// are non-empty).
const NO_TAGS: &str = "";

async fn write_review_in(
    tx: &mut Tx,
    item: &ItemRecord,
    review: &Review,
    now: Millis,
) -> StoreResult<()> {
    let track = item.track_id.to_string();
    let project = item.project_id.to_string();
    let (field, value, num) = match review {
        Review::Bpm(bpm) => ("bpm", serde_json::json!(bpm), Some(bpm.to_string())),
        Review::Key(key) => ("key", serde_json::json!(key), None),
        Review::Tags { group, tags } => {
            sqlx::query("DELETE FROM track_reviewed_tags WHERE track_id = $1 AND grp = $2")
                .bind(&track)
                .bind(group)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            // People who found no tag of the group keep one row with the empty tag: filters
            // then know the group was reviewed (the tagger's tags of it no longer count),
            // while listings skip the row.
            let none = [NO_TAGS.to_string()];
            let rows = if tags.is_empty() {
                &none[..]
            } else {
                &tags[..]
            };
            for tag in rows {
                sqlx::query(
                    "INSERT INTO track_reviewed_tags
                         (track_id, grp, tag, project_id, item_id, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (track_id, grp, tag) DO NOTHING",
                )
                .bind(&track)
                .bind(group)
                .bind(tag)
                .bind(&project)
                .bind(item.id)
                .bind(now)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            }
            return Ok(());
        }
    };
    sqlx::query(
        "INSERT INTO track_reviewed (track_id, field, value, num, project_id, item_id, updated_at)
         VALUES ($1, $2, $3, CAST($4 AS DOUBLE PRECISION), $5, $6, $7)
         ON CONFLICT (track_id, field) DO UPDATE SET value = excluded.value,
             num = excluded.num, project_id = excluded.project_id,
             item_id = excluded.item_id, updated_at = excluded.updated_at",
    )
    .bind(&track)
    .bind(field)
    .bind(to_json(&value))
    // As text and cast: see `apply_change_in` on floats through the Any driver.
    .bind(num)
    .bind(&project)
    .bind(item.id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn track_reviews(c: &SqlCatalog, track: Id) -> StoreResult<TrackReviews> {
    let values = sqlx::query(
        "SELECT field, value, project_id, item_id, updated_at FROM track_reviewed
         WHERE track_id = $1 ORDER BY field",
    )
    .bind(track.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(ReviewedValue {
            field: text(r, "field")?,
            value: json(r, "value")?,
            project_id: id(r, "project_id")?,
            item_id: int(r, "item_id")?,
            updated_at: int(r, "updated_at")?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    let tags = sqlx::query(
        "SELECT grp, tag, project_id, item_id, updated_at FROM track_reviewed_tags
         WHERE track_id = $1 AND tag <> '' ORDER BY grp, tag",
    )
    .bind(track.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(ReviewedTag {
            group: text(r, "grp")?,
            tag: text(r, "tag")?,
            project_id: id(r, "project_id")?,
            item_id: int(r, "item_id")?,
            updated_at: int(r, "updated_at")?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(TrackReviews { values, tags })
}

const OUTBOX_COLUMNS: &str = "id, project_id, event, payload, attempts, next_at, delivered_at,
    failed_at, last_error, created_at";

fn outbox_row(r: &AnyRow) -> StoreResult<OutboxRecord> {
    Ok(OutboxRecord {
        id: int(r, "id")?,
        project_id: id(r, "project_id")?,
        event: text(r, "event")?,
        payload: json(r, "payload")?,
        attempts: int(r, "attempts")?,
        next_at: int(r, "next_at")?,
        delivered_at: opt_int(r, "delivered_at")?,
        failed_at: opt_int(r, "failed_at")?,
        last_error: opt_text(r, "last_error")?,
        created_at: int(r, "created_at")?,
    })
}

pub(super) async fn claim_deliveries(
    c: &SqlCatalog,
    now: Millis,
    until: Millis,
    limit: u32,
) -> StoreResult<Vec<OutboxRecord>> {
    // One statement: the due rows are pushed to `until` as they are read, so two replicas
    // running the delivery loop never send the same row at once (SKIP LOCKED on PostgreSQL;
    // SQLite has one writer).
    let skip = match c.backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut rows = sqlx::query(&format!(
        "UPDATE ann_outbox SET next_at = $2
         WHERE id IN (SELECT id FROM ann_outbox
                      WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $1
                      ORDER BY next_at, id LIMIT $3{skip})
         RETURNING {OUTBOX_COLUMNS}"
    ))
    .bind(now)
    .bind(until)
    .bind(i64::from(limit))
    .fetch_all(&c.write)
    .await
    .map_err(db)?
    .iter()
    .map(outbox_row)
    .collect::<StoreResult<Vec<_>>>()?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

pub(super) async fn record_delivery(
    c: &SqlCatalog,
    id: i64,
    outcome: &Delivery,
    now: Millis,
) -> StoreResult<()> {
    let (sql, next, error) = match outcome {
        Delivery::Delivered => (
            "UPDATE ann_outbox SET attempts = attempts + 1, delivered_at = $2,
                 last_error = NULL WHERE id = $1",
            now,
            None,
        ),
        Delivery::Retry { at, error } => (
            "UPDATE ann_outbox SET attempts = attempts + 1, next_at = $2, last_error = $3
             WHERE id = $1",
            *at,
            Some(error.as_str()),
        ),
        Delivery::Failed { error } => (
            "UPDATE ann_outbox SET attempts = attempts + 1, failed_at = $2, last_error = $3
             WHERE id = $1",
            now,
            Some(error.as_str()),
        ),
    };
    let mut q = sqlx::query(sql).bind(id).bind(next);
    if let Some(e) = error {
        q = q.bind(e);
    }
    q.execute(&c.write).await.map_err(db)?;
    Ok(())
}

pub(super) async fn deliveries(
    c: &SqlCatalog,
    project: Id,
    limit: u32,
) -> StoreResult<Vec<OutboxRecord>> {
    sqlx::query(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM ann_outbox WHERE project_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(project.to_string())
    .bind(i64::from(limit))
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(outbox_row)
    .collect()
}
