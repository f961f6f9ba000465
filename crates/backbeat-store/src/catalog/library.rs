//! [`LibraryStore`]: the music itself — artists (with their owners), albums and tracks.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::{
    Album, AlbumKind, AlbumPatch, Artist, AudioFacts, Id, ListQuery, NewTrack, Page, Track,
    TrackPatch,
};

/// Artists, albums and tracks. Deletes cascade down the tree, and every blob they stop
/// pointing at goes to the garbage list in the same transaction.
#[async_trait]
pub trait LibraryStore: Send + Sync + 'static {
    // --- artists --------------------------------------------------------------------------
    /// Creates an artist owned by `owner`.
    async fn create_artist(&self, name: &str, owner: Id) -> StoreResult<Artist>;
    /// One artist by id.
    async fn artist(&self, id: Id) -> StoreResult<Artist>;
    /// Artists, optionally only those `owned_by` a user.
    async fn list_artists(&self, owned_by: Option<Id>, q: ListQuery) -> StoreResult<Page<Artist>>;
    /// Renames an artist.
    async fn rename_artist(&self, id: Id, name: &str) -> StoreResult<Artist>;
    /// Adds an owner (idempotent); `InvalidReference` if the user does not exist.
    async fn add_artist_owner(&self, id: Id, user: Id) -> StoreResult<Artist>;
    /// Removes an owner; `Conflict` if it is the last one.
    async fn remove_artist_owner(&self, id: Id, user: Id) -> StoreResult<Artist>;
    /// Deletes the artist, its albums and tracks; their blobs go to the garbage list.
    async fn delete_artist(&self, id: Id) -> StoreResult<()>;

    // --- albums ---------------------------------------------------------------------------
    /// `InvalidReference` if the artist does not exist.
    async fn create_album(
        &self,
        artist_id: Id,
        title: &str,
        kind: AlbumKind,
        release_year: Option<i32>,
    ) -> StoreResult<Album>;
    /// One album by id.
    async fn album(&self, id: Id) -> StoreResult<Album>;
    /// Albums, optionally only one artist's.
    async fn list_albums(&self, artist_id: Option<Id>, q: ListQuery) -> StoreResult<Page<Album>>;
    /// Changes an album's title, kind or year.
    async fn update_album(&self, id: Id, patch: AlbumPatch) -> StoreResult<Album>;
    /// Deletes the album and its tracks; their blobs go to the garbage list.
    async fn delete_album(&self, id: Id) -> StoreResult<()>;

    // --- tracks ---------------------------------------------------------------------------
    /// Claims the upload and inserts the track in one transaction. `InvalidReference` if the
    /// album does not exist or the upload is unknown, expired, claimed, someone else's or no
    /// longer locked with the track's `lock_token`. The claim releases the lock.
    async fn create_track(&self, track: NewTrack) -> StoreResult<Track>;
    /// One track by id.
    async fn track(&self, id: Id) -> StoreResult<Track>;
    /// Tracks, optionally only one album's.
    async fn list_tracks(&self, album_id: Option<Id>, q: ListQuery) -> StoreResult<Page<Track>>;
    /// `InvalidReference` if a new album does not exist.
    async fn update_track(&self, id: Id, patch: TrackPatch) -> StoreResult<Track>;
    /// Points the track at a newly uploaded blob (claiming the upload as in `create_track`)
    /// and moves the old blob to the garbage list; status goes back to `processing`.
    async fn replace_track_audio(
        &self,
        id: Id,
        upload_key: &str,
        lock_token: &str,
        uploader: Id,
        audio: AudioFacts,
    ) -> StoreResult<Track>;
    /// Deletes the track; its blob and its derived-artifact prefix go to the garbage list.
    async fn delete_track(&self, id: Id) -> StoreResult<()>;
}
