//! [`PlaylistStore`]: users' playlists of tracks.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::{Id, ListQuery, NewPlaylist, Page, Playlist, PlaylistPatch};

/// Playlists: an owner, a visibility and an ordered list of tracks.
#[async_trait]
pub trait PlaylistStore: Send + Sync + 'static {
    /// `InvalidReference` if a track id does not exist.
    async fn create_playlist(&self, playlist: NewPlaylist) -> StoreResult<Playlist>;
    /// One playlist by id.
    async fn playlist(&self, id: Id) -> StoreResult<Playlist>;
    /// Playlists visible to `viewer` (their own and public ones); `None`: all of them.
    async fn list_playlists(&self, viewer: Option<Id>, q: ListQuery)
        -> StoreResult<Page<Playlist>>;
    /// Changes a playlist's name, visibility or tracks.
    async fn update_playlist(&self, id: Id, patch: PlaylistPatch) -> StoreResult<Playlist>;
    /// Deletes a playlist (its tracks stay).
    async fn delete_playlist(&self, id: Id) -> StoreResult<()>;
}
