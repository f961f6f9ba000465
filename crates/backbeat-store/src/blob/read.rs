//! Range reads straight from a local file: the byte-serving hot path.
//!
//! Each chunk is one positioned read (`pread`) on the blocking pool, and the next chunk is
//! already being read while the consumer sends the current one. No thread is held between
//! chunks, so a slow client costs no blocking-pool thread, only an open file.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, StreamExt};
use tokio::task::JoinHandle;

use super::ByteStream;
use crate::error::{StoreError, StoreResult};

/// Bytes per read: large enough that per-chunk overhead vanishes, small enough to start fast.
pub(super) const CHUNK: u64 = 1024 * 1024;

type Pending = JoinHandle<std::io::Result<Bytes>>;

/// A stream of the bytes of `path` in `range`; `NotFound` now if the file does not exist.
pub(super) async fn local_range(path: PathBuf, range: Range<u64>) -> StoreResult<ByteStream> {
    let file = tokio::task::spawn_blocking(move || open_file(&path))
        .await
        .map_err(|e| StoreError::blob("blob read task", e))??;
    let file = Arc::new(file);
    let first = read_ahead(&file, range.start, range.end);
    let state = (file, range.start, range.end, first);
    Ok(stream::unfold(Some(state), |state| async move {
        let (file, pos, end, pending) = state?;
        let chunk = match pending?.await {
            Ok(Ok(chunk)) => chunk,
            Ok(Err(e)) => return Some((Err(StoreError::blob("reading a blob", e)), None)),
            Err(e) => return Some((Err(StoreError::blob("blob read task", e)), None)),
        };
        if chunk.is_empty() {
            // The file shrank under us: end the stream short rather than loop forever.
            return Some((
                Err(StoreError::blob(
                    "reading a blob",
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "blob shorter than expected",
                    ),
                )),
                None,
            ));
        }
        let pos = pos + chunk.len() as u64;
        let next = read_ahead(&file, pos, end);
        Some((Ok(chunk), Some((file, pos, end, next))))
    })
    .boxed())
}

/// Opens a regular file; a missing one, or a folder (a key prefix is not a blob), is `NotFound`.
fn open_file(path: &std::path::Path) -> StoreResult<File> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StoreError::NotFound,
        _ => StoreError::blob("opening a blob", e),
    })?;
    match file.metadata() {
        Ok(meta) if meta.is_file() => Ok(file),
        Ok(_) => Err(StoreError::NotFound),
        Err(e) => Err(StoreError::blob("reading a blob's metadata", e)),
    }
}

/// Starts reading the chunk at `pos` (if any is left before `end`).
fn read_ahead(file: &Arc<File>, pos: u64, end: u64) -> Option<Pending> {
    if pos >= end {
        return None;
    }
    let file = Arc::clone(file);
    let len = (end - pos).min(CHUNK) as usize;
    Some(tokio::task::spawn_blocking(move || {
        let mut buf = BytesMut::zeroed(len);
        let mut filled = 0;
        while filled < len {
            match file.read_at(&mut buf[filled..], pos + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(filled);
        Ok(buf.freeze())
    }))
}
