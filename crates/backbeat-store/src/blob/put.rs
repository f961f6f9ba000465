//! Atomic streaming uploads.
//!
//! A body shorter than one part goes in with a single `put` (the local store writes a staging
//! file and renames it; S3 makes the object visible only when the request completes). A longer
//! body becomes a multipart upload, which is likewise invisible until `complete`, and is
//! aborted (staging file or parts deleted) on any failure: a body error, a body over its limit,
//! or the caller dropping the future (the local store's upload deletes its staging file on drop).

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};

use super::{from_object_store, PutError};

/// Parts in flight per upload.
const PART_CONCURRENCY: usize = 2;

/// Streams `body` into `path`; see the module docs.
pub(super) async fn put_stream<S, E>(
    store: &dyn ObjectStore,
    path: &ObjectPath,
    mut body: S,
    max_bytes: u64,
    part_size: usize,
) -> Result<u64, PutError>
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
    E: std::fmt::Display,
{
    let mut total = 0u64;
    let mut first = BytesMut::new();
    // Buffer up to one part: most uploads end here and go in with one request.
    while first.len() < part_size {
        match next_chunk(&mut body, &mut total, max_bytes).await? {
            Some(chunk) => first.extend_from_slice(&chunk),
            None => {
                let payload = PutPayload::from_bytes(first.freeze());
                store.put(path, payload).await.map_err(from_object_store)?;
                return Ok(total);
            }
        }
    }

    let upload = store.put_multipart(path).await.map_err(from_object_store)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, part_size);
    writer.put(first.freeze());
    let outcome = async {
        while let Some(chunk) = next_chunk(&mut body, &mut total, max_bytes).await? {
            writer
                .wait_for_capacity(PART_CONCURRENCY)
                .await
                .map_err(from_object_store)?;
            writer.put(chunk);
        }
        Ok::<(), PutError>(())
    }
    .await;
    match outcome {
        Ok(()) => {
            writer.finish().await.map_err(from_object_store)?;
            Ok(total)
        }
        Err(e) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(path = %path, error = %abort, "aborting a failed upload failed");
            }
            Err(e)
        }
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
