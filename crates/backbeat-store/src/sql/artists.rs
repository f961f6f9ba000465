//! Artists and their owners. An artist always has at least one owner; owner changes lock the
//! artist row so two concurrent removals cannot leave it with none.

use sqlx::any::AnyRow;

use crate::error::{StoreError, StoreResult};
use crate::model::{new_id, now_millis, Artist, Id, ListQuery, Page};

use super::errors::{db, reference};
use super::list::Listing;
use super::rows::{id, id_list, int, name_key, text};
use super::tracks::{drop_tracks, TrackSet};
use super::{SqlCatalog, Tx};

/// An artist with its owners aggregated into one column (one query, no N+1).
const ARTIST: &str = "SELECT a.id, a.name, a.created_at, a.updated_at,
    (SELECT string_agg(o.user_id, ',') FROM artist_owners o WHERE o.artist_id = a.id) AS owners";

/// Restricts a listing to the artists one user (`$1`) owns.
const OWNED_BY: &str =
    "WHERE EXISTS (SELECT 1 FROM artist_owners f WHERE f.artist_id = a.id AND f.user_id = $1)";

fn artist_row(r: &AnyRow) -> StoreResult<Artist> {
    let mut owners = id_list(r, "owners")?;
    owners.sort();
    Ok(Artist {
        id: id(r, "id")?,
        name: text(r, "name")?,
        owners,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

pub(super) async fn create_artist(c: &SqlCatalog, name: &str, owner: Id) -> StoreResult<Artist> {
    let now = now_millis();
    let artist = Artist {
        id: new_id(),
        name: name.to_owned(),
        owners: vec![owner],
        created_at: now,
        updated_at: now,
    };
    let mut tx = c.begin().await?;
    sqlx::query(
        "INSERT INTO artists (id, name, name_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(artist.id.to_string())
    .bind(name)
    .bind(name_key(name))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("INSERT INTO artist_owners (artist_id, user_id, created_at) VALUES ($1, $2, $3)")
        .bind(artist.id.to_string())
        .bind(owner.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(reference("user"))?;
    tx.commit().await.map_err(db)?;
    Ok(artist)
}

pub(super) async fn artist(c: &SqlCatalog, artist_id: Id) -> StoreResult<Artist> {
    let r = sqlx::query(&format!("{ARTIST} FROM artists a WHERE a.id = $1"))
        .bind(artist_id.to_string())
        .fetch_optional(&c.read)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    artist_row(&r)
}

async fn artist_in(tx: &mut Tx, artist_id: &str) -> StoreResult<Artist> {
    let r = sqlx::query(&format!("{ARTIST} FROM artists a WHERE a.id = $1"))
        .bind(artist_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    artist_row(&r)
}

pub(super) async fn list_artists(
    c: &SqlCatalog,
    owned_by: Option<Id>,
    q: ListQuery,
) -> StoreResult<Page<Artist>> {
    Listing {
        select: ARTIST,
        from: "FROM artists a",
        alias: "a",
        filter: owned_by.map(|u| (OWNED_BY, u.to_string())),
    }
    .fetch(&c.read, &q, artist_row)
    .await
}

pub(super) async fn rename_artist(
    c: &SqlCatalog,
    artist_id: Id,
    name: &str,
) -> StoreResult<Artist> {
    let key = artist_id.to_string();
    let mut tx = c.begin().await?;
    let done =
        sqlx::query("UPDATE artists SET name = $2, name_key = $3, updated_at = $4 WHERE id = $1")
            .bind(&key)
            .bind(name)
            .bind(name_key(name))
            .bind(now_millis())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let artist = artist_in(&mut tx, &key).await?;
    tx.commit().await.map_err(db)?;
    Ok(artist)
}

/// Locks the artist row for the rest of the transaction; `NotFound` if there is none.
async fn lock(c: &SqlCatalog, tx: &mut Tx, artist_id: &str) -> StoreResult<()> {
    sqlx::query(&format!(
        "SELECT id FROM artists WHERE id = $1{}",
        c.for_update()
    ))
    .bind(artist_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    Ok(())
}

async fn touch(tx: &mut Tx, artist_id: &str) -> StoreResult<()> {
    sqlx::query("UPDATE artists SET updated_at = $2 WHERE id = $1")
        .bind(artist_id)
        .bind(now_millis())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn add_artist_owner(
    c: &SqlCatalog,
    artist_id: Id,
    user: Id,
) -> StoreResult<Artist> {
    let key = artist_id.to_string();
    let mut tx = c.begin().await?;
    lock(c, &mut tx, &key).await?;
    let added = sqlx::query(
        "INSERT INTO artist_owners (artist_id, user_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (artist_id, user_id) DO NOTHING",
    )
    .bind(&key)
    .bind(user.to_string())
    .bind(now_millis())
    .execute(&mut *tx)
    .await
    .map_err(reference("user"))?;
    if added.rows_affected() > 0 {
        touch(&mut tx, &key).await?;
    }
    let artist = artist_in(&mut tx, &key).await?;
    tx.commit().await.map_err(db)?;
    Ok(artist)
}

/// `NotFound` if the artist does not exist or the user is not one of its owners.
pub(super) async fn remove_artist_owner(
    c: &SqlCatalog,
    artist_id: Id,
    user: Id,
) -> StoreResult<Artist> {
    let key = artist_id.to_string();
    let mut tx = c.begin().await?;
    lock(c, &mut tx, &key).await?;
    let before = artist_in(&mut tx, &key).await?;
    if !before.owners.contains(&user) {
        return Err(StoreError::NotFound);
    }
    if before.owners.len() == 1 {
        return Err(StoreError::Conflict("last owner".into()));
    }
    sqlx::query("DELETE FROM artist_owners WHERE artist_id = $1 AND user_id = $2")
        .bind(&key)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    touch(&mut tx, &key).await?;
    let artist = artist_in(&mut tx, &key).await?;
    tx.commit().await.map_err(db)?;
    Ok(artist)
}

/// Locks the artist and its albums first (on PostgreSQL), so no album or track can be added
/// under it while its tracks' blobs are collected: every deleted track reaches the garbage list.
pub(super) async fn delete_artist(c: &SqlCatalog, artist_id: Id) -> StoreResult<()> {
    let key = artist_id.to_string();
    let mut tx = c.begin().await?;
    lock(c, &mut tx, &key).await?;
    sqlx::query(&format!(
        "SELECT id FROM albums WHERE artist_id = $1{}",
        c.for_update()
    ))
    .bind(&key)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    drop_tracks(&mut tx, TrackSet::OfArtist(&key)).await?;
    sqlx::query("DELETE FROM artists WHERE id = $1")
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}
