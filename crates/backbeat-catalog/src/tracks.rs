//! The track lifecycle: an upload slot and its signed URL, the uploaded bytes checked as
//! audio, the track created on them (or its audio replaced), metadata changes, deletion, and
//! the signed stream URL. Each write hands its [`Event`]s to [`crate::effects`].
//!
//! Every check runs before the first write, so a refused request changes nothing. A blob that
//! is not usable audio is deleted at once (the client may PUT again while its URL lasts).

use std::sync::Arc;

use backbeat_store::signing::SignedOp;
use backbeat_store::{
    new_id, now_millis, AudioFacts, Id, ListQuery, NewTrack, Page, StoreError, Track, TrackPatch,
    TrackStatus, Upload,
};

use crate::audio_limits::AudioLimits;
use crate::cache::CachedTrack;
use crate::effects::{self, Event};
use crate::error::{CatalogError, CatalogResult, Fields};
use crate::links::{self, AUDIO_PREFIX};
use crate::slot_lock::{Attempt, SlotLock};
use crate::streaming;
use crate::text::{clean_text, optional_text};
use crate::{policy, quota, upload_check, Caller, Inner};

/// Why a track cannot be made from an upload right now: another request holds its slot (an
/// upload landing, or another track being made from it).
pub const UPLOAD_BUSY: &str = "this upload is being written or used by another request right \
    now; retry in a moment";

/// Longest track title, in characters.
pub const MAX_TITLE: usize = 200;

/// The track use cases.
pub struct Tracks<'a>(pub(crate) &'a Inner);

/// Where and until when a client may upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSlot {
    /// `PUT` the bytes here (signed; bound to one key, a size limit and an expiry).
    pub upload_url: String,
    /// Names the uploaded audio in `create` and `update`.
    pub track_url: String,
    /// Unix milliseconds, whole seconds.
    pub expires_at: i64,
    pub max_bytes: u64,
}

/// A new track: its album, title and the `track_url` of an upload slot whose bytes were PUT.
#[derive(Debug, Clone)]
pub struct TrackDraft {
    pub album_id: Id,
    pub title: String,
    pub track_url: String,
}

/// Changes to a track; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct TrackChanges {
    pub album_id: Option<Id>,
    pub title: Option<String>,
    /// The `track_url` of an update slot whose bytes were PUT: replaces the audio.
    pub track_url: Option<String>,
}

/// A signed, expiring URL to the track's audio.
#[derive(Debug, Clone)]
pub struct StreamGrant {
    pub url: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// Seconds the URL stays valid.
    pub ttl_s: i64,
    pub track: Arc<CachedTrack>,
    /// The HLS/DASH ladder, once the `transcode` job has made it for the current audio; the
    /// same expiry.
    pub ladder: Option<crate::streaming::LadderGrant>,
}

impl Tracks<'_> {
    /// A signed upload URL for a new track's audio (artists and admins).
    pub async fn upload_slot(&self, caller: &Caller) -> CatalogResult<UploadSlot> {
        policy::require_creator(caller)?;
        self.new_slot(caller).await
    }

    /// A signed upload URL for replacing a track's audio (its owners and admins).
    pub async fn update_slot(&self, caller: &Caller, id: Id) -> CatalogResult<UploadSlot> {
        policy::owned_track(self.0, caller, id).await?;
        self.new_slot(caller).await
    }

    /// The track (from the cache when fresh).
    pub async fn get(&self, id: Id) -> CatalogResult<Arc<CachedTrack>> {
        policy::track(self.0, id).await
    }

    /// Tracks, optionally of one album.
    pub async fn list(&self, album: Option<Id>, q: ListQuery) -> CatalogResult<Page<Track>> {
        Ok(self.0.stores.library.list_tracks(album, q).await?)
    }

    /// Creates a track from uploaded audio once it checks out (artists and admins, on their
    /// own albums). Processing starts at once; `summary` makes the track ready.
    pub async fn create(&self, caller: &Caller, draft: TrackDraft) -> CatalogResult<Track> {
        let cat = self.0;
        policy::require_creator(caller)?;
        let title = clean_text("title", &draft.title, MAX_TITLE)?;
        let key = links::upload_key_of(&cat.config.public_url, &draft.track_url)?;
        policy::may_file_under(cat, caller, draft.album_id).await?;
        let (audio, lock) = self.check_upload(caller, &key).await?;
        let charged = match quota::charge(cat, caller, &audio, true).await {
            Ok(c) => c,
            Err(e) => {
                lock.release().await;
                return Err(e);
            }
        };
        let created = cat
            .stores
            .library
            .create_track(NewTrack {
                album_id: draft.album_id,
                title,
                upload_key: key,
                lock_token: lock.token().to_string(),
                uploader: caller.user_id,
                audio,
                status: TrackStatus::Processing,
            })
            .await;
        let track = match lock.after_claim(created).await {
            Ok(t) => t,
            Err(e) => {
                charged.refund(cat).await;
                return Err(upload_ref(e));
            }
        };
        effects::apply(cat, &[Event::TrackCreated(track.id)]).await?;
        Ok(track)
    }

    /// Changes a track's album or title and/or replaces its audio (its owners and admins).
    pub async fn update(
        &self,
        caller: &Caller,
        id: Id,
        changes: TrackChanges,
    ) -> CatalogResult<Track> {
        let cat = self.0;
        let current = policy::owned_track(cat, caller, id).await?;
        let mut fields = Fields::default();
        let title = optional_text(&mut fields, "title", changes.title.as_ref(), MAX_TITLE);
        fields.finish()?;
        if let Some(album) = changes.album_id {
            policy::may_file_under(cat, caller, album).await?;
        }
        let key = changes
            .track_url
            .as_deref()
            .map(|u| links::upload_key_of(&cat.config.public_url, u))
            .transpose()?;
        let mut track = current.track.clone();
        if let Some(k) = key {
            let (audio, lock) = self.check_upload(caller, &k).await?;
            let charged = match quota::charge(cat, caller, &audio, false).await {
                Ok(c) => c,
                Err(e) => {
                    lock.release().await;
                    return Err(e);
                }
            };
            let replaced = cat
                .stores
                .library
                .replace_track_audio(id, &k, lock.token(), caller.user_id, audio)
                .await;
            if let Err(e) = lock.after_claim(replaced).await {
                charged.refund(cat).await;
                return Err(upload_ref(e));
            }
            track = cat
                .stores
                .library
                .update_track(
                    id,
                    TrackPatch {
                        status: Some(TrackStatus::Processing),
                        ..TrackPatch::default()
                    },
                )
                .await?;
            // Before the metadata write: the new audio is committed whatever happens next.
            effects::apply(cat, &[Event::AudioReplaced(id)]).await?;
        }
        if title.is_some() || changes.album_id.is_some() {
            track = cat
                .stores
                .library
                .update_track(
                    id,
                    TrackPatch {
                        album_id: changes.album_id,
                        title,
                        status: None,
                    },
                )
                .await
                .map_err(upload_ref)?;
        }
        effects::apply(cat, &[Event::TrackChanged(id)]).await?;
        Ok(track)
    }

    /// Deletes a track, its audio and every derived artifact (its owners and admins).
    pub async fn delete(&self, caller: &Caller, id: Id) -> CatalogResult<()> {
        let cat = self.0;
        policy::owned_track(cat, caller, id).await?;
        cat.stores.library.delete_track(id).await?;
        effects::apply(cat, &[Event::TrackDeleted(id)]).await
    }

    /// A signed, expiring URL for the track's audio, and its streaming ladder when there is
    /// one (`normalise` picks the manifests that play the loudness gain by themselves). Anyone
    /// signed in may stream a ready track; a track still processing (or failed) only its
    /// owners and admins.
    pub async fn stream(
        &self,
        caller: &Caller,
        id: Id,
        normalise: bool,
    ) -> CatalogResult<StreamGrant> {
        let cat = self.0;
        let t = policy::streamable_track(cat, caller, id).await?;
        let ttl_s = i64::try_from(cat.config.stream_url_ttl_s).unwrap_or(i64::MAX / 4_000);
        let exp = now_millis() / 1000 + ttl_s;
        let query = cat.signer.sign(SignedOp::Get, &t.track.blob_key, exp, None);
        let ladder = match streaming::current_index(cat, &t.track).await? {
            Some(index) => Some(streaming::grant(
                cat,
                &t.track,
                index,
                cat.config.stream_url_ttl_s,
                normalise,
            )?),
            None => None,
        };
        Ok(StreamGrant {
            url: links::signed_url(&cat.config.public_url, &t.track.blob_key, &query),
            expires_at: exp * 1000,
            ttl_s,
            track: t,
            ladder,
        })
    }

    /// The track's audio transcoded on demand (MP3, Opus or AAC), streamed while it is made;
    /// who may listen is as for [`Tracks::stream`]. `Busy` past the server's or the caller's
    /// limit of concurrent transcodes.
    pub async fn progressive(
        &self,
        caller: &Caller,
        id: Id,
        request: crate::progressive::ProgressiveRequest,
    ) -> CatalogResult<backbeat_media::ondemand::Transcode> {
        crate::progressive::transcode(self.0, caller, id, request).await
    }

    /// A fresh upload slot for the caller and its signed URL.
    async fn new_slot(&self, caller: &Caller) -> CatalogResult<UploadSlot> {
        let cat = self.0;
        let cfg = &cat.config;
        let key = format!("{AUDIO_PREFIX}{}", new_id().simple());
        let now = now_millis();
        let ttl_ms =
            i64::try_from(cfg.upload_url_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
        let expires_at = now.saturating_add(ttl_ms);
        let max_bytes = cfg.max_upload_bytes;
        cat.stores
            .uploads
            .create_upload(Upload {
                key: key.clone(),
                user_id: caller.user_id,
                max_bytes: i64::try_from(max_bytes).unwrap_or(i64::MAX),
                expires_at,
                created_at: now,
            })
            .await?;
        let query = cat
            .signer
            .sign(SignedOp::Put, &key, expires_at / 1000, Some(max_bytes));
        Ok(UploadSlot {
            upload_url: links::signed_url(&cfg.public_url, &key, &query),
            track_url: links::blob_url(&cfg.public_url, &key),
            expires_at: expires_at / 1000 * 1000,
            max_bytes,
        })
    }

    /// Checks that `key` is an open upload slot of the caller's that holds bytes, and that
    /// the bytes are usable audio. Unusable bytes are deleted at once.
    ///
    /// The slot stays locked from before the bytes are read until the claim (the returned
    /// lock's token goes with it), so no upload can land in between: the track points at the
    /// very bytes checked here. A refused check releases the lock, and the slot takes a new
    /// upload as before.
    async fn check_upload(
        &self,
        caller: &Caller,
        key: &str,
    ) -> CatalogResult<(AudioFacts, SlotLock)> {
        let cat = self.0;
        let unusable =
            || CatalogError::field("trackUrl", "unknown, expired or already used upload");
        let upload = match cat.stores.uploads.upload(key).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => return Err(unusable()),
            Err(e) => return Err(e.into()),
        };
        if upload.user_id != caller.user_id || upload.expires_at <= now_millis() {
            return Err(unusable());
        }
        let lock = match SlotLock::acquire(&cat.stores.uploads, key).await? {
            Attempt::Locked(lock) => lock,
            Attempt::Busy => return Err(CatalogError::Conflict(UPLOAD_BUSY.into())),
            Attempt::Claimed | Attempt::Gone => return Err(unusable()),
        };
        match self.check_locked_upload(key).await {
            Ok(audio) => Ok((audio, lock)),
            Err(e) => {
                lock.release().await;
                Err(e)
            }
        }
    }

    /// The upload check proper, on a slot the caller has locked; deletes unusable bytes
    /// (under the lock, so never bytes an upload landed after the check).
    async fn check_locked_upload(&self, key: &str) -> CatalogResult<AudioFacts> {
        let cat = self.0;
        match cat.blobs.head(key).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(CatalogError::field(
                    "trackUrl",
                    "nothing has been uploaded to this URL",
                ))
            }
            Err(e) => return Err(e.into()),
        }
        let limits = AudioLimits::of(&cat.config);
        let result = upload_check::check_blob(&cat.blobs, key, &cat.scratch, limits).await;
        if matches!(
            result,
            Err(CatalogError::UnprocessableAudio(_) | CatalogError::AudioLimit(_))
        ) {
            if let Err(de) = cat.blobs.delete(key).await {
                tracing::warn!(key, error = %de, "could not delete a refused upload; gc will");
            }
        }
        result
    }
}

/// The store's reference errors of a track write, named after the request field at fault.
fn upload_ref(e: StoreError) -> CatalogError {
    match e {
        StoreError::InvalidReference(what) if what == "album" => {
            CatalogError::field("albumId", "no such album")
        }
        StoreError::InvalidReference(_) => {
            CatalogError::field("trackUrl", "unknown, expired or already used upload")
        }
        other => other.into(),
    }
}
