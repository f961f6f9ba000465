//! The byte endpoints behind signed URLs: receiving an upload into its slot and opening a blob
//! for reading. The signature is the only credential (no token), so players and CDNs can
//! fetch; ranges, validators and caching headers are the transport's business.

use std::ops::Range;

use backbeat_store::blob::{BlobMeta, ByteStream, PutError};
use backbeat_store::signing::{valid_key, SignedOp, SignedQuery};
use backbeat_store::{now_millis, StoreError};
use bytes::Bytes;
use futures_util::TryStreamExt;

use crate::error::{CatalogError, CatalogResult};
use crate::Inner;

/// Access to blobs through signed URLs.
pub struct BlobAccess<'a>(pub(crate) &'a Inner);

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
        // The slot must still be open: once a track claims the key its audio is immutable.
        match cat.stores.uploads.upload(key).await {
            Ok(u) if u.expires_at > now_millis() => {}
            Ok(_) | Err(StoreError::NotFound) => return Err(CatalogError::Forbidden),
            Err(e) => return Err(e.into()),
        }
        if matches!(declared, Some(n) if n > max) {
            return Err(CatalogError::TooLarge(max));
        }
        let written = cat
            .blobs
            .put_stream(key, body, max)
            .await
            .map_err(|e| match e {
                PutError::TooLarge(limit) => CatalogError::TooLarge(limit),
                PutError::Body(d) => CatalogError::Interrupted(d),
                PutError::Store(s) => s.into(),
            })?;
        cat.metrics.upload_bytes.inc_by(written);
        Ok(cat.blobs.head(key).await?)
    }

    /// Opens a blob through a signed `GET` URL.
    pub async fn open(&self, key: &str, query: &SignedQuery) -> CatalogResult<OpenBlob> {
        self.authorize(SignedOp::Get, key, query)?;
        let meta = self.0.blobs.head(key).await?;
        Ok(OpenBlob {
            meta,
            valid_for_s: query.exp - now_millis() / 1000,
        })
    }

    /// The bytes of `range` of an opened blob.
    pub async fn read(&self, key: &str, range: Range<u64>) -> CatalogResult<ByteStream> {
        let len = range.end - range.start;
        let stream = self.0.blobs.get_range(key, range).await?;
        self.0.metrics.blob_bytes_served.inc_by(len);
        Ok(stream)
    }

    /// The media type of an opened blob, from its first bytes (the container's magic).
    pub async fn media_type(&self, key: &str, size: u64) -> &'static str {
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
