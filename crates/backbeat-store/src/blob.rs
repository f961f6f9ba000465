//! Blob store: audio and derived artifacts in an `object_store`, by key.
//!
//! Every operation goes through the [`ObjectStore`] trait so that S3 can replace the local
//! folder later, except reads of a local folder, which open the file directly: byte serving is
//! the hot path and large direct reads are several times faster than `object_store`'s generic
//! chunked stream. Keys are checked with [`valid_key`] before anything touches storage, which is
//! what rules out path traversal whatever the backend.
//!
//! Uploads are atomic: a body that fails, is cut short or grows past its limit leaves nothing
//! at the key and no staging file behind, and a body can be staged whole before anything
//! decides whether it may land ([`BlobStore::stage`], [`StagedPut`]; see `put`).

mod files;
mod location;
mod put;
mod read;
mod staging;

pub use location::{BadBlobLocation, BlobLocation};
pub use put::StagedPut;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore};

use crate::error::{StoreError, StoreResult};
use crate::model::Millis;
use crate::signing::valid_key;

/// Facts about a stored blob, for HTTP validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub size: u64,
    pub last_modified: Millis,
    /// Opaque, changes whenever the content could have.
    pub etag: String,
}

/// Why streaming an upload into the store failed. Nothing is left behind in every case.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error("the upload exceeds its limit of {0} bytes")]
    TooLarge(u64),
    #[error("reading the request body failed: {0}")]
    Body(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A stream of a blob's bytes.
pub type ByteStream = BoxStream<'static, Result<Bytes, StoreError>>;

/// Audio and derived artifacts, by key.
#[derive(Clone, Debug)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// The folder behind `store` when it is a local one (canonical path).
    root: Option<PathBuf>,
    /// Upload part size: memory held per upload in flight, and the size below which a body
    /// goes in with a single request.
    part_size: usize,
}

/// Part size for a local folder: parts are just writes, so keep them small. (An S3 store needs
/// at least 5 MiB for every part but the last; 8 MiB is the usual choice there.)
const LOCAL_PART_SIZE: usize = 1024 * 1024;

impl BlobStore {
    /// A store in a local folder (created if missing).
    pub fn local(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| blob_err("creating the blob folder", e))?;
        let root = dir
            .canonicalize()
            .map_err(|e| blob_err("resolving the blob folder", e))?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| blob_err("opening the blob folder", e))?
            // Deleting the last blob of a folder removes the folder too.
            .with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            root: Some(root),
            part_size: LOCAL_PART_SIZE,
        })
    }

    /// `Ok` when the store has room for `bytes` more and its reserve
    /// ([`crate::free_space::RESERVE_BYTES`]); a storage-full error otherwise, so an upload
    /// that cannot fit is refused before its first byte. Stores not in a local folder (S3)
    /// have no such limit.
    pub fn ensure_room(&self, bytes: u64) -> StoreResult<()> {
        match &self.root {
            Some(root) => crate::free_space::ensure_room(root, bytes)
                .map_err(|e| blob_err("no room in the blob store", e)),
            None => Ok(()),
        }
    }

    /// Streams `body` into `key` atomically; refuses more than `max_bytes`. Returns the size.
    ///
    /// An existing blob at `key` is replaced atomically (signed PUT URLs may be retried).
    /// [`BlobStore::stage`] then [`StagedPut::commit`], for callers with nothing to decide in
    /// between.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        body: S,
        max_bytes: u64,
    ) -> Result<u64, PutError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let staged = self.stage(key, body, max_bytes).await?;
        Ok(staged.commit().await?)
    }

    /// Streams `body` for `key` into a staged put that nobody can see until it is committed;
    /// refuses more than `max_bytes`. On failure nothing is left behind.
    pub async fn stage<S, E>(
        &self,
        key: &str,
        body: S,
        max_bytes: u64,
    ) -> Result<StagedPut, PutError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        let path = object_path(key)?;
        let result = put::stage(self, key, path, body, max_bytes).await;
        if result.is_err() {
            self.remove_empty_parents(key).await;
        }
        result
    }

    /// Size, modification time and ETag; `NotFound` if absent.
    pub async fn head(&self, key: &str) -> StoreResult<BlobMeta> {
        let path = object_path(key)?;
        let meta = self.store.head(&path).await.map_err(from_object_store)?;
        let last_modified = meta.last_modified.timestamp_millis();
        let etag = meta
            .e_tag
            .unwrap_or_else(|| format!("{:x}-{:x}", meta.size, last_modified));
        Ok(BlobMeta {
            size: meta.size,
            last_modified,
            etag,
        })
    }

    /// The bytes in `range` (already validated against the size).
    pub async fn get_range(&self, key: &str, range: Range<u64>) -> StoreResult<ByteStream> {
        let path = object_path(key)?;
        if let Some(file) = self.local_file(key) {
            return read::local_range(file, range).await;
        }
        if range.is_empty() {
            // Still answer NotFound for a missing blob, like the local path does.
            self.store.head(&path).await.map_err(from_object_store)?;
            return Ok(futures_util::stream::empty().boxed());
        }
        let opts = GetOptions {
            range: Some(range.into()),
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&path, opts)
            .await
            .map_err(from_object_store)?;
        Ok(result.into_stream().map_err(from_object_store).boxed())
    }

    /// Deletes one blob; absent is fine.
    pub async fn delete(&self, key: &str) -> StoreResult<()> {
        let path = object_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(from_object_store(e)),
        }
    }

    /// Deletes everything under `prefix`; returns how many.
    ///
    /// The prefix is a key or a key followed by `/`; it matches whole segments only
    /// (`derived/a` covers `derived/a/x`, never `derived/ab`).
    pub async fn delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        let path = object_path(prefix.strip_suffix('/').unwrap_or(prefix))?;
        let locations = self
            .store
            .list(Some(&path))
            .map_ok(|meta| meta.location)
            .boxed();
        let mut deleted = 0u64;
        let mut results = self.store.delete_stream(locations);
        while let Some(result) = results.next().await {
            match result {
                Ok(_) => deleted += 1,
                // Someone else deleted it first: it is gone, which is what was asked.
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(from_object_store(e)),
            }
        }
        Ok(deleted)
    }

    /// The store's own file for `key` when the store is a local folder: only for the store's
    /// fast paths (range reads, copies), never handed out, so nobody outside writes, renames
    /// or keeps a path into the store. `None` for an invalid key or a remote store; the file
    /// need not exist.
    fn local_file(&self, key: &str) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        valid_key(key).then(|| key.split('/').fold(root.clone(), |p, seg| p.join(seg)))
    }

    /// After a failed upload, removes the folders it created if they are empty (best effort;
    /// `remove_dir` refuses non-empty folders, so a concurrent upload is never disturbed).
    async fn remove_empty_parents(&self, key: &str) {
        let (Some(root), Some(file)) = (self.root.clone(), self.local_file(key)) else {
            return;
        };
        let _ = tokio::task::spawn_blocking(move || {
            let mut dir = file.parent();
            while let Some(d) = dir.filter(|d| *d != root && d.starts_with(&root)) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        })
        .await;
    }
}

/// The object path of a valid key; an invalid key can never exist, so it is `NotFound`.
fn object_path(key: &str) -> StoreResult<ObjectPath> {
    if !valid_key(key) {
        return Err(StoreError::NotFound);
    }
    ObjectPath::parse(key).map_err(|_| StoreError::NotFound)
}

/// A blob-store failure while doing `what`, keeping `e` (an `io::Error`, an
/// `object_store::Error`, ...) as its source.
fn blob_err(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::blob(what, e)
}

fn from_object_store(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        other => blob_err("object store request", other),
    }
}
