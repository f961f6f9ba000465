//! Leftovers of uploads that never finished: a process killed during a streaming put leaves
//! the backend's staging object behind (`object_store`'s local folder writes
//! `<key>#<n>` and renames it at the end), which no listing shows and no key names, so
//! nothing else would ever delete it. [`BlobStore::sweep_staging`] removes those idle for
//! longer than a grace period.
//!
//! Idle, not old: the local store appends every part to the staging file, so its modification
//! time is the upload's last progress. An upload in flight keeps its file fresh; one that
//! has not written for the whole grace period is dead (its process is gone, or its client
//! stalled far beyond any timeout). Keys never contain `#` (`signing::valid_key`), so such a
//! file is never a blob.
//!
//! Only a local folder has such files. On S3 the leftover is an incomplete multipart upload,
//! which the bucket's lifecycle rule (`AbortIncompleteMultipartUpload`) removes; the sweep
//! does nothing there.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{blob_err, BlobStore};
use crate::error::StoreResult;
use crate::model::Millis;

impl BlobStore {
    /// Deletes staging objects of unfinished uploads last written to before `written_before`
    /// (milliseconds since the epoch), and the folders they leave empty; returns how many
    /// objects.
    pub async fn sweep_staging(&self, written_before: Millis) -> StoreResult<u64> {
        let Some(root) = self.root.clone() else {
            return Ok(0);
        };
        let millis = u64::try_from(written_before).unwrap_or(0);
        let cutoff = SystemTime::UNIX_EPOCH + Duration::from_millis(millis);
        tokio::task::spawn_blocking(move || sweep(&root, cutoff))
            .await
            .map_err(|e| blob_err("sweeping staging files", e))?
    }
}

/// Whether `name` is a staging file of the local store (`<name>#<digits>`).
fn is_staging(name: &str) -> bool {
    name.split_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes the staging files under `root` last modified before `cutoff`.
fn sweep(root: &Path, cutoff: SystemTime) -> StoreResult<u64> {
    let mut removed = 0;
    let mut folders: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = folders.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            // Removed meanwhile (an upload's folder cleaned up): nothing left to sweep there.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(blob_err("listing the blob folder", e)),
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                folders.push(path);
                continue;
            }
            let idle = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
            if !kind.is_file() || !idle || !is_staging(&entry.file_name().to_string_lossy()) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    removed += 1;
                    remove_empty_parents(root, &path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(blob_err("removing a staging file", e)),
            }
        }
    }
    Ok(removed)
}

/// Removes the folders above `file` that are empty now, up to `root` (`remove_dir` refuses
/// a folder that is not empty, so a concurrent upload is never disturbed).
fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| *d != root && d.starts_with(root)) {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::is_staging;

    #[test]
    fn only_the_local_stores_staging_names_count() {
        assert!(is_staging("abc#1"));
        assert!(is_staging("audio.wav#123456"));
        assert!(!is_staging("abc"));
        assert!(!is_staging("abc#"));
        assert!(!is_staging("abc#x1"));
    }
}
