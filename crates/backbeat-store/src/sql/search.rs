//! Search documents, built with joins so a track's document carries its album's title and its
//! artist's name. One UNION query per scope: the documents of one write come from one snapshot.

use sqlx::any::AnyRow;

use crate::annotation::TrackSelection;
use crate::catalog::FilteredTracks;
use crate::error::{StoreError, StoreResult};
use crate::model::{DocKind, DocScope, Id, SearchDoc};

use super::errors::db;
use super::rows::{count, enumerated, id, int, opt_id, opt_text, text};
use super::selection::{bind_all, selection_sql};
use super::SqlCatalog;

const ARTISTS: &str = "SELECT 'artist' AS kind, ar.id AS id, ar.name AS title,
    ar.id AS artist_id, ar.name AS artist_name, CAST(NULL AS TEXT) AS album_id,
    CAST(NULL AS TEXT) AS album_title, ar.created_at AS created_at
    FROM artists ar";

const ALBUMS: &str = "SELECT 'album' AS kind, al.id AS id, al.title AS title,
    ar.id AS artist_id, ar.name AS artist_name, al.id AS album_id, al.title AS album_title,
    al.created_at AS created_at
    FROM albums al JOIN artists ar ON ar.id = al.artist_id";

const TRACKS: &str = "SELECT 'track' AS kind, t.id AS id, t.title AS title,
    ar.id AS artist_id, ar.name AS artist_name, al.id AS album_id, al.title AS album_title,
    t.created_at AS created_at
    FROM tracks t JOIN albums al ON al.id = t.album_id JOIN artists ar ON ar.id = al.artist_id";

fn doc_row(r: &AnyRow) -> StoreResult<SearchDoc> {
    Ok(SearchDoc {
        kind: enumerated(r, "kind", DocKind::parse)?,
        id: id(r, "id")?,
        title: text(r, "title")?,
        artist_id: id(r, "artist_id")?,
        artist_name: text(r, "artist_name")?,
        album_id: opt_id(r, "album_id")?,
        album_title: opt_text(r, "album_title")?,
        created_at: int(r, "created_at")?,
    })
}

/// Artist first, then albums, then tracks (each by id).
pub(super) async fn search_docs(c: &SqlCatalog, scope: DocScope) -> StoreResult<Vec<SearchDoc>> {
    let (sql, key) = match scope {
        DocScope::Artist(a) => (
            format!(
                "SELECT * FROM ({ARTISTS} WHERE ar.id = $1
                 UNION ALL {ALBUMS} WHERE ar.id = $1
                 UNION ALL {TRACKS} WHERE ar.id = $1) d
                 ORDER BY CASE d.kind WHEN 'artist' THEN 0 WHEN 'album' THEN 1 ELSE 2 END, d.id"
            ),
            a,
        ),
        DocScope::Album(a) => (
            format!(
                "SELECT * FROM ({ALBUMS} WHERE al.id = $1 UNION ALL {TRACKS} WHERE al.id = $1) d
                 ORDER BY CASE d.kind WHEN 'album' THEN 0 ELSE 1 END, d.id"
            ),
            a,
        ),
        DocScope::Track(t) => (format!("{TRACKS} WHERE t.id = $1"), t),
    };
    let rows = sqlx::query(&sql)
        .bind(key.to_string())
        .fetch_all(&c.read)
        .await
        .map_err(db)?;
    rows.iter().map(doc_row).collect()
}

/// Keyset pagination by id (ids are time-ordered UUIDs stored as text; both backends compare
/// them bytewise), so a reindex walks 100,000 records without `OFFSET` rescans.
pub(super) async fn all_search_docs(
    c: &SqlCatalog,
    kind: DocKind,
    after: Option<Id>,
    limit: u32,
) -> StoreResult<Vec<SearchDoc>> {
    let (select, alias) = match kind {
        DocKind::Artist => (ARTISTS, "ar"),
        DocKind::Album => (ALBUMS, "al"),
        DocKind::Track => (TRACKS, "t"),
    };
    let sql = format!("{select} WHERE {alias}.id > $1 ORDER BY {alias}.id LIMIT $2");
    let rows = sqlx::query(&sql)
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&c.read)
        .await
        .map_err(db)?;
    rows.iter().map(doc_row).collect()
}

/// Ids per statement when a selection names its tracks.
const ID_CHUNK: usize = 500;

pub(super) async fn filter_tracks(
    c: &SqlCatalog,
    s: &TrackSelection,
    limit: u32,
    offset: u64,
) -> StoreResult<FilteredTracks> {
    if s.query.is_some() {
        return Err(StoreError::Search {
            context: "a selection's search words must be resolved into trackIds by the index first"
                .into(),
            source: None,
        });
    }
    match &s.track_ids {
        Some(ids) => {
            // Every match of every chunk, then one page: the ids come from a text search
            // (at most 10,000) and the caller wants them all to keep its own order.
            let mut docs = Vec::new();
            for chunk in ids.chunks(ID_CHUNK) {
                let sel = selection_sql(c.backend, s, 1, chunk);
                let sql = format!(
                    "SELECT * FROM ({TRACKS}) d WHERE d.id IN (SELECT t.id {})",
                    sel.from_where
                );
                let rows = bind_all(sqlx::query(&sql), &sel.binds)
                    .fetch_all(&c.read)
                    .await
                    .map_err(db)?;
                for r in &rows {
                    docs.push(doc_row(r)?);
                }
            }
            docs.sort_by_key(|d| (d.created_at, d.id));
            let total = docs.len() as u64;
            let docs = docs
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(limit as usize)
                .collect();
            Ok(FilteredTracks { docs, total })
        }
        None => {
            let sel = selection_sql(c.backend, s, 1, &[]);
            let count_sql = format!(
                "SELECT count(*) AS n FROM (SELECT t.id {}) m",
                sel.from_where
            );
            let total = count(int(
                &bind_all(sqlx::query(&count_sql), &sel.binds)
                    .fetch_one(&c.read)
                    .await
                    .map_err(db)?,
                "n",
            )?);
            let sql = format!(
                "SELECT * FROM ({TRACKS}) d WHERE d.id IN (SELECT t.id {})
                 ORDER BY d.created_at, d.id LIMIT {limit} OFFSET {offset}",
                sel.from_where
            );
            let rows = bind_all(sqlx::query(&sql), &sel.binds)
                .fetch_all(&c.read)
                .await
                .map_err(db)?;
            let docs = rows.iter().map(doc_row).collect::<StoreResult<_>>()?;
            Ok(FilteredTracks { docs, total })
        }
    }
}
