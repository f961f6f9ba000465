//! A catalog that only knows its search documents: the search tests need `all_search_docs`
//! and nothing else, and must not depend on the SQL implementation.

use async_trait::async_trait;
use backbeat_store::model::*;
use backbeat_store::{CatalogStore, StoreError, StoreResult};

/// Produces one page of documents: `(kind, after, limit)`, like `all_search_docs`.
type PageFn = dyn Fn(DocKind, Option<Id>, u32) -> StoreResult<Vec<SearchDoc>> + Send + Sync;

/// A [`CatalogStore`] whose search documents come from a function; every other method fails.
pub struct FakeCatalog {
    pages: Box<PageFn>,
}

impl FakeCatalog {
    /// A catalog holding exactly `docs`.
    pub fn with_docs(mut docs: Vec<SearchDoc>) -> Self {
        docs.sort_by_key(|d| d.id);
        Self::from_fn(move |kind, after, limit| Ok(page_of(&docs, kind, after, limit)))
    }

    /// A catalog whose pages come from `f`.
    pub fn from_fn(
        f: impl Fn(DocKind, Option<Id>, u32) -> StoreResult<Vec<SearchDoc>> + Send + Sync + 'static,
    ) -> Self {
        Self { pages: Box::new(f) }
    }
}

/// One page of `docs` (sorted by id), as `all_search_docs` returns it.
pub fn page_of(docs: &[SearchDoc], kind: DocKind, after: Option<Id>, limit: u32) -> Vec<SearchDoc> {
    docs.iter()
        .filter(|d| d.kind == kind && after.is_none_or(|a| d.id > a))
        .take(limit as usize)
        .cloned()
        .collect()
}

fn unused<T>() -> StoreResult<T> {
    Err(StoreError::Database("unused by the search tests".into()))
}

#[async_trait]
impl CatalogStore for FakeCatalog {
    async fn ping(&self) -> StoreResult<()> {
        unused()
    }
    async fn create_user(&self, _user: NewUser) -> StoreResult<User> {
        unused()
    }
    async fn user(&self, _id: Id) -> StoreResult<User> {
        unused()
    }
    async fn user_credentials(&self, _email: &str) -> StoreResult<(User, String)> {
        unused()
    }
    async fn set_user_role(&self, _id: Id, _role: Role) -> StoreResult<User> {
        unused()
    }
    async fn create_session(
        &self,
        _user_id: Id,
        _token_hash: &str,
        _expires_at: Millis,
    ) -> StoreResult<()> {
        unused()
    }
    async fn rotate_session(
        &self,
        _old_hash: &str,
        _new_hash: &str,
        _new_expires_at: Millis,
        _now: Millis,
    ) -> StoreResult<User> {
        unused()
    }
    async fn delete_session(&self, _token_hash: &str) -> StoreResult<()> {
        unused()
    }
    async fn create_api_key(
        &self,
        _user_id: Id,
        _name: &str,
        _key_hash: &str,
    ) -> StoreResult<ApiKey> {
        unused()
    }
    async fn api_key_user(&self, _key_hash: &str) -> StoreResult<User> {
        unused()
    }
    async fn list_api_keys(&self, _user_id: Id) -> StoreResult<Vec<ApiKey>> {
        unused()
    }
    async fn delete_api_key(&self, _user_id: Id, _key_id: Id) -> StoreResult<()> {
        unused()
    }
    async fn create_artist(&self, _name: &str, _owner: Id) -> StoreResult<Artist> {
        unused()
    }
    async fn artist(&self, _id: Id) -> StoreResult<Artist> {
        unused()
    }
    async fn list_artists(
        &self,
        _owned_by: Option<Id>,
        _q: ListQuery,
    ) -> StoreResult<Page<Artist>> {
        unused()
    }
    async fn rename_artist(&self, _id: Id, _name: &str) -> StoreResult<Artist> {
        unused()
    }
    async fn add_artist_owner(&self, _id: Id, _user: Id) -> StoreResult<Artist> {
        unused()
    }
    async fn remove_artist_owner(&self, _id: Id, _user: Id) -> StoreResult<Artist> {
        unused()
    }
    async fn delete_artist(&self, _id: Id) -> StoreResult<()> {
        unused()
    }
    async fn create_album(
        &self,
        _artist_id: Id,
        _title: &str,
        _kind: AlbumKind,
        _release_year: Option<i32>,
    ) -> StoreResult<Album> {
        unused()
    }
    async fn album(&self, _id: Id) -> StoreResult<Album> {
        unused()
    }
    async fn list_albums(&self, _artist_id: Option<Id>, _q: ListQuery) -> StoreResult<Page<Album>> {
        unused()
    }
    async fn update_album(&self, _id: Id, _patch: AlbumPatch) -> StoreResult<Album> {
        unused()
    }
    async fn delete_album(&self, _id: Id) -> StoreResult<()> {
        unused()
    }
    async fn create_track(&self, _track: NewTrack) -> StoreResult<Track> {
        unused()
    }
    async fn track(&self, _id: Id) -> StoreResult<Track> {
        unused()
    }
    async fn list_tracks(&self, _album_id: Option<Id>, _q: ListQuery) -> StoreResult<Page<Track>> {
        unused()
    }
    async fn update_track(&self, _id: Id, _patch: TrackPatch) -> StoreResult<Track> {
        unused()
    }
    async fn replace_track_audio(
        &self,
        _id: Id,
        _upload_key: &str,
        _uploader: Id,
        _audio: AudioFacts,
    ) -> StoreResult<Track> {
        unused()
    }
    async fn delete_track(&self, _id: Id) -> StoreResult<()> {
        unused()
    }
    async fn create_playlist(&self, _playlist: NewPlaylist) -> StoreResult<Playlist> {
        unused()
    }
    async fn playlist(&self, _id: Id) -> StoreResult<Playlist> {
        unused()
    }
    async fn list_playlists(
        &self,
        _viewer: Option<Id>,
        _q: ListQuery,
    ) -> StoreResult<Page<Playlist>> {
        unused()
    }
    async fn update_playlist(&self, _id: Id, _patch: PlaylistPatch) -> StoreResult<Playlist> {
        unused()
    }
    async fn delete_playlist(&self, _id: Id) -> StoreResult<()> {
        unused()
    }
    async fn create_upload(&self, _upload: Upload) -> StoreResult<()> {
        unused()
    }
    async fn upload(&self, _key: &str) -> StoreResult<Upload> {
        unused()
    }
    async fn expire_uploads(&self, _now: Millis) -> StoreResult<u64> {
        unused()
    }
    async fn garbage(&self, _limit: u32) -> StoreResult<Vec<Garbage>> {
        unused()
    }
    async fn garbage_done(&self, _keys: &[String]) -> StoreResult<()> {
        unused()
    }
    async fn search_docs(&self, _scope: DocScope) -> StoreResult<Vec<SearchDoc>> {
        unused()
    }
    async fn all_search_docs(
        &self,
        kind: DocKind,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<SearchDoc>> {
        (self.pages)(kind, after, limit)
    }
}
