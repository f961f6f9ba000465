//! Tracks: metadata plus the key of the audio blob. Every path that makes a blob unreachable
//! (delete, replace, the cascades from albums and artists through [`drop_tracks`]) lists it as
//! garbage in the same transaction.

use sqlx::any::AnyRow;

use crate::catalog::derived_prefix;
use crate::error::{StoreError, StoreResult};
use crate::model::{
    new_id, now_millis, AudioFacts, Garbage, Id, ListQuery, NewTrack, Page, Track, TrackPatch,
    TrackStatus,
};

use super::errors::{constraint, db, reference, unique};
use super::list::Listing;
use super::quota;
use super::rows::{enumerated, id, int, name_key, opt_text, parse_id, text};
use super::uploads::{claim, push_garbage, Claim};
use super::{SqlCatalog, Tx};

const COLS: &str = "t.id, t.album_id, t.title, t.status, t.blob_key, t.container, t.codec, \
    t.duration_ms, t.sample_rate, t.channels, t.bytes, t.created_at, t.updated_at";
/// The same columns unqualified, for `RETURNING`.
const RETURNING: &str = "RETURNING id, album_id, title, status, blob_key, container, codec, \
    duration_ms, sample_rate, channels, bytes, created_at, updated_at";

fn track_row(r: &AnyRow) -> StoreResult<Track> {
    Ok(Track {
        id: id(r, "id")?,
        album_id: id(r, "album_id")?,
        title: text(r, "title")?,
        status: enumerated(r, "status", TrackStatus::parse)?,
        blob_key: text(r, "blob_key")?,
        audio: AudioFacts {
            container: text(r, "container")?,
            codec: text(r, "codec")?,
            duration_ms: int(r, "duration_ms")?,
            sample_rate: int(r, "sample_rate")?,
            channels: int(r, "channels")?,
            bytes: int(r, "bytes")?,
        },
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

pub(super) async fn create_track(c: &SqlCatalog, new: NewTrack) -> StoreResult<Track> {
    let now = now_millis();
    let album = new.album_id.to_string();
    let mut tx = c.begin().await?;
    sqlx::query("SELECT id FROM albums WHERE id = $1")
        .bind(&album)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::InvalidReference("album".into()))?;
    let upload = Claim {
        key: &new.upload_key,
        lock_token: &new.lock_token,
        uploader: &new.uploader.to_string(),
    };
    claim(&mut tx, &upload, now).await?;
    let a = &new.audio;
    let r = sqlx::query(&format!(
        "INSERT INTO tracks (id, album_id, title, name_key, status, blob_key, container, codec,
             duration_ms, sample_rate, channels, bytes, created_at, updated_at, uploader_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) {RETURNING}"
    ))
    .bind(new_id().to_string())
    .bind(&album)
    .bind(&new.title)
    .bind(name_key(&new.title))
    .bind(new.status.as_str())
    .bind(&new.upload_key)
    .bind(&a.container)
    .bind(&a.codec)
    .bind(a.duration_ms)
    .bind(a.sample_rate)
    .bind(a.channels)
    .bind(a.bytes)
    .bind(now)
    .bind(new.uploader.to_string())
    .fetch_one(&mut *tx)
    .await
    .map_err(constraint("blob key", "album"))?;
    let track = track_row(&r)?;
    tx.commit().await.map_err(db)?;
    Ok(track)
}

pub(super) async fn track(c: &SqlCatalog, track_id: Id) -> StoreResult<Track> {
    let r = sqlx::query(&format!("SELECT {COLS} FROM tracks t WHERE t.id = $1"))
        .bind(track_id.to_string())
        .fetch_optional(&c.read)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    track_row(&r)
}

pub(super) async fn list_tracks(
    c: &SqlCatalog,
    album_id: Option<Id>,
    q: ListQuery,
) -> StoreResult<Page<Track>> {
    Listing {
        select: &format!("SELECT {COLS}"),
        from: "FROM tracks t",
        alias: "t",
        filter: album_id.map(|a| ("WHERE t.album_id = $1", a.to_string())),
    }
    .fetch(&c.read, &q, track_row)
    .await
}

/// One conditional UPDATE: absent fields keep their values (`COALESCE` with a NULL parameter).
pub(super) async fn update_track(
    c: &SqlCatalog,
    track_id: Id,
    p: TrackPatch,
) -> StoreResult<Track> {
    let r = sqlx::query(&format!(
        "UPDATE tracks SET album_id = COALESCE($2, album_id), title = COALESCE($3, title),
             name_key = COALESCE($4, name_key), status = COALESCE($5, status), updated_at = $6
         WHERE id = $1 {RETURNING}"
    ))
    .bind(track_id.to_string())
    .bind(p.album_id.map(|a| a.to_string()))
    .bind(p.title.as_deref())
    .bind(p.title.as_deref().map(name_key))
    .bind(p.status.map(TrackStatus::as_str))
    .bind(now_millis())
    .fetch_optional(&c.write)
    .await
    .map_err(reference("album"))?
    .ok_or(StoreError::NotFound)?;
    track_row(&r)
}

pub(super) async fn replace_track_audio(
    c: &SqlCatalog,
    track_id: Id,
    upload_key: &str,
    lock_token: &str,
    uploader: Id,
    a: AudioFacts,
) -> StoreResult<Track> {
    let now = now_millis();
    let key = track_id.to_string();
    let mut tx = c.begin().await?;
    let old = sqlx::query(&format!(
        "SELECT blob_key, uploader_id, bytes FROM tracks WHERE id = $1{}",
        c.for_update()
    ))
    .bind(&key)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let old_key = text(&old, "blob_key")?;
    let uploader = uploader.to_string();
    let upload = Claim {
        key: upload_key,
        lock_token,
        uploader: &uploader,
    };
    claim(&mut tx, &upload, now).await?;
    move_charge(&mut tx, &old, &uploader).await?;
    let r = sqlx::query(&format!(
        "UPDATE tracks SET blob_key = $2, container = $3, codec = $4, duration_ms = $5,
             sample_rate = $6, channels = $7, bytes = $8, status = $9, updated_at = $10,
             uploader_id = $11
         WHERE id = $1 {RETURNING}"
    ))
    .bind(&key)
    .bind(upload_key)
    .bind(&a.container)
    .bind(&a.codec)
    .bind(a.duration_ms)
    .bind(a.sample_rate)
    .bind(a.channels)
    .bind(a.bytes)
    .bind(TrackStatus::Processing.as_str())
    .bind(now)
    .bind(&uploader)
    .fetch_one(&mut *tx)
    .await
    .map_err(unique("blob key"))?;
    let track = track_row(&r)?;
    let gone = Garbage {
        key: old_key,
        prefix: false,
    };
    push_garbage(&mut tx, &[gone], now).await?;
    tx.commit().await.map_err(db)?;
    Ok(track)
}

/// Replacing audio: the old audio's bytes are given back to the account they were charged to,
/// and the track is charged to the new audio's uploader (whose bytes the caller charged, with
/// the quota check, before the write). A track moving to another account takes its count
/// along unchecked: a co-owner replacing audio is not refused for the track count.
async fn move_charge(tx: &mut Tx, old: &AnyRow, uploader: &str) -> StoreResult<()> {
    let old_uploader = opt_text(old, "uploader_id")?;
    let old_bytes = int(old, "bytes")?;
    match old_uploader.as_deref() {
        Some(u) if u == uploader => {
            sqlx::query(
                "UPDATE account_usage SET stored_bytes = stored_bytes - $2 WHERE user_id = $1",
            )
            .bind(u)
            .bind(old_bytes)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        other => {
            if let Some(u) = other {
                quota::release_track(tx, u, old_bytes).await?;
            }
            quota::ensure_row(tx, uploader).await?;
            sqlx::query("UPDATE account_usage SET tracks = tracks + 1 WHERE user_id = $1")
                .bind(uploader)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
        }
    }
    Ok(())
}

pub(super) async fn delete_track(c: &SqlCatalog, track_id: Id) -> StoreResult<()> {
    let key = track_id.to_string();
    let mut tx = c.begin().await?;
    if drop_tracks(&mut tx, TrackSet::One(&key)).await? == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await.map_err(db)
}

/// Which tracks [`drop_tracks`] deletes (the id goes in as `$1`).
pub(super) enum TrackSet<'a> {
    One(&'a str),
    OfAlbum(&'a str),
    OfArtist(&'a str),
}

/// Deletes a set of tracks inside `tx`: playlists that held them get a new `updated_at`, the
/// items go by cascade, and each track's blob and derived-artifact prefix go to the garbage
/// list. `DELETE ... RETURNING` names exactly the rows deleted (a track moved to another album
/// meanwhile is not among them). Returns how many tracks were deleted.
pub(super) async fn drop_tracks(tx: &mut Tx, set: TrackSet<'_>) -> StoreResult<usize> {
    let now = now_millis();
    let (cond, key) = match set {
        TrackSet::One(k) => ("id = $1", k),
        TrackSet::OfAlbum(k) => ("album_id = $1", k),
        TrackSet::OfArtist(k) => (
            "album_id IN (SELECT id FROM albums WHERE artist_id = $1)",
            k,
        ),
    };
    sqlx::query(&format!(
        "UPDATE playlists SET updated_at = $2 WHERE id IN (SELECT playlist_id FROM playlist_items
             WHERE track_id IN (SELECT id FROM tracks WHERE {cond}))"
    ))
    .bind(key)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    let rows = sqlx::query(&format!(
        "DELETE FROM tracks WHERE {cond} RETURNING id, blob_key, uploader_id, bytes"
    ))
    .bind(key)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let mut garbage = Vec::with_capacity(rows.len() * 2);
    for r in &rows {
        garbage.push(Garbage {
            key: text(r, "blob_key")?,
            prefix: false,
        });
        garbage.push(Garbage {
            key: derived_prefix(parse_id(&text(r, "id")?)?),
            prefix: true,
        });
        if let Some(uploader) = opt_text(r, "uploader_id")? {
            quota::release_track(tx, &uploader, int(r, "bytes")?).await?;
        }
    }
    push_garbage(tx, &garbage, now).await?;
    Ok(rows.len())
}
