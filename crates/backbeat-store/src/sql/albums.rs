//! Albums: releases by one artist. Deleting one takes its tracks (and their blobs, as garbage)
//! with it.

use sqlx::any::AnyRow;

use crate::error::{StoreError, StoreResult};
use crate::model::{new_id, now_millis, Album, AlbumKind, AlbumPatch, Id, ListQuery, Page};

use super::errors::{db, reference};
use super::list::Listing;
use super::rows::{enumerated, id, int, name_key, opt_int, text};
use super::tracks::{drop_tracks, TrackSet};
use super::SqlCatalog;

const COLS: &str = "al.id, al.artist_id, al.title, al.kind, al.release_year, al.created_at, \
    al.updated_at";
const RETURNING: &str =
    "RETURNING id, artist_id, title, kind, release_year, created_at, updated_at";

fn album_row(r: &AnyRow) -> StoreResult<Album> {
    let year = opt_int(r, "release_year")?
        .map(|y| {
            i32::try_from(y).map_err(|e| {
                StoreError::database(
                    format!("release year {y} out of range"),
                    sqlx::Error::Decode(Box::new(e)),
                )
            })
        })
        .transpose()?;
    Ok(Album {
        id: id(r, "id")?,
        artist_id: id(r, "artist_id")?,
        title: text(r, "title")?,
        kind: enumerated(r, "kind", AlbumKind::parse)?,
        release_year: year,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

pub(super) async fn create_album(
    c: &SqlCatalog,
    artist_id: Id,
    title: &str,
    kind: AlbumKind,
    release_year: Option<i32>,
) -> StoreResult<Album> {
    let now = now_millis();
    let r = sqlx::query(&format!(
        "INSERT INTO albums (id, artist_id, title, name_key, kind, release_year, created_at,
             updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) {RETURNING}"
    ))
    .bind(new_id().to_string())
    .bind(artist_id.to_string())
    .bind(title)
    .bind(name_key(title))
    .bind(kind.as_str())
    .bind(release_year)
    .bind(now)
    .fetch_one(&c.write)
    .await
    .map_err(reference("artist"))?;
    album_row(&r)
}

pub(super) async fn album(c: &SqlCatalog, album_id: Id) -> StoreResult<Album> {
    let r = sqlx::query(&format!("SELECT {COLS} FROM albums al WHERE al.id = $1"))
        .bind(album_id.to_string())
        .fetch_optional(&c.read)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    album_row(&r)
}

pub(super) async fn list_albums(
    c: &SqlCatalog,
    artist_id: Option<Id>,
    q: ListQuery,
) -> StoreResult<Page<Album>> {
    Listing {
        select: &format!("SELECT {COLS}"),
        from: "FROM albums al",
        alias: "al",
        filter: artist_id.map(|a| ("WHERE al.artist_id = $1", a.to_string())),
    }
    .fetch(&c.read, &q, album_row)
    .await
}

/// One conditional UPDATE; the release year needs a flag because NULL means "clear" there.
pub(super) async fn update_album(
    c: &SqlCatalog,
    album_id: Id,
    p: AlbumPatch,
) -> StoreResult<Album> {
    let r = sqlx::query(&format!(
        "UPDATE albums SET title = COALESCE($2, title), name_key = COALESCE($3, name_key),
             kind = COALESCE($4, kind),
             release_year = CASE WHEN $5 THEN $6 ELSE release_year END,
             updated_at = $7
         WHERE id = $1 {RETURNING}"
    ))
    .bind(album_id.to_string())
    .bind(p.title.as_deref())
    .bind(p.title.as_deref().map(name_key))
    .bind(p.kind.map(AlbumKind::as_str))
    .bind(p.release_year.is_some())
    .bind(p.release_year.flatten())
    .bind(now_millis())
    .fetch_optional(&c.write)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    album_row(&r)
}

/// Locks the album first (on PostgreSQL) so no track is added to it while its tracks' blobs
/// are collected.
pub(super) async fn delete_album(c: &SqlCatalog, album_id: Id) -> StoreResult<()> {
    let key = album_id.to_string();
    let mut tx = c.begin().await?;
    sqlx::query(&format!(
        "SELECT id FROM albums WHERE id = $1{}",
        c.for_update()
    ))
    .bind(&key)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    drop_tracks(&mut tx, TrackSet::OfAlbum(&key)).await?;
    sqlx::query("DELETE FROM albums WHERE id = $1")
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}
