//! The cache directory: opening it (indexing complete files, deleting part files a crash
//! left), creating part files, and opening a hit.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::key::is_cache_name;
use super::{Inner, OnDemand, OnDemandConfig, OnDemandError, State};

/// Suffix of files being written.
const PART: &str = ".part";

/// Tells part files apart when one key is transcoded again before a cancelled transcode's
/// file is gone (and across engines sharing a directory in one process).
static PART_SEQ: AtomicU64 = AtomicU64::new(0);

impl OnDemand {
    /// Opens the cache at `cfg.cache_dir` (created if missing): complete files are indexed,
    /// oldest modification first, part files are deleted, and the cache is trimmed to its
    /// limit. Blocking; call it at start-up.
    pub fn open(cfg: OnDemandConfig) -> Result<OnDemand, OnDemandError> {
        if cfg.max_transcodes == 0 || cfg.max_per_user == 0 {
            return Err(OnDemandError::BadRequest(
                "max_transcodes and max_per_user must be at least 1".into(),
            ));
        }
        std::fs::create_dir_all(&cfg.cache_dir)?;
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&cfg.cache_dir)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.ends_with(PART) {
                remove(&entry.path());
            } else if is_cache_name(&name) {
                let meta = entry.metadata()?;
                if meta.is_file() {
                    let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    found.push((used, name, meta.len()));
                }
            }
        }
        found.sort();
        let mut state = State::default();
        for (_, name, size) in found {
            state.index.insert(&name, size);
        }
        for victim in state.index.evict_to(cfg.cache_max_bytes) {
            remove(&cfg.cache_dir.join(victim));
        }
        Ok(OnDemand {
            inner: Arc::new(Inner {
                cfg,
                state: Mutex::new(state),
                spawned: AtomicU64::new(0),
            }),
        })
    }

    /// The complete file `name` and its length, marked used; `None` when it is not cached
    /// (or was deleted behind the index's back, which then forgets it).
    pub(crate) fn hit(&self, state: &mut State, name: &str) -> Option<(File, u64)> {
        if !state.index.touch(name) {
            return None;
        }
        let path = self.inner.cfg.cache_dir.join(name);
        let opened = File::open(&path).and_then(|f| {
            let len = f.metadata()?.len();
            Ok((f, len))
        });
        match opened {
            Ok((f, len)) => {
                // The modification time is the recency a restart sorts by.
                let _ = f.set_modified(SystemTime::now());
                Some((f, len))
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cache file vanished");
                state.index.remove(name);
                None
            }
        }
    }
}

/// A new part file for `name` in `dir`, open for reading and writing.
pub(crate) fn create_part(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let seq = PART_SEQ.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{name}.{}-{seq}{PART}", std::process::id()));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove a cache file");
    }
}
