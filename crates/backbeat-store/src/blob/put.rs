//! Atomic streaming uploads, in two steps: [`stage`] reads the whole body into something no
//! reader can see, and [`StagedPut::commit`] makes it visible at the key at once.
//!
//! The two steps are apart so that a caller can decide *after* the body has arrived whether
//! it may still land (an upload slot claimed by a track meanwhile must keep its bytes), and
//! that decision does not have to be held open for as long as a slow client takes to send.
//!
//! A body shorter than one part stays in memory (at most one part per upload in flight, as
//! before) and is committed with a single `put` (the local store writes a staging file and
//! renames it; S3 makes the object visible only when the request completes). A longer body
//! becomes a multipart upload whose parts are all written when staging ends, and which is
//! likewise invisible until `complete`. Nothing is left behind when staging fails (a body
//! error, a body over its limit), when the staged put is discarded, or when it is dropped
//! uncommitted (the multipart upload is aborted: its staging file or parts deleted).

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{MultipartUpload, PutPayload, PutPayloadMut};
use tokio::task::JoinSet;

use super::{from_object_store, BlobStore, PutError};
use crate::error::{StoreError, StoreResult};

/// Parts in flight per upload.
const PART_CONCURRENCY: usize = 2;

/// An upload whose whole body has arrived and is stored where nobody can see it yet.
/// [`StagedPut::commit`] makes it visible; [`StagedPut::discard`] (or dropping it) throws it
/// away.
#[derive(Debug)]
pub struct StagedPut {
    blobs: BlobStore,
    key: String,
    path: ObjectPath,
    size: u64,
    held: Held,
}

/// Where a staged body waits.
#[derive(Debug)]
enum Held {
    /// A body shorter than one part, in memory.
    Whole(Bytes),
    /// A multipart upload with every part written.
    Parts(PendingParts),
}

impl StagedPut {
    /// The body's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The key the body is for.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Makes the body visible at its key, replacing whatever was there, in one step (quick:
    /// one small write, or completing a multipart upload whose parts are already written).
    /// Returns the size.
    pub async fn commit(self) -> StoreResult<u64> {
        let store = self.blobs.store.as_ref();
        let result = match self.held {
            Held::Whole(bytes) => store
                .put(&self.path, PutPayload::from_bytes(bytes))
                .await
                .map(drop)
                .map_err(from_object_store),
            Held::Parts(parts) => parts.complete().await,
        };
        if result.is_err() {
            self.blobs.remove_empty_parents(&self.key).await;
        }
        result.map(|()| self.size)
    }

    /// Throws the body away; nothing of it stays in the store.
    pub async fn discard(self) {
        if let Held::Parts(parts) = self.held {
            parts.abort(&self.path).await;
        }
        self.blobs.remove_empty_parents(&self.key).await;
    }
}

/// A multipart upload whose parts are written but that is not complete. Dropped without
/// [`PendingParts::complete`] or [`PendingParts::abort`], it aborts itself in the background
/// (the local store would delete its staging file anyway; S3 would keep the parts).
#[derive(Debug)]
struct PendingParts(Option<Box<dyn MultipartUpload>>);

impl PendingParts {
    async fn complete(mut self) -> StoreResult<()> {
        let Some(mut upload) = self.0.take() else {
            return Err(StoreError::blob("completing an upload", "already finished"));
        };
        match upload.complete().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let _ = upload.abort().await;
                Err(from_object_store(e))
            }
        }
    }

    async fn abort(mut self, path: &ObjectPath) {
        if let Some(mut upload) = self.0.take() {
            if let Err(e) = upload.abort().await {
                tracing::warn!(path = %path, error = %e, "aborting a staged upload failed");
            }
        }
    }
}

impl Drop for PendingParts {
    fn drop(&mut self) {
        if let (Some(mut upload), Ok(rt)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move {
                let _ = upload.abort().await;
            });
        }
    }
}

/// Streams `body` into a staged put for `key`; see the module docs.
pub(super) async fn stage<S, E>(
    blobs: &BlobStore,
    key: &str,
    path: ObjectPath,
    mut body: S,
    max_bytes: u64,
) -> Result<StagedPut, PutError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    let staged = |size, held| StagedPut {
        blobs: blobs.clone(),
        key: key.to_string(),
        path: path.clone(),
        size,
        held,
    };
    let mut total = 0u64;
    let mut first = BytesMut::new();
    // Buffer up to one part: most uploads end here and go in with one request.
    while first.len() < blobs.part_size {
        match next_chunk(&mut body, &mut total, max_bytes).await? {
            Some(chunk) => first.extend_from_slice(&chunk),
            None => return Ok(staged(total, Held::Whole(first.freeze()))),
        }
    }

    let upload = blobs
        .store
        .put_multipart(&path)
        .await
        .map_err(from_object_store)?;
    let mut writer = PartWriter::new(upload, blobs.part_size);
    let outcome = async {
        writer.push(first.freeze()).await?;
        while let Some(chunk) = next_chunk(&mut body, &mut total, max_bytes).await? {
            writer.push(chunk).await?;
        }
        writer.flush().await
    }
    .await;
    match outcome {
        Ok(()) => Ok(staged(total, Held::Parts(writer.into_pending().await))),
        Err(e) => {
            writer.into_pending().await.abort(&path).await;
            Err(e)
        }
    }
}

/// Writes a body as fixed-size parts (every part but the last exactly `part_size`, as S3-like
/// stores require), at most [`PART_CONCURRENCY`] at a time.
struct PartWriter {
    upload: Box<dyn MultipartUpload>,
    buffer: PutPayloadMut,
    part_size: usize,
    in_flight: JoinSet<object_store::Result<()>>,
}

impl PartWriter {
    fn new(upload: Box<dyn MultipartUpload>, part_size: usize) -> Self {
        Self {
            upload,
            buffer: PutPayloadMut::new(),
            part_size,
            in_flight: JoinSet::new(),
        }
    }

    /// Adds bytes, sending every part they fill.
    async fn push(&mut self, mut bytes: Bytes) -> Result<(), PutError> {
        while !bytes.is_empty() {
            let room = self.part_size - self.buffer.content_length();
            if bytes.len() < room {
                self.buffer.push(bytes);
                return Ok(());
            }
            self.buffer.push(bytes.split_to(room));
            self.send().await?;
        }
        Ok(())
    }

    /// Sends the last, partial part and waits until every part is written.
    async fn flush(&mut self) -> Result<(), PutError> {
        if !self.buffer.is_empty() {
            self.send().await?;
        }
        self.settle(0).await
    }

    /// Sends the buffer as the next part, once fewer than [`PART_CONCURRENCY`] are in flight.
    async fn send(&mut self) -> Result<(), PutError> {
        self.settle(PART_CONCURRENCY - 1).await?;
        let part = std::mem::take(&mut self.buffer);
        self.in_flight.spawn(self.upload.put_part(part.into()));
        Ok(())
    }

    /// Waits until at most `max` parts are in flight; the first failed part fails it.
    async fn settle(&mut self, max: usize) -> Result<(), PutError> {
        while self.in_flight.len() > max {
            match self.in_flight.join_next().await {
                None | Some(Ok(Ok(()))) => {}
                Some(Ok(Err(e))) => return Err(from_object_store(e).into()),
                Some(Err(e)) => return Err(StoreError::blob("writing an upload part", e).into()),
            }
        }
        Ok(())
    }

    /// The upload, with no part left running (a part still running after a failure is
    /// cancelled).
    async fn into_pending(mut self) -> PendingParts {
        self.in_flight.shutdown().await;
        PendingParts(Some(self.upload))
    }
}

/// The next chunk of the body, counted against the limit.
async fn next_chunk<S, E>(
    body: &mut S,
    total: &mut u64,
    max: u64,
) -> Result<Option<Bytes>, PutError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    match body.next().await {
        None => Ok(None),
        Some(Err(e)) => Err(PutError::Body(e.to_string())),
        Some(Ok(chunk)) => {
            *total = total.saturating_add(chunk.len() as u64);
            if *total > max {
                return Err(PutError::TooLarge(max));
            }
            Ok(Some(chunk))
        }
    }
}
