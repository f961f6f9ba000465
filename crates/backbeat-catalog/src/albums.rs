//! Albums: create, read, list, change, delete. A standalone track is a `single`.

use std::sync::Arc;

use backbeat_store::{Album, AlbumKind, AlbumPatch, Id, ListQuery, Page};

use crate::effects::{self, Event};
use crate::error::{CatalogError, CatalogResult, FieldError, Fields};
use crate::text::{clean_text, optional_text};
use crate::{policy, Caller, Inner};

/// Longest album title, in characters.
pub const MAX_TITLE: usize = 200;
/// Release years accepted.
pub const YEARS: std::ops::RangeInclusive<i32> = 1860..=2200;

/// The album use cases.
pub struct Albums<'a>(pub(crate) &'a Inner);

/// A new album.
#[derive(Debug, Clone)]
pub struct AlbumDraft {
    pub artist_id: Id,
    pub title: String,
    /// Default: `album`.
    pub kind: Option<AlbumKind>,
    pub release_year: Option<i32>,
}

/// Changes to an album; absent fields stay, `release_year: Some(None)` clears the year.
#[derive(Debug, Clone, Default)]
pub struct AlbumChanges {
    pub title: Option<String>,
    pub kind: Option<AlbumKind>,
    pub release_year: Option<Option<i32>>,
}

fn check_year(year: Option<i32>, fields: &mut Fields) {
    if matches!(year, Some(y) if !YEARS.contains(&y)) {
        fields.push(FieldError::new(
            "releaseYear",
            "must be between 1860 and 2200",
        ));
    }
}

impl Albums<'_> {
    /// Creates an album for an artist the caller owns.
    pub async fn create(&self, caller: &Caller, draft: AlbumDraft) -> CatalogResult<Album> {
        policy::require_creator(caller)?;
        let mut fields = Fields::default();
        let title = fields.check(clean_text("title", &draft.title, MAX_TITLE));
        check_year(draft.release_year, &mut fields);
        fields.finish()?;
        let title = title.unwrap_or_default();
        match policy::owned_artist(self.0, caller, draft.artist_id).await {
            Err(CatalogError::NotFound) => {
                return Err(CatalogError::field("artistId", "no such artist"))
            }
            other => other?,
        };
        let kind = draft.kind.unwrap_or(AlbumKind::Album);
        let album = self
            .0
            .stores
            .library
            .create_album(draft.artist_id, &title, kind, draft.release_year)
            .await?;
        effects::apply(self.0, &[Event::AlbumCreated(album.id)]).await?;
        Ok(album)
    }

    /// Albums, optionally of one artist.
    pub async fn list(&self, artist: Option<Id>, q: ListQuery) -> CatalogResult<Page<Album>> {
        Ok(self.0.stores.library.list_albums(artist, q).await?)
    }

    /// One album (from the cache when fresh).
    pub async fn get(&self, id: Id) -> CatalogResult<Arc<Album>> {
        policy::album(self.0, id).await
    }

    /// Changes an album's title, kind or year (its artist's owners and admins).
    pub async fn update(
        &self,
        caller: &Caller,
        id: Id,
        changes: AlbumChanges,
    ) -> CatalogResult<Album> {
        policy::owned_album(self.0, caller, id).await?;
        let mut fields = Fields::default();
        let title = optional_text(&mut fields, "title", changes.title.as_ref(), MAX_TITLE);
        check_year(changes.release_year.flatten(), &mut fields);
        fields.finish()?;
        let patch = AlbumPatch {
            title,
            kind: changes.kind,
            release_year: changes.release_year,
        };
        let album = self.0.stores.library.update_album(id, patch).await?;
        effects::apply(self.0, &[Event::AlbumChanged(id)]).await?;
        Ok(album)
    }

    /// Deletes an album with its tracks and their audio (its artist's owners and admins).
    pub async fn delete(&self, caller: &Caller, id: Id) -> CatalogResult<()> {
        policy::owned_album(self.0, caller, id).await?;
        self.0.stores.library.delete_album(id).await?;
        effects::apply(self.0, &[Event::AlbumDeleted(id)]).await
    }
}
