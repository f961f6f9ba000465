//! STUB — to be implemented (see the brief). Blob store over `object_store`.
use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::stream::BoxStream;

use crate::error::{StoreError, StoreResult};
use crate::model::Millis;

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
pub struct BlobStore {}

impl BlobStore {
    /// A store in a local folder (created if missing).
    pub fn local(_dir: &Path) -> StoreResult<Self> {
        unimplemented!()
    }
    /// Streams `body` into `key` atomically; refuses more than `max_bytes`. Returns the size.
    pub async fn put_stream<S, E>(
        &self,
        _key: &str,
        _body: S,
        _max_bytes: u64,
    ) -> Result<u64, PutError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        unimplemented!()
    }
    /// Size, modification time and ETag; `NotFound` if absent.
    pub async fn head(&self, _key: &str) -> StoreResult<BlobMeta> {
        unimplemented!()
    }
    /// The bytes in `range` (already validated against the size).
    pub async fn get_range(&self, _key: &str, _range: Range<u64>) -> StoreResult<ByteStream> {
        unimplemented!()
    }
    /// Deletes one blob; absent is fine.
    pub async fn delete(&self, _key: &str) -> StoreResult<()> {
        unimplemented!()
    }
    /// Deletes everything under `prefix`; returns how many.
    pub async fn delete_prefix(&self, _prefix: &str) -> StoreResult<u64> {
        unimplemented!()
    }
    /// A local file path for the blob when the store is a local folder (for probing without a copy).
    pub fn local_path(&self, _key: &str) -> Option<PathBuf> {
        unimplemented!()
    }
}
