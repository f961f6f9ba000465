//! The catalog's records as the rest of Backbeat sees them. Plain data, no behaviour beyond
//! parsing and naming enum values; the SQL layer maps rows to these.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every catalog record is identified by a UUID (v7: time-ordered, so ids sort by creation).
pub type Id = Uuid;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// A new time-ordered id.
pub fn new_id() -> Id {
    Uuid::now_v7()
}

/// The current time in [`Millis`].
pub fn now_millis() -> Millis {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order (the API document lists them from this).
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            /// Parses the stored name; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What a user may do. Annotator and expert come with the review issue.
    Role {
        /// Streams and keeps playlists.
        Listener = "listener",
        /// Also creates and changes their own artists, albums and tracks.
        Artist = "artist",
        /// Everything.
        Admin = "admin",
    }
);

string_enum!(
    /// Album release type; a standalone track is a `single` album of one.
    AlbumKind {
        /// A full-length release.
        Album = "album",
        /// An extended play.
        Ep = "ep",
        /// A single (one track, usually).
        Single = "single",
    }
);

string_enum!(
    /// Where a track's audio is in its life.
    TrackStatus {
        /// Uploaded and probed; the processing pipeline has not finished.
        Processing = "processing",
        /// Processed and fully available.
        Ready = "ready",
        /// Processing failed (see the pipeline's record for why).
        Failed = "failed",
    }
);

string_enum!(
    /// Which kind of record a search document describes.
    DocKind {
        /// A track.
        Track = "track",
        /// An album.
        Album = "album",
        /// An artist.
        Artist = "artist",
    }
);

/// A registered account (never carries the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    /// Lower-cased, unique.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Raised whenever the access tokens issued so far must stop working (a role change, a
    /// refresh token replayed); every access token carries the epoch it was issued in.
    pub token_epoch: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What presenting a refresh token to [`crate::AccountStore::rotate_session`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Rotation {
    /// The token was its family's current one: it is replaced by the new hash.
    Rotated(User),
    /// The token was an earlier one of a live family (replayed after it was rotated): the
    /// family is deleted and the user's token epoch raised, so neither the thief's nor the
    /// victim's tokens of that sign-in work any more.
    Reused { user_id: Id },
}

/// What registering a user stores.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    /// PHC string (argon2id); hashing is the caller's job.
    pub password_hash: String,
    pub role: Role,
}

/// A long-lived API key's public record; the secret itself is only ever stored hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Id,
    pub user_id: Id,
    pub name: String,
    pub created_at: Millis,
}

/// A performer or band; owned by one or more users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artist {
    pub id: Id,
    pub name: String,
    /// User ids, sorted; never empty.
    pub owners: Vec<Id>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A release by one artist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Album {
    pub id: Id,
    pub artist_id: Id,
    pub title: String,
    pub kind: AlbumKind,
    pub release_year: Option<i32>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Changes to an album; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AlbumPatch {
    pub title: Option<String>,
    pub kind: Option<AlbumKind>,
    /// `Some(None)` clears the year.
    pub release_year: Option<Option<i32>>,
}

/// What the probe found out about an audio blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioFacts {
    pub container: String,
    pub codec: String,
    pub duration_ms: i64,
    pub sample_rate: i64,
    pub channels: i64,
    /// Size of the blob in bytes.
    pub bytes: i64,
}

/// A track: metadata plus the key of its audio blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: Id,
    pub album_id: Id,
    pub title: String,
    pub status: TrackStatus,
    /// Object-store key of the original upload; immutable (a replacement gets a new key).
    pub blob_key: String,
    pub audio: AudioFacts,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What creating a track stores. The upload named by `upload_key` is claimed in the same
/// transaction; it must belong to `uploader`, be unclaimed, unexpired and locked with
/// `lock_token`.
#[derive(Debug, Clone)]
pub struct NewTrack {
    pub album_id: Id,
    pub title: String,
    pub upload_key: String,
    /// The token the upload slot was locked with ([`crate::UploadStore::lock_upload`]): the
    /// claim succeeds only while the caller still holds that lock, so no upload can have
    /// changed the bytes since the caller checked them.
    pub lock_token: String,
    pub uploader: Id,
    pub audio: AudioFacts,
    pub status: TrackStatus,
}

/// Changes to a track's metadata; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TrackPatch {
    pub album_id: Option<Id>,
    pub title: Option<String>,
    pub status: Option<TrackStatus>,
}

/// An ordered list of tracks owned by one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Playlist {
    pub id: Id,
    pub owner_id: Id,
    pub name: String,
    pub description: String,
    pub public: bool,
    /// In play order; a track may appear more than once.
    pub track_ids: Vec<Id>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What creating a playlist stores.
#[derive(Debug, Clone)]
pub struct NewPlaylist {
    pub owner_id: Id,
    pub name: String,
    pub description: String,
    pub public: bool,
    pub track_ids: Vec<Id>,
}

/// Changes to a playlist; `None` leaves a field as it is; `track_ids` replaces the whole list.
#[derive(Debug, Clone, Default)]
pub struct PlaylistPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub public: Option<bool>,
    pub track_ids: Option<Vec<Id>>,
}

/// A pre-signed upload slot: the blob key the client may PUT to, until when, and how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    pub key: String,
    pub user_id: Id,
    pub max_bytes: i64,
    pub expires_at: Millis,
    pub created_at: Millis,
}

/// Where an upload slot stands ([`crate::UploadStore::upload_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// Unclaimed, unexpired and not locked: a PUT may write, a track may claim.
    Open,
    /// Unclaimed and unexpired, but locked by a PUT committing its bytes or a track checking
    /// and claiming them, until then (Unix milliseconds). Retrying after that may succeed.
    Busy { until: Millis },
    /// A track has claimed the slot: its bytes belong to that track and never change.
    Claimed,
    /// No such slot, or it expired unclaimed.
    Gone,
}

/// What [`crate::UploadStore::lock_upload`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockOutcome {
    /// The caller holds the slot's lock (with its token) until the lease ends, it unlocks, or
    /// a claim with the token clears it.
    Acquired,
    /// Someone else holds a live lock, until then (Unix milliseconds).
    Busy { until: Millis },
    /// A track has claimed the slot.
    Claimed,
    /// No such slot, or it expired unclaimed.
    Gone,
}

/// A blob (or every blob under a prefix) that no metadata points at any more and that the
/// garbage collector must delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Garbage {
    pub key: String,
    /// `true`: delete everything under `key` (a track's derived artifacts).
    pub prefix: bool,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// Sort key for listings. `Name` is the artist's or playlist's name, the album's or track's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    #[default]
    CreatedAt,
    UpdatedAt,
    Name,
}

/// Pagination and sorting of a listing. Ties are broken by id so pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: u32,
    pub offset: u64,
    pub sort: SortField,
    pub order: SortOrder,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            limit: 50,
            offset: 0,
            sort: SortField::CreatedAt,
            order: SortOrder::Asc,
        }
    }
}

/// One page of a listing plus the number of matching records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// What the search index needs to know about one record. Tracks carry their album's and
/// artist's names so "artist title" queries find them; ids let the index drop a whole artist
/// or album at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub kind: DocKind,
    pub id: Id,
    /// Track or album title, or artist name.
    pub title: String,
    pub artist_id: Id,
    pub artist_name: String,
    /// The album's id for tracks and albums; `None` for artists.
    pub album_id: Option<Id>,
    pub album_title: Option<String>,
    pub created_at: Millis,
}

/// Which records' search documents to fetch after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocScope {
    /// The artist, all its albums and all their tracks (a rename touches every one).
    Artist(Id),
    /// The album and its tracks.
    Album(Id),
    /// One track.
    Track(Id),
}
