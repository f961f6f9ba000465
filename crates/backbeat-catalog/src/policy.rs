//! Who may do what on the catalog, and loading the records those rules look at (through the
//! cache). Every rule lives here, so a use case reads as a sequence of checks.
//!
//! Rules: any signed-in user reads the catalog and streams ready tracks; artists and admins
//! create artists; an artist's owners (and admins) change the artist, its albums and tracks;
//! a playlist's owner (and admins) change it, and only public playlists are visible to others.
//!
//! Owner rights over an artist (changing it, its albums and tracks, replacing audio, reading
//! job states, streaming tracks not yet ready) need both: being an owner *and* a role that may
//! write (artist or admin). A demoted owner keeps their place in the owners list (a promotion
//! gives the rights back) but none of its rights; only artists and admins can be made owners.
//! The caller's role is the user's current one (see `accounts::current`), so a demotion
//! reaches every request within seconds.

use std::sync::Arc;

use backbeat_store::{Album, Artist, Id, Playlist, Role};

use crate::cache::CachedTrack;
use crate::error::{CatalogError, CatalogResult};
use crate::{Caller, Inner};

/// The artist, from the cache when fresh.
pub(crate) async fn artist(cat: &Inner, id: Id) -> CatalogResult<Arc<Artist>> {
    if let Some(a) = cat.cache.artists.get(&id) {
        return Ok(a);
    }
    let epoch = cat.cache.artists.epoch();
    let a = Arc::new(cat.stores.library.artist(id).await?);
    cat.cache.artists.insert(id, a.clone(), epoch);
    Ok(a)
}

/// The album, from the cache when fresh.
pub(crate) async fn album(cat: &Inner, id: Id) -> CatalogResult<Arc<Album>> {
    if let Some(a) = cat.cache.albums.get(&id) {
        return Ok(a);
    }
    let epoch = cat.cache.albums.epoch();
    let a = Arc::new(cat.stores.library.album(id).await?);
    cat.cache.albums.insert(id, a.clone(), epoch);
    Ok(a)
}

/// The track, from the cache when fresh.
pub(crate) async fn track(cat: &Inner, id: Id) -> CatalogResult<Arc<CachedTrack>> {
    if let Some(t) = cat.cache.tracks.get(&id) {
        cat.metrics.cache_hits.inc();
        return Ok(t);
    }
    cat.metrics.cache_misses.inc();
    let epoch = cat.cache.tracks.epoch();
    let t = Arc::new(CachedTrack::new(cat.stores.library.track(id).await?));
    cat.cache.tracks.insert(id, t.clone(), epoch);
    Ok(t)
}

/// Track `id` if `caller` may listen to it: anyone signed in to a ready track; to one still
/// processing (or failed), only its owners and admins.
pub(crate) async fn streamable_track(
    cat: &Inner,
    caller: &Caller,
    id: Id,
) -> CatalogResult<Arc<CachedTrack>> {
    let t = track(cat, id).await?;
    if t.track.status != backbeat_store::TrackStatus::Ready
        && !owns_album(cat, caller, t.track.album_id).await?
    {
        return Err(CatalogError::Forbidden);
    }
    Ok(t)
}

/// `true` for the roles that may write to the catalog: artists and admins.
pub fn may_write(role: Role) -> bool {
    match role {
        Role::Artist | Role::Admin => true,
        Role::Listener => false,
    }
}

/// Artists and admins may create artists (and so albums and tracks).
pub fn require_creator(caller: &Caller) -> CatalogResult<()> {
    if may_write(caller.role) {
        Ok(())
    } else {
        Err(CatalogError::Forbidden)
    }
}

/// `true` if the caller may change this artist and everything under it: admins, and owners
/// whose role may write (a listener among the owners has no rights).
pub fn owns_artist(caller: &Caller, artist: &Artist) -> bool {
    caller.is_admin() || (may_write(caller.role) && artist.owners.contains(&caller.user_id))
}

/// Only users whose role may write can be made owners: a listener as owner would be a name
/// in the list with no rights, which is not what whoever added them meant.
pub(crate) async fn may_own(cat: &Inner, user: Id) -> CatalogResult<()> {
    match cat.stores.accounts.user(user).await {
        Ok(u) if may_write(u.role) => Ok(()),
        Ok(_) => Err(CatalogError::field(
            "userId",
            "is a listener; only artists and admins can own an artist",
        )),
        Err(backbeat_store::StoreError::NotFound) => {
            Err(CatalogError::field("userId", "no such user"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The artist, if the caller may change it (`Forbidden` otherwise, `NotFound` if absent).
pub(crate) async fn owned_artist(
    cat: &Inner,
    caller: &Caller,
    id: Id,
) -> CatalogResult<Arc<Artist>> {
    let a = artist(cat, id).await?;
    if owns_artist(caller, &a) {
        Ok(a)
    } else {
        Err(CatalogError::Forbidden)
    }
}

/// The album, if the caller may change it (`Forbidden` otherwise, `NotFound` if absent).
pub(crate) async fn owned_album(cat: &Inner, caller: &Caller, id: Id) -> CatalogResult<Arc<Album>> {
    let al = album(cat, id).await?;
    owned_artist(cat, caller, al.artist_id).await?;
    Ok(al)
}

/// `true` if the caller may change the album (and its tracks); `NotFound` if it is absent.
pub(crate) async fn owns_album(cat: &Inner, caller: &Caller, album_id: Id) -> CatalogResult<bool> {
    if caller.is_admin() {
        return Ok(true);
    }
    let al = album(cat, album_id).await?;
    let ar = artist(cat, al.artist_id).await?;
    Ok(owns_artist(caller, &ar))
}

/// `owns_album` for an album named in a request body: absent is a field error, not 404.
pub(crate) async fn may_file_under(
    cat: &Inner,
    caller: &Caller,
    album_id: Id,
) -> CatalogResult<()> {
    match owns_album(cat, caller, album_id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(CatalogError::Forbidden),
        Err(CatalogError::NotFound) => Err(CatalogError::field("albumId", "no such album")),
        Err(e) => Err(e),
    }
}

/// The track, if the caller may change it (`Forbidden` otherwise, `NotFound` if absent).
pub(crate) async fn owned_track(
    cat: &Inner,
    caller: &Caller,
    id: Id,
) -> CatalogResult<Arc<CachedTrack>> {
    let t = track(cat, id).await?;
    if owns_album(cat, caller, t.track.album_id).await? {
        Ok(t)
    } else {
        Err(CatalogError::Forbidden)
    }
}

/// The playlist if the caller may see it; someone else's private playlist is "not found".
pub(crate) async fn visible_playlist(
    cat: &Inner,
    caller: &Caller,
    id: Id,
) -> CatalogResult<Playlist> {
    let p = cat.stores.playlists.playlist(id).await?;
    if p.public || p.owner_id == caller.user_id || caller.is_admin() {
        Ok(p)
    } else {
        Err(CatalogError::NotFound)
    }
}

/// The playlist if the caller may change it (`Forbidden` if visible but not theirs).
pub(crate) async fn owned_playlist(
    cat: &Inner,
    caller: &Caller,
    id: Id,
) -> CatalogResult<Playlist> {
    let p = visible_playlist(cat, caller, id).await?;
    if p.owner_id == caller.user_id || caller.is_admin() {
        Ok(p)
    } else {
        Err(CatalogError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_rights_need_ownership_and_a_role_that_may_write() {
        let owner = backbeat_store::new_id();
        let artist = Artist {
            id: backbeat_store::new_id(),
            name: "A".into(),
            owners: vec![owner],
            created_at: 0,
            updated_at: 0,
        };
        let as_role = |user_id, role| Caller { user_id, role };
        assert!(owns_artist(&as_role(owner, Role::Artist), &artist));
        assert!(!owns_artist(&as_role(owner, Role::Listener), &artist));
        let stranger = backbeat_store::new_id();
        assert!(!owns_artist(&as_role(stranger, Role::Artist), &artist));
        assert!(owns_artist(&as_role(stranger, Role::Admin), &artist));
        assert!(require_creator(&as_role(owner, Role::Listener)).is_err());
    }
}
