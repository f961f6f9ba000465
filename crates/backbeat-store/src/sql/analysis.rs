//! A track's descriptors and grouped tags, as the pipeline's `summary` job stores them, and the
//! track status that follows from them (`ready`, or `failed` when a job failed for good).

use sqlx::Row;

use crate::error::{StoreError, StoreResult};
use crate::jobs::{TrackAnalysis, TrackTag};
use crate::model::{now_millis, Id};

use super::errors::{db, reference};
use super::rows::{id, int, opt_text, text};
use super::SqlCatalog;

/// Stores (replaces) a track's descriptors and tags and marks the track `ready`, unless one of
/// its jobs failed for good: one transaction. With `a.source` set, `Conflict` (and nothing
/// stored) when the track's audio is no longer that key.
pub(super) async fn set_track_analysis(c: &SqlCatalog, a: &TrackAnalysis) -> StoreResult<()> {
    let mut tx = c.begin().await?;
    if let Some(source) = &a.source {
        // Checked in the transaction that writes, on a locked row (PostgreSQL) or under the
        // one writer (SQLite): a replacement of the audio commits either before (and this
        // refuses) or after (and reruns every job on the new audio).
        let current = sqlx::query(&format!(
            "SELECT blob_key FROM tracks WHERE id = $1{}",
            c.for_update()
        ))
        .bind(a.track_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
        if text(&current, "blob_key")? != *source {
            return Err(StoreError::Conflict(
                "the analysis was computed from audio the track no longer has".into(),
            ));
        }
    }
    let json = serde_json::to_string(&a.analysis)
        .map_err(|e| StoreError::database("analysis JSON", sqlx::Error::Encode(Box::new(e))))?;
    sqlx::query(
        "INSERT INTO track_analysis (track_id, bpm, musical_key, loudness_lufs, analysis,
                                     updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (track_id) DO UPDATE SET bpm = excluded.bpm,
             musical_key = excluded.musical_key, loudness_lufs = excluded.loudness_lufs,
             analysis = excluded.analysis, updated_at = excluded.updated_at",
    )
    .bind(a.track_id.to_string())
    .bind(a.bpm)
    .bind(a.key.as_deref())
    .bind(a.loudness_lufs)
    .bind(json)
    .bind(a.updated_at)
    .execute(&mut *tx)
    .await
    .map_err(reference("track"))?;
    sqlx::query("DELETE FROM track_tags WHERE track_id = $1")
        .bind(a.track_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    for t in &a.tags {
        sqlx::query(
            "INSERT INTO track_tags (track_id, grp, tag, confidence) VALUES ($1, $2, $3, $4)
             ON CONFLICT (track_id, grp, tag) DO UPDATE SET confidence = excluded.confidence",
        )
        .bind(a.track_id.to_string())
        .bind(t.group.as_str())
        .bind(t.tag.as_str())
        .bind(t.confidence)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    // Ready, unless another job of the track failed for good (it keeps `failed`).
    sqlx::query(
        "UPDATE tracks SET status = 'ready', updated_at = $2 WHERE id = $1 AND NOT EXISTS
             (SELECT 1 FROM track_jobs WHERE track_id = $1 AND state IN ('failed', 'dead'))",
    )
    .bind(a.track_id.to_string())
    .bind(now_millis())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

/// A track's descriptors and tags; `None` before `summary` ran.
pub(super) async fn track_analysis(
    c: &SqlCatalog,
    track: Id,
) -> StoreResult<Option<TrackAnalysis>> {
    let Some(r) = sqlx::query(
        "SELECT track_id, bpm, musical_key, loudness_lufs, analysis, updated_at
         FROM track_analysis WHERE track_id = $1",
    )
    .bind(track.to_string())
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let json = text(&r, "analysis")?;
    let tags = sqlx::query(
        "SELECT grp, tag, confidence FROM track_tags WHERE track_id = $1
         ORDER BY grp, confidence DESC, tag",
    )
    .bind(track.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(TrackTag {
            group: text(r, "grp")?,
            tag: text(r, "tag")?,
            confidence: r.try_get::<f64, _>("confidence").map_err(db)?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(TrackAnalysis {
        track_id: id(&r, "track_id")?,
        bpm: r.try_get::<Option<f64>, _>("bpm").map_err(db)?,
        key: opt_text(&r, "musical_key")?,
        loudness_lufs: r.try_get::<Option<f64>, _>("loudness_lufs").map_err(db)?,
        analysis: serde_json::from_str(&json)
            .map_err(|e| StoreError::database("analysis JSON", sqlx::Error::Decode(Box::new(e))))?,
        tags,
        updated_at: int(&r, "updated_at")?,
        source: None,
    }))
}

/// Marks a track `failed` (a job failed for good).
pub(super) async fn mark_track_failed(c: &SqlCatalog, track: Id) -> StoreResult<()> {
    sqlx::query("UPDATE tracks SET status = 'failed', updated_at = $2 WHERE id = $1")
        .bind(track.to_string())
        .bind(now_millis())
        .execute(&c.write)
        .await
        .map_err(db)?;
    Ok(())
}
