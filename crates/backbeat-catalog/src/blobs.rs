//! The byte endpoints behind signed URLs: receiving an upload into its slot and opening a blob
//! for reading. The signature is the only credential (no token), so players and CDNs can
//! fetch; ranges, validators and caching headers are the transport's business.
//!
//! A URL proves itself in one of two ways ([`BlobGrant`]): a single-key signature in the query
//! (`/blobs/{key}?exp=…&sig=…`, for GET or PUT), or a read-only prefix grant in the path
//! (`/blobs/~{depth}.{exp}.{sig}/{key}`, every object below a prefix — what a streaming
//! manifest's relative segment URLs need).

use std::ops::Range;

use backbeat_store::blob::{BlobMeta, ByteStream, PutError, StagedPut};
use backbeat_store::signing::{split_prefix_token, valid_key, PrefixToken, SignedOp, SignedQuery};
use backbeat_store::{now_millis, SlotState};
use bytes::Bytes;
use futures_util::TryStreamExt;

use crate::error::{CatalogError, CatalogResult};
use crate::slot_lock::{Attempt, SlotLock};
use crate::Inner;

/// Why an upload to a slot a track has claimed is refused.
pub const SLOT_USED: &str = "this upload URL was already used by a track, whose audio cannot \
    change any more; to replace the audio, get an update URL and upload there";
/// Why an upload is refused while a track is being made from the slot (or another upload to
/// it is landing).
pub const SLOT_BUSY: &str = "a track is being created from this upload URL right now (or \
    another upload to it is finishing); retry in a moment: if the track was created, the URL \
    is used up";

/// Access to blobs through signed URLs.
pub struct BlobAccess<'a>(pub(crate) &'a Inner);

/// What a blob URL carries as its credential.
#[derive(Clone)]
pub enum BlobGrant {
    /// A signature over one key and one operation, in the query.
    Key(SignedQuery),
    /// A read-only grant over every key below a prefix, in the path.
    Prefix(PrefixToken),
}

impl BlobGrant {
    /// Splits the path below `/blobs/` into its grant and the object key: a leading `~…`
    /// segment is a prefix grant and the key follows it; otherwise the whole path is the key
    /// and its signature is in `query` (the raw query string). A URL whose credential cannot be
    /// read is `Forbidden`, like one whose credential does not verify.
    pub fn from_url<'p>(path: &'p str, query: Option<&str>) -> CatalogResult<(Self, &'p str)> {
        let refused = |e| {
            tracing::debug!(path, reason = %e, "blob URL refused");
            CatalogError::Forbidden
        };
        match split_prefix_token(path).map_err(refused)? {
            Some((token, key)) => Ok((BlobGrant::Prefix(token), key)),
            None => {
                let q = SignedQuery::parse(query.unwrap_or("")).map_err(refused)?;
                Ok((BlobGrant::Key(q), path))
            }
        }
    }

    /// Expiry, Unix seconds.
    fn exp(&self) -> i64 {
        match self {
            BlobGrant::Key(q) => q.exp,
            BlobGrant::Prefix(t) => t.exp(),
        }
    }
}

/// What a file of a streaming ladder is, for its caching and media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LadderFile {
    /// An HLS playlist.
    Playlist,
    /// A DASH MPD.
    Mpd,
    /// An init or media segment.
    Segment,
}

impl LadderFile {
    /// The kind of a ladder file, by its extension.
    fn of(name: &str) -> Option<Self> {
        match name.rsplit_once('.')?.1 {
            "m3u8" => Some(LadderFile::Playlist),
            "mpd" => Some(LadderFile::Mpd),
            "m4s" | "mp4" => Some(LadderFile::Segment),
            _ => None,
        }
    }

    /// Whether the file is a manifest (short-lived in caches) rather than a segment.
    pub fn is_manifest(self) -> bool {
        self != LadderFile::Segment
    }

    /// The HTTP media type.
    pub fn media_type(self) -> &'static str {
        match self {
            LadderFile::Playlist => "application/vnd.apple.mpegurl",
            LadderFile::Mpd => "application/dash+xml",
            LadderFile::Segment => "audio/mp4",
        }
    }
}

/// A blob opened for reading through a valid signed URL.
#[derive(Debug, Clone)]
pub struct OpenBlob {
    pub meta: BlobMeta,
    /// Seconds the URL stays valid (how long a client may cache what it read).
    pub valid_for_s: i64,
}

impl BlobAccess<'_> {
    /// Checks a signed URL's query for `op` on `key`; every refusal is `Forbidden` (the
    /// reason is logged at debug level only).
    pub fn authorize(&self, op: SignedOp, key: &str, query: &SignedQuery) -> CatalogResult<()> {
        if !valid_key(key) {
            return Err(CatalogError::Forbidden);
        }
        self.0
            .signer
            .verify(op, key, query, now_millis() / 1000)
            .map_err(|e| {
                tracing::debug!(key, reason = %e, "signed URL refused");
                CatalogError::Forbidden
            })
    }

    /// Streams an upload into its slot through a signed `PUT` URL, bounded by the size the
    /// URL was signed for; `declared` is the request's `Content-Length`, refused early when
    /// already too large. Returns the stored blob's facts.
    ///
    /// The body is staged whole before anything is visible, then lands only if the slot is
    /// still open at that moment (under the slot's lock, see `slot_lock.rs`): once a
    /// track has claimed the slot its audio never changes, and the late upload is a
    /// `Conflict`.
    pub async fn receive<S, E>(
        &self,
        key: &str,
        query: &SignedQuery,
        declared: Option<u64>,
        body: S,
    ) -> CatalogResult<BlobMeta>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let cat = self.0;
        self.authorize(SignedOp::Put, key, query)?;
        let max = query.max.unwrap_or(0).min(cat.config.max_upload_bytes);
        // Refuse before reading a byte what would be refused at the end anyway.
        match cat.stores.uploads.upload_state(key, now_millis()).await? {
            SlotState::Open | SlotState::Busy { .. } => {}
            SlotState::Claimed => return Err(CatalogError::Conflict(SLOT_USED.into())),
            SlotState::Gone => return Err(CatalogError::Forbidden),
        }
        if matches!(declared, Some(n) if n > max) {
            return Err(CatalogError::TooLarge(max));
        }
        // Nor start what cannot fit: a full disk answers 507 now, not after the body.
        cat.blobs.ensure_room(declared.unwrap_or(0))?;
        let staged = cat.blobs.stage(key, body, max).await.map_err(|e| match e {
            PutError::TooLarge(limit) => CatalogError::TooLarge(limit),
            PutError::Body(d) => CatalogError::Interrupted(d),
            PutError::Store(s) => s.into(),
        })?;
        let written = self.land(staged).await?;
        cat.metrics.upload_bytes.inc_by(written);
        Ok(cat.blobs.head(key).await?)
    }

    /// Makes a staged upload visible if its slot is still open, under the slot's lock so no
    /// track can check or claim the slot meanwhile; otherwise throws it away.
    async fn land(&self, staged: StagedPut) -> CatalogResult<u64> {
        let uploads = &self.0.stores.uploads;
        let key = staged.key().to_string();
        let refusal = match SlotLock::acquire(uploads, &key).await {
            Ok(Attempt::Locked(lock)) => {
                let committed = staged.commit().await;
                lock.release().await;
                return Ok(committed?);
            }
            Ok(Attempt::Claimed) => CatalogError::Conflict(SLOT_USED.into()),
            Ok(Attempt::Busy) => CatalogError::Conflict(SLOT_BUSY.into()),
            // Expired while the body was arriving: as for any expired URL.
            Ok(Attempt::Gone) => CatalogError::Forbidden,
            Err(e) => e,
        };
        staged.discard().await;
        Err(refusal)
    }

    /// Opens a blob for reading (GET/HEAD) through a signed URL or a prefix grant.
    pub async fn open(&self, key: &str, grant: &BlobGrant) -> CatalogResult<OpenBlob> {
        match grant {
            BlobGrant::Key(q) => self.authorize(SignedOp::Get, key, q)?,
            BlobGrant::Prefix(token) => self
                .0
                .signer
                .verify_prefix(token, key, now_millis() / 1000)
                .map_err(|e| {
                    tracing::debug!(key, reason = %e, "prefix grant refused");
                    CatalogError::Forbidden
                })?,
        }
        let meta = self.0.blobs.head(key).await?;
        Ok(OpenBlob {
            meta,
            valid_for_s: grant.exp() - now_millis() / 1000,
        })
    }

    /// A read-only grant for every object below `prefix` for `ttl_s` seconds: the path segment
    /// and prefix to put after `/blobs/` (`~{depth}.{exp}.{sig}/{prefix}`), to which relative
    /// keys are appended.
    pub fn grant_prefix(&self, prefix: &str, ttl_s: u64) -> CatalogResult<String> {
        let exp = now_millis() / 1000 + i64::try_from(ttl_s).unwrap_or(i64::MAX / 2);
        self.0
            .signer
            .sign_prefix(prefix, exp)
            .map_err(|e| CatalogError::Internal(format!("signing the prefix {prefix}: {e}")))
    }

    /// The bytes of `range` of an opened blob.
    pub async fn read(&self, key: &str, range: Range<u64>) -> CatalogResult<ByteStream> {
        let len = range.end - range.start;
        let stream = self.0.blobs.get_range(key, range).await?;
        self.0.metrics.blob_bytes_served.inc_by(len);
        Ok(stream)
    }

    /// Whether `key` is a file of a streaming ladder (`derived/T/transcode/vN/ladder/NAME`),
    /// and which kind.
    pub fn ladder_file(&self, key: &str) -> Option<LadderFile> {
        crate::streaming::ladder_file_name(key).and_then(LadderFile::of)
    }

    /// The media type of an opened blob: by name for a streaming ladder's files, otherwise
    /// from its first bytes (the container's magic).
    pub async fn media_type(&self, key: &str, size: u64) -> &'static str {
        if let Some(kind) = self.ladder_file(key) {
            return kind.media_type();
        }
        let mut head = Vec::with_capacity(16);
        if let Ok(mut s) = self.0.blobs.get_range(key, 0..size.min(16)).await {
            while let Ok(Some(chunk)) = s.try_next().await {
                head.extend_from_slice(&chunk);
                if head.len() >= 16 {
                    break;
                }
            }
        }
        match backbeat_audio::decode::sniff_container(&head) {
            Some("mp3") => "audio/mpeg",
            Some("flac") => "audio/flac",
            Some("ogg") => "audio/ogg",
            Some("wav") => "audio/wav",
            Some("mp4") => "audio/mp4",
            Some("aiff") => "audio/aiff",
            Some("matroska") => "audio/x-matroska",
            Some("caf") => "audio/x-caf",
            Some("adts") => "audio/aac",
            _ => "application/octet-stream",
        }
    }
}
