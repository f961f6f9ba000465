//! Every catalog store for [`SqlCatalog`]: a table of contents; the queries live in the
//! modules named after what they store.

use async_trait::async_trait;

use crate::annotation::TrackSelection;
use crate::catalog::{
    AccountStore, Charge, ChargeOutcome, DocSource, FilteredTracks, Health, LibraryStore,
    PlaylistStore, QuotaLimits, QuotaStore, Stores, UploadStore, Usage,
};
use crate::error::{StoreError, StoreResult};
use crate::model::*;

use super::errors::db;
use super::{accounts, albums, artists, playlists, quota, search, tracks, uploads, SqlCatalog};

impl SqlCatalog {
    /// Every catalog store, served by this database.
    pub fn stores(&self) -> Stores {
        Stores::from_one(std::sync::Arc::new(self.clone()))
    }
}

#[async_trait]
impl Health for SqlCatalog {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .fetch_one(&self.read)
            .await
            .map_err(db)?;
        // A SQLite file on a full disk still answers reads; only its free space says that
        // the next commit would fail.
        if let Some(dir) = &self.folder {
            crate::free_space::ensure_room(dir, 0).map_err(|e| {
                StoreError::database("no room for the database", sqlx::Error::Io(e))
            })?;
        }
        Ok(())
    }
}

#[async_trait]
impl AccountStore for SqlCatalog {
    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        accounts::create_user(self, user).await
    }
    async fn user(&self, id: Id) -> StoreResult<User> {
        accounts::user(self, id).await
    }
    async fn user_credentials(&self, email: &str) -> StoreResult<(User, String)> {
        accounts::user_credentials(self, email).await
    }
    async fn set_user_role(&self, id: Id, role: Role) -> StoreResult<User> {
        accounts::set_user_role(self, id, role).await
    }
    async fn create_session(
        &self,
        user_id: Id,
        family: Id,
        hash: &str,
        expires_at: Millis,
    ) -> StoreResult<()> {
        accounts::create_session(self, user_id, family, hash, expires_at).await
    }
    async fn rotate_session(
        &self,
        family: Id,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: Millis,
        now: Millis,
    ) -> StoreResult<Rotation> {
        accounts::rotate_session(self, family, old_hash, new_hash, new_expires_at, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        accounts::delete_session(self, token_hash).await
    }
    async fn create_api_key(&self, user_id: Id, name: &str, key_hash: &str) -> StoreResult<ApiKey> {
        accounts::create_api_key(self, user_id, name, key_hash).await
    }
    async fn api_key_user(&self, key_hash: &str) -> StoreResult<User> {
        accounts::api_key_user(self, key_hash).await
    }
    async fn list_api_keys(&self, user_id: Id) -> StoreResult<Vec<ApiKey>> {
        accounts::list_api_keys(self, user_id).await
    }
    async fn delete_api_key(&self, user_id: Id, key_id: Id) -> StoreResult<()> {
        accounts::delete_api_key(self, user_id, key_id).await
    }
}

#[async_trait]
impl LibraryStore for SqlCatalog {
    async fn create_artist(&self, name: &str, owner: Id) -> StoreResult<Artist> {
        artists::create_artist(self, name, owner).await
    }
    async fn artist(&self, id: Id) -> StoreResult<Artist> {
        artists::artist(self, id).await
    }
    async fn list_artists(&self, owned_by: Option<Id>, q: ListQuery) -> StoreResult<Page<Artist>> {
        artists::list_artists(self, owned_by, q).await
    }
    async fn rename_artist(&self, id: Id, name: &str) -> StoreResult<Artist> {
        artists::rename_artist(self, id, name).await
    }
    async fn add_artist_owner(&self, id: Id, user: Id) -> StoreResult<Artist> {
        artists::add_artist_owner(self, id, user).await
    }
    async fn remove_artist_owner(&self, id: Id, user: Id) -> StoreResult<Artist> {
        artists::remove_artist_owner(self, id, user).await
    }
    async fn delete_artist(&self, id: Id) -> StoreResult<()> {
        artists::delete_artist(self, id).await
    }

    async fn create_album(
        &self,
        artist_id: Id,
        title: &str,
        kind: AlbumKind,
        release_year: Option<i32>,
    ) -> StoreResult<Album> {
        albums::create_album(self, artist_id, title, kind, release_year).await
    }
    async fn album(&self, id: Id) -> StoreResult<Album> {
        albums::album(self, id).await
    }
    async fn list_albums(&self, artist_id: Option<Id>, q: ListQuery) -> StoreResult<Page<Album>> {
        albums::list_albums(self, artist_id, q).await
    }
    async fn update_album(&self, id: Id, patch: AlbumPatch) -> StoreResult<Album> {
        albums::update_album(self, id, patch).await
    }
    async fn delete_album(&self, id: Id) -> StoreResult<()> {
        albums::delete_album(self, id).await
    }

    async fn create_track(&self, track: NewTrack) -> StoreResult<Track> {
        tracks::create_track(self, track).await
    }
    async fn track(&self, id: Id) -> StoreResult<Track> {
        tracks::track(self, id).await
    }
    async fn list_tracks(&self, album_id: Option<Id>, q: ListQuery) -> StoreResult<Page<Track>> {
        tracks::list_tracks(self, album_id, q).await
    }
    async fn update_track(&self, id: Id, patch: TrackPatch) -> StoreResult<Track> {
        tracks::update_track(self, id, patch).await
    }
    async fn replace_track_audio(
        &self,
        id: Id,
        upload_key: &str,
        lock_token: &str,
        uploader: Id,
        audio: AudioFacts,
    ) -> StoreResult<Track> {
        tracks::replace_track_audio(self, id, upload_key, lock_token, uploader, audio).await
    }
    async fn delete_track(&self, id: Id) -> StoreResult<()> {
        tracks::delete_track(self, id).await
    }
}

#[async_trait]
impl PlaylistStore for SqlCatalog {
    async fn create_playlist(&self, playlist: NewPlaylist) -> StoreResult<Playlist> {
        playlists::create_playlist(self, playlist).await
    }
    async fn playlist(&self, id: Id) -> StoreResult<Playlist> {
        playlists::playlist(self, id).await
    }
    async fn list_playlists(
        &self,
        viewer: Option<Id>,
        q: ListQuery,
    ) -> StoreResult<Page<Playlist>> {
        playlists::list_playlists(self, viewer, q).await
    }
    async fn update_playlist(&self, id: Id, patch: PlaylistPatch) -> StoreResult<Playlist> {
        playlists::update_playlist(self, id, patch).await
    }
    async fn delete_playlist(&self, id: Id) -> StoreResult<()> {
        playlists::delete_playlist(self, id).await
    }
}

#[async_trait]
impl UploadStore for SqlCatalog {
    async fn create_upload(&self, upload: Upload) -> StoreResult<()> {
        uploads::create_upload(self, upload).await
    }
    async fn upload(&self, key: &str) -> StoreResult<Upload> {
        uploads::upload(self, key).await
    }
    async fn upload_state(&self, key: &str, now: Millis) -> StoreResult<SlotState> {
        uploads::upload_state(self, key, now).await
    }
    async fn lock_upload(
        &self,
        key: &str,
        token: &str,
        until: Millis,
        now: Millis,
    ) -> StoreResult<LockOutcome> {
        uploads::lock_upload(self, key, token, until, now).await
    }
    async fn unlock_upload(&self, key: &str, token: &str) -> StoreResult<bool> {
        uploads::unlock_upload(self, key, token).await
    }
    async fn extend_upload_lock(&self, key: &str, token: &str, until: Millis) -> StoreResult<bool> {
        uploads::extend_upload_lock(self, key, token, until).await
    }
    async fn expire_uploads(&self, now: Millis) -> StoreResult<u64> {
        uploads::expire_uploads(self, now).await
    }
    async fn garbage(&self, limit: u32, now: Millis) -> StoreResult<Vec<Garbage>> {
        uploads::garbage(self, limit, now).await
    }
    async fn garbage_done(&self, keys: &[String]) -> StoreResult<()> {
        uploads::garbage_done(self, keys).await
    }
}

#[async_trait]
impl DocSource for SqlCatalog {
    async fn search_docs(&self, scope: DocScope) -> StoreResult<Vec<SearchDoc>> {
        search::search_docs(self, scope).await
    }
    async fn all_search_docs(
        &self,
        kind: DocKind,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<SearchDoc>> {
        search::all_search_docs(self, kind, after, limit).await
    }
    async fn filter_tracks(
        &self,
        selection: &TrackSelection,
        limit: u32,
        offset: u64,
    ) -> StoreResult<FilteredTracks> {
        search::filter_tracks(self, selection, limit, offset).await
    }
}

#[async_trait]
impl QuotaStore for SqlCatalog {
    async fn charge(
        &self,
        user: Id,
        charge: Charge,
        limits: QuotaLimits,
        day: i64,
    ) -> StoreResult<ChargeOutcome> {
        quota::charge(self, user, charge, limits, day).await
    }
    async fn refund(&self, user: Id, charge: Charge, day: i64) -> StoreResult<()> {
        quota::refund(self, user, charge, day).await
    }
    async fn usage(&self, user: Id, day: i64) -> StoreResult<Usage> {
        quota::usage(self, user, day).await
    }
}
