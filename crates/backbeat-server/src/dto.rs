//! What the catalog endpoints send and accept on the wire (camelCase JSON), kept apart from the
//! store's model so the database can change without changing the API.

use backbeat_store::{
    Album, AlbumKind, Artist, AudioFacts, Page, Playlist, SortField, SortOrder, Track, TrackStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use crate::time::rfc3339;

/// An artist.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArtistDto {
    pub id: Uuid,
    pub name: String,
    /// Ids of the users who may change this artist.
    pub owners: Vec<Uuid>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Artist> for ArtistDto {
    fn from(a: &Artist) -> Self {
        Self {
            id: a.id,
            name: a.name.clone(),
            owners: a.owners.clone(),
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

/// An album (a standalone track is a `single` of one).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlbumDto {
    pub id: Uuid,
    pub artist_id: Uuid,
    pub title: String,
    #[schema(value_type = String, example = "album")]
    pub kind: AlbumKind,
    pub release_year: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Album> for AlbumDto {
    fn from(a: &Album) -> Self {
        Self {
            id: a.id,
            artist_id: a.artist_id,
            title: a.title.clone(),
            kind: a.kind,
            release_year: a.release_year,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

/// What probing the audio found.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AudioDto {
    pub container: String,
    pub codec: String,
    pub duration_ms: i64,
    pub sample_rate: i64,
    pub channels: i64,
    pub bytes: i64,
}

impl From<&AudioFacts> for AudioDto {
    fn from(a: &AudioFacts) -> Self {
        Self {
            container: a.container.clone(),
            codec: a.codec.clone(),
            duration_ms: a.duration_ms,
            sample_rate: a.sample_rate,
            channels: a.channels,
            bytes: a.bytes,
        }
    }
}

/// A track.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackDto {
    pub id: Uuid,
    pub album_id: Uuid,
    pub title: String,
    /// `processing` until the processing pipeline has run, then `ready` (or `failed`).
    #[schema(value_type = String, example = "processing")]
    pub status: TrackStatus,
    pub audio: AudioDto,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Track> for TrackDto {
    fn from(t: &Track) -> Self {
        Self {
            id: t.id,
            album_id: t.album_id,
            title: t.title.clone(),
            status: t.status,
            audio: AudioDto::from(&t.audio),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// A playlist.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaylistDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub description: String,
    pub public: bool,
    /// In play order.
    pub track_ids: Vec<Uuid>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Playlist> for PlaylistDto {
    fn from(p: &Playlist) -> Self {
        Self {
            id: p.id,
            owner_id: p.owner_id,
            name: p.name.clone(),
            description: p.description.clone(),
            public: p.public,
            track_ids: p.track_ids.clone(),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageDto<T> {
    pub items: Vec<T>,
    /// Number of matching records in all pages.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

impl<T> PageDto<T> {
    /// Converts a store page.
    pub fn from_page<M>(page: &Page<M>, q: &ListParams) -> Self
    where
        T: for<'a> From<&'a M>,
    {
        Self {
            items: page.items.iter().map(T::from).collect(),
            total: page.total,
            limit: q.limit(),
            offset: q.offset(),
        }
    }
}

/// Pagination and sorting of a listing.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Records to skip (default 0, at most 1,000,000).
    #[param(minimum = 0, maximum = 1_000_000)]
    pub offset: Option<u64>,
    /// `createdAt` (default), `updatedAt` or `name` (title for albums and tracks).
    #[param(value_type = Option<String>)]
    pub sort: Option<SortKey>,
    /// `asc` (default) or `desc`.
    #[param(value_type = Option<String>)]
    pub order: Option<SortOrder>,
}

/// Sort keys on the wire.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum SortKey {
    CreatedAt,
    UpdatedAt,
    Name,
}

impl SortKey {
    /// Every key, as the API document lists them.
    pub const ALL: [Self; 3] = [Self::CreatedAt, Self::UpdatedAt, Self::Name];

    /// The name on the wire (what serde reads).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatedAt => "createdAt",
            Self::UpdatedAt => "updatedAt",
            Self::Name => "name",
        }
    }
}

/// Largest page.
pub const MAX_LIMIT: u32 = 200;
/// Deepest offset (deep offsets are slow; use filters).
pub const MAX_OFFSET: u64 = 1_000_000;

impl ListParams {
    /// The page size, clamped.
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(50).clamp(1, MAX_LIMIT)
    }
    /// The offset, clamped.
    pub fn offset(&self) -> u64 {
        self.offset.unwrap_or(0).min(MAX_OFFSET)
    }
    /// Validates the bounds (out-of-range values are an error, not silently clamped).
    pub fn query(&self) -> Result<backbeat_store::ListQuery, crate::error::ApiError> {
        if matches!(self.limit, Some(l) if l == 0 || l > MAX_LIMIT) {
            return Err(crate::error::ApiError::field(
                "limit",
                "must be between 1 and 200",
            ));
        }
        if matches!(self.offset, Some(o) if o > MAX_OFFSET) {
            return Err(crate::error::ApiError::field(
                "offset",
                "must be at most 1000000",
            ));
        }
        Ok(backbeat_store::ListQuery {
            limit: self.limit(),
            offset: self.offset(),
            sort: match self.sort {
                None | Some(SortKey::CreatedAt) => SortField::CreatedAt,
                Some(SortKey::UpdatedAt) => SortField::UpdatedAt,
                Some(SortKey::Name) => SortField::Name,
            },
            order: self.order.unwrap_or_default(),
        })
    }
}

/// The id a delete answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub id: Uuid,
}
