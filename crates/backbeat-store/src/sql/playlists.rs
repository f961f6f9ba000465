//! Playlists: an owner, a visibility flag and an ordered list of track ids (duplicates
//! allowed). The list is stored as rows `(playlist, position, track)` and read back aggregated
//! in position order; replacing it rewrites the positions as 0..n.

use sqlx::any::AnyRow;

use crate::error::{StoreError, StoreResult};
use crate::model::{new_id, now_millis, Id, ListQuery, NewPlaylist, Page, Playlist, PlaylistPatch};

use super::errors::{db, reference};
use super::list::Listing;
use super::rows::{flag, id, id_list, int, name_key, text};
use super::{SqlCatalog, Tx};

/// Items per INSERT statement (3 parameters each).
const CHUNK: usize = 300;

/// A playlist with its items aggregated in order into one column (one query per playlist).
const PLAYLIST: &str = "SELECT p.id, p.owner_id, p.name, p.description, p.public, p.created_at,
    p.updated_at, (SELECT string_agg(i.track_id, ',' ORDER BY i.position)
        FROM playlist_items i WHERE i.playlist_id = p.id) AS track_ids";

/// Restricts a listing to what viewer `$1` may see: their own playlists and public ones.
const VISIBLE_TO: &str = "WHERE (p.owner_id = $1 OR p.public)";

fn playlist_row(r: &AnyRow) -> StoreResult<Playlist> {
    Ok(Playlist {
        id: id(r, "id")?,
        owner_id: id(r, "owner_id")?,
        name: text(r, "name")?,
        description: text(r, "description")?,
        public: flag(r, "public")?,
        track_ids: id_list(r, "track_ids")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

/// Writes the items of a playlist inside `tx`; `InvalidReference("track")` for an unknown id.
async fn insert_items(tx: &mut Tx, playlist: &str, tracks: &[Id]) -> StoreResult<()> {
    for (n, chunk) in tracks.chunks(CHUNK).enumerate() {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql =
            format!("INSERT INTO playlist_items (playlist_id, position, track_id) VALUES {values}");
        // Statements of every chunk length would crowd the prepared-statement cache.
        let mut q = sqlx::query(&sql).persistent(false);
        for (i, track) in chunk.iter().enumerate() {
            let position = i64::try_from(n * CHUNK + i).unwrap_or(i64::MAX);
            q = q.bind(playlist).bind(position).bind(track.to_string());
        }
        q.execute(&mut **tx).await.map_err(reference("track"))?;
    }
    Ok(())
}

async fn playlist_in(tx: &mut Tx, playlist_id: &str) -> StoreResult<Playlist> {
    let r = sqlx::query(&format!("{PLAYLIST} FROM playlists p WHERE p.id = $1"))
        .bind(playlist_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    playlist_row(&r)
}

pub(super) async fn create_playlist(c: &SqlCatalog, new: NewPlaylist) -> StoreResult<Playlist> {
    let now = now_millis();
    let key = new_id().to_string();
    let mut tx = c.begin().await?;
    sqlx::query(
        "INSERT INTO playlists (id, owner_id, name, name_key, description, public, created_at,
             updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&key)
    .bind(new.owner_id.to_string())
    .bind(&new.name)
    .bind(name_key(&new.name))
    .bind(&new.description)
    .bind(new.public)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(reference("user"))?;
    insert_items(&mut tx, &key, &new.track_ids).await?;
    let playlist = playlist_in(&mut tx, &key).await?;
    tx.commit().await.map_err(db)?;
    Ok(playlist)
}

pub(super) async fn playlist(c: &SqlCatalog, playlist_id: Id) -> StoreResult<Playlist> {
    let r = sqlx::query(&format!("{PLAYLIST} FROM playlists p WHERE p.id = $1"))
        .bind(playlist_id.to_string())
        .fetch_optional(&c.read)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    playlist_row(&r)
}

pub(super) async fn list_playlists(
    c: &SqlCatalog,
    viewer: Option<Id>,
    q: ListQuery,
) -> StoreResult<Page<Playlist>> {
    Listing {
        select: PLAYLIST,
        from: "FROM playlists p",
        alias: "p",
        filter: viewer.map(|u| (VISIBLE_TO, u.to_string())),
    }
    .fetch(&c.read, &q, playlist_row)
    .await
}

pub(super) async fn update_playlist(
    c: &SqlCatalog,
    playlist_id: Id,
    p: PlaylistPatch,
) -> StoreResult<Playlist> {
    let key = playlist_id.to_string();
    let mut tx = c.begin().await?;
    // Also the row lock that orders concurrent updates of one playlist on PostgreSQL.
    let done = sqlx::query(
        "UPDATE playlists SET name = COALESCE($2, name), name_key = COALESCE($3, name_key),
             description = COALESCE($4, description), public = COALESCE($5, public),
             updated_at = $6
         WHERE id = $1",
    )
    .bind(&key)
    .bind(p.name.as_deref())
    .bind(p.name.as_deref().map(name_key))
    .bind(p.description.as_deref())
    .bind(p.public)
    .bind(now_millis())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    if let Some(tracks) = &p.track_ids {
        sqlx::query("DELETE FROM playlist_items WHERE playlist_id = $1")
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_items(&mut tx, &key, tracks).await?;
    }
    let playlist = playlist_in(&mut tx, &key).await?;
    tx.commit().await.map_err(db)?;
    Ok(playlist)
}

pub(super) async fn delete_playlist(c: &SqlCatalog, playlist_id: Id) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM playlists WHERE id = $1")
        .bind(playlist_id.to_string())
        .execute(&c.write)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
