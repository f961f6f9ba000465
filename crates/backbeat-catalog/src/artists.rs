//! Artists: create, read, list, rename, delete, and their owners.

use std::sync::Arc;

use backbeat_store::{Artist, Id, ListQuery, Page, StoreError};

use crate::effects::{self, Event};
use crate::error::{CatalogError, CatalogResult};
use crate::text::clean_text;
use crate::{policy, Caller, Inner};

/// Longest artist name, in characters.
pub const MAX_NAME: usize = 200;

/// The artist use cases.
pub struct Artists<'a>(pub(crate) &'a Inner);

impl Artists<'_> {
    /// Creates an artist owned by the caller (artists and admins).
    pub async fn create(&self, caller: &Caller, name: &str) -> CatalogResult<Artist> {
        policy::require_creator(caller)?;
        let name = clean_text("name", name, MAX_NAME)?;
        let artist = self
            .0
            .stores
            .library
            .create_artist(&name, caller.user_id)
            .await?;
        effects::apply(self.0, &[Event::ArtistCreated(artist.id)]).await?;
        Ok(artist)
    }

    /// Artists, optionally only those a user owns.
    pub async fn list(&self, owned_by: Option<Id>, q: ListQuery) -> CatalogResult<Page<Artist>> {
        Ok(self.0.stores.library.list_artists(owned_by, q).await?)
    }

    /// One artist (from the cache when fresh).
    pub async fn get(&self, id: Id) -> CatalogResult<Arc<Artist>> {
        policy::artist(self.0, id).await
    }

    /// Renames an artist (owners and admins).
    pub async fn rename(&self, caller: &Caller, id: Id, name: &str) -> CatalogResult<Artist> {
        policy::owned_artist(self.0, caller, id).await?;
        let name = clean_text("name", name, MAX_NAME)?;
        let artist = self.0.stores.library.rename_artist(id, &name).await?;
        effects::apply(self.0, &[Event::ArtistRenamed(id)]).await?;
        Ok(artist)
    }

    /// Deletes an artist with its albums, tracks and their audio (owners and admins).
    pub async fn delete(&self, caller: &Caller, id: Id) -> CatalogResult<()> {
        policy::owned_artist(self.0, caller, id).await?;
        self.0.stores.library.delete_artist(id).await?;
        effects::apply(self.0, &[Event::ArtistDeleted(id)]).await
    }

    /// Adds an owner (owners and admins); the new owner must be an artist or an admin.
    pub async fn add_owner(&self, caller: &Caller, id: Id, user: Id) -> CatalogResult<Artist> {
        policy::owned_artist(self.0, caller, id).await?;
        policy::may_own(self.0, user).await?;
        let artist = self
            .0
            .stores
            .library
            .add_artist_owner(id, user)
            .await
            .map_err(|e| match e {
                StoreError::InvalidReference(_) => CatalogError::field("userId", "no such user"),
                other => other.into(),
            })?;
        effects::apply(self.0, &[Event::ArtistOwnersChanged(id)]).await?;
        Ok(artist)
    }

    /// Removes an owner; the last owner cannot be removed (owners and admins).
    pub async fn remove_owner(&self, caller: &Caller, id: Id, user: Id) -> CatalogResult<Artist> {
        policy::owned_artist(self.0, caller, id).await?;
        let artist = self.0.stores.library.remove_artist_owner(id, user).await?;
        effects::apply(self.0, &[Event::ArtistOwnersChanged(id)]).await?;
        Ok(artist)
    }
}
