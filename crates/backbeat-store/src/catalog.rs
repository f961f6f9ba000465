//! The catalog repository: every read and write of metadata goes through [`CatalogStore`].
//! One implementation ([`crate::sql::SqlCatalog`]) serves SQLite and PostgreSQL; the
//! conformance suite in `tests/catalog.rs` runs against both.
//!
//! Consistency rules every implementation keeps:
//! - each method is one transaction: it happens entirely or not at all;
//! - metadata never points at a missing blob: deleting or replacing audio moves the old key
//!   into the garbage list in the same transaction, and blobs are deleted only afterwards;
//! - an upload slot is claimed at most once, only by its owner, only before it expires.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::*;

/// Catalog metadata: accounts, artists, albums, tracks, playlists, upload slots, garbage.
#[async_trait]
pub trait CatalogStore: Send + Sync + 'static {
    /// `true` when the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    // --- accounts -------------------------------------------------------------------------
    /// Registers a user; [`crate::StoreError::Conflict`] if the e-mail is taken.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn user(&self, id: Id) -> StoreResult<User>;
    /// The user and their password hash, by (lower-cased) e-mail.
    async fn user_credentials(&self, email: &str) -> StoreResult<(User, String)>;
    async fn set_user_role(&self, id: Id, role: Role) -> StoreResult<User>;

    /// Stores a refresh token's hash for a user.
    async fn create_session(
        &self,
        user_id: Id,
        token_hash: &str,
        expires_at: Millis,
    ) -> StoreResult<()>;
    /// Exchanges a valid (unexpired) refresh token hash for a new one, atomically: the old one
    /// is deleted, so a token is good for one use. Returns the user; `NotFound` otherwise.
    async fn rotate_session(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: Millis,
        now: Millis,
    ) -> StoreResult<User>;
    /// Deletes one refresh token (logout).
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    async fn create_api_key(&self, user_id: Id, name: &str, key_hash: &str) -> StoreResult<ApiKey>;
    /// The user an API key (by hash) belongs to.
    async fn api_key_user(&self, key_hash: &str) -> StoreResult<User>;
    async fn list_api_keys(&self, user_id: Id) -> StoreResult<Vec<ApiKey>>;
    /// Deletes a key of this user; `NotFound` if it is not theirs.
    async fn delete_api_key(&self, user_id: Id, key_id: Id) -> StoreResult<()>;

    // --- artists --------------------------------------------------------------------------
    async fn create_artist(&self, name: &str, owner: Id) -> StoreResult<Artist>;
    async fn artist(&self, id: Id) -> StoreResult<Artist>;
    /// Artists, optionally only those `owned_by` a user.
    async fn list_artists(&self, owned_by: Option<Id>, q: ListQuery) -> StoreResult<Page<Artist>>;
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
    async fn album(&self, id: Id) -> StoreResult<Album>;
    async fn list_albums(&self, artist_id: Option<Id>, q: ListQuery) -> StoreResult<Page<Album>>;
    async fn update_album(&self, id: Id, patch: AlbumPatch) -> StoreResult<Album>;
    /// Deletes the album and its tracks; their blobs go to the garbage list.
    async fn delete_album(&self, id: Id) -> StoreResult<()>;

    // --- tracks ---------------------------------------------------------------------------
    /// Claims the upload and inserts the track in one transaction. `InvalidReference` if the
    /// album does not exist or the upload is unknown, expired, claimed or someone else's.
    async fn create_track(&self, track: NewTrack) -> StoreResult<Track>;
    async fn track(&self, id: Id) -> StoreResult<Track>;
    async fn list_tracks(&self, album_id: Option<Id>, q: ListQuery) -> StoreResult<Page<Track>>;
    /// `InvalidReference` if a new album does not exist.
    async fn update_track(&self, id: Id, patch: TrackPatch) -> StoreResult<Track>;
    /// Points the track at a newly uploaded blob (claiming the upload as in `create_track`)
    /// and moves the old blob to the garbage list; status goes back to `processing`.
    async fn replace_track_audio(
        &self,
        id: Id,
        upload_key: &str,
        uploader: Id,
        audio: AudioFacts,
    ) -> StoreResult<Track>;
    /// Deletes the track; its blob and its derived-artifact prefix go to the garbage list.
    async fn delete_track(&self, id: Id) -> StoreResult<()>;

    // --- playlists ------------------------------------------------------------------------
    /// `InvalidReference` if a track id does not exist.
    async fn create_playlist(&self, playlist: NewPlaylist) -> StoreResult<Playlist>;
    async fn playlist(&self, id: Id) -> StoreResult<Playlist>;
    /// Playlists visible to `viewer` (their own and public ones); `None`: all of them.
    async fn list_playlists(&self, viewer: Option<Id>, q: ListQuery)
        -> StoreResult<Page<Playlist>>;
    async fn update_playlist(&self, id: Id, patch: PlaylistPatch) -> StoreResult<Playlist>;
    async fn delete_playlist(&self, id: Id) -> StoreResult<()>;

    // --- uploads and garbage --------------------------------------------------------------
    /// Records an upload slot (before its URL is handed out).
    async fn create_upload(&self, upload: Upload) -> StoreResult<()>;
    /// The unclaimed upload slot with this key.
    async fn upload(&self, key: &str) -> StoreResult<Upload>;
    /// Moves every upload slot that expired before `now` and was never claimed to the garbage
    /// list; returns how many.
    async fn expire_uploads(&self, now: Millis) -> StoreResult<u64>;
    /// Up to `limit` garbage entries to delete.
    async fn garbage(&self, limit: u32) -> StoreResult<Vec<Garbage>>;
    /// Forgets garbage entries whose blobs are gone.
    async fn garbage_done(&self, keys: &[String]) -> StoreResult<()>;

    // --- search ---------------------------------------------------------------------------
    /// The search documents of everything in `scope` (empty if it no longer exists).
    async fn search_docs(&self, scope: DocScope) -> StoreResult<Vec<SearchDoc>>;
    /// All documents of one kind with id greater than `after`, in id order, for reindexing.
    async fn all_search_docs(
        &self,
        kind: DocKind,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<SearchDoc>>;
}

/// Object-store key prefix under which a track's derived artifacts live.
pub fn derived_prefix(track: Id) -> String {
    format!("derived/{track}/")
}
