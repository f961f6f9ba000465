//! Blobs to and from local files, small reads and listings: what a worker needs to run a job
//! on local files without knowing where the store keeps its objects.
//!
//! A fetched file is a copy, never the store's own file: a job may write next to or over its
//! inputs, and the store's objects must stay as committed. With a local folder the copy is one
//! `copy_file_range` (no bytes through user space); any other backend streams the object.

use std::path::Path;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::{blob_err, from_object_store, object_path, BlobStore, PutError};
use crate::error::{StoreError, StoreResult};

impl BlobStore {
    /// Copies the blob at `key` into the local file `dest` (created or truncated); returns its
    /// size. `NotFound` if the blob does not exist.
    pub async fn fetch_to_file(&self, key: &str, dest: &Path) -> StoreResult<u64> {
        let path = object_path(key)?;
        if let Some(src) = self.local_file(key) {
            return match tokio::fs::copy(&src, dest).await {
                Ok(n) => Ok(n),
                // A folder is a key prefix, not a blob.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound || src.is_dir() => {
                    Err(StoreError::NotFound)
                }
                Err(e) => Err(blob_err("copying a blob to a local file", e)),
            };
        }
        let result = self.store.get(&path).await.map_err(from_object_store)?;
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| blob_err("creating a local file", e))?;
        let mut stream = result.into_stream();
        let mut total = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(from_object_store)?;
            file.write_all(&chunk)
                .await
                .map_err(|e| blob_err("writing a local file", e))?;
            total += chunk.len() as u64;
        }
        file.flush()
            .await
            .map_err(|e| blob_err("writing a local file", e))?;
        Ok(total)
    }

    /// Uploads the local file `src` to `key` atomically; refuses more than `max_bytes`.
    /// Returns the size.
    pub async fn put_file(&self, key: &str, src: &Path, max_bytes: u64) -> Result<u64, PutError> {
        let staged = self.stage_file(key, src, max_bytes).await?;
        Ok(staged.commit().await?)
    }

    /// Stages the local file `src` for `key` (see [`BlobStore::stage`]): nothing is visible
    /// until [`StagedPut::commit`](super::StagedPut::commit).
    pub async fn stage_file(
        &self,
        key: &str,
        src: &Path,
        max_bytes: u64,
    ) -> Result<super::StagedPut, PutError> {
        let file = tokio::fs::File::open(src)
            .await
            .map_err(|e| blob_err("opening a local file", e))?;
        // Reads of at most 1 MiB, but no bigger buffer than the file needs (most job outputs
        // are a few hundred bytes of JSON; zeroing 1 MiB for each showed in profiles).
        let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
        let chunk = usize::try_from(len.clamp(1, 1 << 20)).unwrap_or(1 << 20);
        let body = futures_util::stream::unfold(file, move |mut file| async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; chunk];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        });
        self.stage(key, Box::pin(body), max_bytes).await
    }

    /// The whole blob at `key` in memory, refusing one larger than `max` bytes (manifests,
    /// JSON outputs).
    pub async fn read_small(&self, key: &str, max: u64) -> StoreResult<Bytes> {
        let size = self.head(key).await?.size;
        if size > max {
            return Err(StoreError::blob(
                format!("reading `{key}`"),
                format!("{size} bytes, more than the {max} expected"),
            ));
        }
        let mut body = BytesMut::with_capacity(usize::try_from(size).unwrap_or(0));
        let mut stream = self.get_range(key, 0..size).await?;
        while let Some(chunk) = stream.next().await {
            body.extend_from_slice(&chunk?);
        }
        Ok(body.freeze())
    }

    /// The keys of every blob under `prefix`, sorted. Like [`BlobStore::delete_prefix`], the
    /// prefix matches whole segments only (`derived/a` lists `derived/a/x`, never
    /// `derived/ab`); nothing under it is an empty list.
    pub async fn list(&self, prefix: &str) -> StoreResult<Vec<String>> {
        let path = object_path(prefix.strip_suffix('/').unwrap_or(prefix))?;
        let mut keys: Vec<String> = self
            .store
            .list(Some(&path))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(from_object_store)?;
        keys.sort();
        Ok(keys)
    }
}
