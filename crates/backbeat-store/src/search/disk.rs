//! The index on disk: which schema version wrote it, whether it was ever rebuilt, and wiping
//! it when it is stale (the catalog is the truth; a stale index is recreated, then rebuilt).

use std::path::Path;

use tantivy::directory::MmapDirectory;
use tantivy::Index;

use super::schema::build_schema;
use crate::error::{BoxError, StoreError, StoreResult};

/// Bump whenever the schema or the analysis changes: an index with another version is wiped
/// and recreated on open, and the caller rebuilds it from the catalog.
pub(super) const SCHEMA_VERSION: &str = "backbeat-search-4";
/// The file in the index folder that records [`SCHEMA_VERSION`].
pub(super) const VERSION_FILE: &str = "backbeat-schema-version";

/// Opens the index in `dir`, or creates it empty if there is none, it is of another schema
/// version, or it cannot be read. Returns the index and whether it still needs a rebuild.
pub(super) fn open_or_create(dir: &Path) -> StoreResult<(Index, bool)> {
    let err = |what: &'static str, e: BoxError| StoreError::search(what, e);
    std::fs::create_dir_all(dir).map_err(|e| err("creating the index folder", e.into()))?;
    let (schema, _) = build_schema();
    let state = disk_state(dir);
    let existing = match state {
        DiskState::Stale => None,
        DiskState::Pending | DiskState::Ready => match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => Some(index),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "search index unreadable; recreating it");
                None
            }
        },
    };
    if let Some(index) = existing {
        return Ok((index, state != DiskState::Ready));
    }
    wipe(dir)?;
    let mmap = MmapDirectory::open(dir).map_err(|e| err("opening the index folder", e.into()))?;
    let index = Index::create(mmap, schema, Default::default())
        .map_err(|e| err("creating the index", e.into()))?;
    write_version(dir, false)?;
    Ok((index, true))
}

/// What the version file says about the index in a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiskState {
    /// No index, or one of another schema version: recreate it.
    Stale,
    /// Current schema, but created empty and never (completely) rebuilt from the catalog.
    Pending,
    /// Current schema, rebuilt at least once and kept in step since.
    Ready,
}

/// Reads the version file: the schema version, then `ready` once a rebuild has completed (so a
/// crash in the middle of the first rebuild still asks for one on the next start).
fn disk_state(dir: &Path) -> DiskState {
    let Ok(text) = std::fs::read_to_string(dir.join(VERSION_FILE)) else {
        return DiskState::Stale;
    };
    let mut lines = text.lines();
    match (lines.next(), lines.next()) {
        (Some(v), Some("ready")) if v == SCHEMA_VERSION => DiskState::Ready,
        (Some(v), _) if v == SCHEMA_VERSION => DiskState::Pending,
        _ => DiskState::Stale,
    }
}

/// Records the current schema version, and whether the index has been rebuilt.
pub(super) fn write_version(dir: &Path, ready: bool) -> StoreResult<()> {
    let state = if ready { "ready" } else { "pending" };
    // Written to a temporary name and renamed, so a crash never leaves half a file.
    let tmp = dir.join(format!("{VERSION_FILE}.tmp"));
    std::fs::write(&tmp, format!("{SCHEMA_VERSION}\n{state}\n"))
        .and_then(|()| std::fs::rename(&tmp, dir.join(VERSION_FILE)))
        .map_err(|e| StoreError::search("writing the schema version", e))
}

/// Removes an old index from `dir`: only files tantivy or this module wrote (the folder may be
/// shared, e.g. misconfigured to the data folder, so nothing else is touched).
fn wipe(dir: &Path) -> StoreResult<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::search("reading the index folder", e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_index_file(name) && entry.path().is_file() {
            std::fs::remove_file(entry.path())
                .map_err(|e| StoreError::search("removing the old index", e))?;
        }
    }
    Ok(())
}

fn is_index_file(name: &str) -> bool {
    let segment_file = name
        .split_once('.')
        .is_some_and(|(stem, _)| stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()));
    segment_file
        || matches!(
            name,
            "meta.json" | ".managed.json" | ".tantivy-meta.lock" | ".tantivy-writer.lock"
        )
        || name.starts_with(VERSION_FILE)
}
