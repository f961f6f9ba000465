//! Loading catalog records through the cache and checking who may change them. Every rule of
//! "who may do what" on the catalog lives here, so handlers read as a sequence of checks.
//!
//! Rules: any signed-in user reads the catalog and streams ready tracks; artists and admins
//! create artists; an artist's owners (and admins) change the artist, its albums and tracks;
//! a playlist's owner (and admins) change it, and only public playlists are visible to others.

use std::sync::Arc;

use backbeat_store::{Album, Artist, Id, Playlist, Role};

use crate::auth::Caller;
use crate::cache::CachedTrack;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The artist, from the cache when fresh.
pub async fn artist(state: &AppState, id: Id) -> ApiResult<Arc<Artist>> {
    if let Some(a) = state.cache.artists.get(&id) {
        return Ok(a);
    }
    let epoch = state.cache.artists.epoch();
    let a = Arc::new(state.store.artist(id).await?);
    state.cache.artists.insert(id, a.clone(), epoch);
    Ok(a)
}

/// The album, from the cache when fresh.
pub async fn album(state: &AppState, id: Id) -> ApiResult<Arc<Album>> {
    if let Some(a) = state.cache.albums.get(&id) {
        return Ok(a);
    }
    let epoch = state.cache.albums.epoch();
    let a = Arc::new(state.store.album(id).await?);
    state.cache.albums.insert(id, a.clone(), epoch);
    Ok(a)
}

/// The track with its serialised body, from the cache when fresh.
pub async fn track(state: &AppState, id: Id) -> ApiResult<Arc<CachedTrack>> {
    if let Some(t) = state.cache.tracks.get(&id) {
        state.metrics.cache_hits.inc();
        return Ok(t);
    }
    state.metrics.cache_misses.inc();
    let epoch = state.cache.tracks.epoch();
    let t = state.store.track(id).await?;
    let cached = Arc::new(crate::routes::tracks::cached(t)?);
    state.cache.tracks.insert(id, cached.clone(), epoch);
    Ok(cached)
}

/// Artists and admins may create artists (and so albums and tracks).
pub fn require_creator(caller: &Caller) -> ApiResult<()> {
    match caller.role {
        Role::Artist | Role::Admin => Ok(()),
        Role::Listener => Err(ApiError::Forbidden),
    }
}

/// `true` if the caller may change this artist and everything under it.
pub fn owns_artist(caller: &Caller, artist: &Artist) -> bool {
    caller.is_admin() || artist.owners.contains(&caller.user_id)
}

/// The artist, if the caller may change it (403 otherwise, 404 if absent).
pub async fn owned_artist(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Arc<Artist>> {
    let a = artist(state, id).await?;
    if owns_artist(caller, &a) {
        Ok(a)
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The album, if the caller may change it (403 otherwise, 404 if absent).
pub async fn owned_album(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Arc<Album>> {
    let al = album(state, id).await?;
    owned_artist(state, caller, al.artist_id).await?;
    Ok(al)
}

/// `true` if the caller may change the album (and its tracks); absent artist counts as no.
pub async fn owns_album(state: &AppState, caller: &Caller, album_id: Id) -> ApiResult<bool> {
    if caller.is_admin() {
        return Ok(true);
    }
    let al = album(state, album_id).await?;
    let ar = artist(state, al.artist_id).await?;
    Ok(owns_artist(caller, &ar))
}

/// The playlist if the caller may see it; someone else's private playlist is "not found".
pub async fn visible_playlist(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Playlist> {
    let p = state.store.playlist(id).await?;
    if p.public || p.owner_id == caller.user_id || caller.is_admin() {
        Ok(p)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The playlist if the caller may change it (403 if visible but not theirs).
pub async fn owned_playlist(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Playlist> {
    let p = visible_playlist(state, caller, id).await?;
    if p.owner_id == caller.user_id || caller.is_admin() {
        Ok(p)
    } else {
        Err(ApiError::Forbidden)
    }
}
