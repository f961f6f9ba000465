//! Playlists: a user's own ordered lists of tracks, private unless made public.

use backbeat_store::{Id, ListQuery, NewPlaylist, Page, Playlist, PlaylistPatch, StoreError};

use crate::error::{CatalogError, CatalogResult, FieldError, Fields};
use crate::text::{clean_text, optional_text};
use crate::{policy, Caller, Inner};

/// Longest playlist name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 2000;
/// Most tracks in one playlist.
pub const MAX_TRACKS: usize = 10_000;

/// The playlist use cases.
pub struct Playlists<'a>(pub(crate) &'a Inner);

/// A new playlist.
#[derive(Debug, Clone, Default)]
pub struct PlaylistDraft {
    pub name: String,
    pub description: Option<String>,
    pub public: Option<bool>,
    pub track_ids: Option<Vec<Id>>,
}

/// Changes to a playlist; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct PlaylistChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub public: Option<bool>,
    pub track_ids: Option<Vec<Id>>,
}

fn check_description(d: Option<&String>, fields: &mut Fields) -> Option<String> {
    let d = d?;
    if d.chars().count() > MAX_DESCRIPTION {
        fields.push(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
        return None;
    }
    Some(d.trim().to_string())
}

fn check_tracks(ids: &Option<Vec<Id>>, fields: &mut Fields) {
    if matches!(ids, Some(v) if v.len() > MAX_TRACKS) {
        fields.push(FieldError::new("trackIds", "at most 10000 tracks"));
    }
}

fn track_ref(e: StoreError) -> CatalogError {
    match e {
        StoreError::InvalidReference(_) => {
            CatalogError::field("trackIds", "contains a track that does not exist")
        }
        other => other.into(),
    }
}

impl Playlists<'_> {
    /// Creates a playlist owned by the caller (anyone signed in).
    pub async fn create(&self, caller: &Caller, draft: PlaylistDraft) -> CatalogResult<Playlist> {
        let mut fields = Fields::default();
        let name = fields.check(clean_text("name", &draft.name, MAX_NAME));
        let description = check_description(draft.description.as_ref(), &mut fields);
        check_tracks(&draft.track_ids, &mut fields);
        fields.finish()?;
        self.0
            .stores
            .playlists
            .create_playlist(NewPlaylist {
                owner_id: caller.user_id,
                name: name.unwrap_or_default(),
                description: description.unwrap_or_default(),
                public: draft.public.unwrap_or(false),
                track_ids: draft.track_ids.unwrap_or_default(),
            })
            .await
            .map_err(track_ref)
    }

    /// The caller's own playlists and public ones (admins see all).
    pub async fn list(&self, caller: &Caller, q: ListQuery) -> CatalogResult<Page<Playlist>> {
        let viewer = (!caller.is_admin()).then_some(caller.user_id);
        Ok(self.0.stores.playlists.list_playlists(viewer, q).await?)
    }

    /// One playlist, if the caller may see it.
    pub async fn get(&self, caller: &Caller, id: Id) -> CatalogResult<Playlist> {
        policy::visible_playlist(self.0, caller, id).await
    }

    /// Changes a playlist (its owner and admins).
    pub async fn update(
        &self,
        caller: &Caller,
        id: Id,
        changes: PlaylistChanges,
    ) -> CatalogResult<Playlist> {
        policy::owned_playlist(self.0, caller, id).await?;
        let mut fields = Fields::default();
        let name = optional_text(&mut fields, "name", changes.name.as_ref(), MAX_NAME);
        let description = check_description(changes.description.as_ref(), &mut fields);
        check_tracks(&changes.track_ids, &mut fields);
        fields.finish()?;
        let patch = PlaylistPatch {
            name,
            description,
            public: changes.public,
            track_ids: changes.track_ids,
        };
        self.0
            .stores
            .playlists
            .update_playlist(id, patch)
            .await
            .map_err(track_ref)
    }

    /// Deletes a playlist (its owner and admins).
    pub async fn delete(&self, caller: &Caller, id: Id) -> CatalogResult<()> {
        policy::owned_playlist(self.0, caller, id).await?;
        Ok(self.0.stores.playlists.delete_playlist(id).await?)
    }
}
