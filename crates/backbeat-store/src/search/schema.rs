//! The index's schema, its text analysis, and the on-disk schema version.
//!
//! Titles and names are analysed by one tokenizer (split on anything but letters and digits,
//! lower-case, fold diacritics to ASCII) used both at indexing and at query time, so "Beyoncé",
//! "BEYONCE" and "beyonce" are the same term.
//!
//! Descriptor fields are reserved now (empty until analysis results are stored) so that
//! filtering by BPM range, key or tags later is a change to the query builder, not a schema
//! change and a rebuild: `bpm` is a fast f64 field (range filters), `key` an untokenised string
//! (`"C major"`), `tags` a facet (`/genre/techno`, `/mood/dark`).

use std::path::Path;

use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{doc, TantivyDocument};

use crate::error::{StoreError, StoreResult};
use crate::model::SearchDoc;

/// Bump whenever [`build_schema`] or the analysis changes: an index with another version is
/// wiped and recreated on open, and the caller rebuilds it from the catalog.
pub(super) const SCHEMA_VERSION: &str = "backbeat-search-3";
/// The file in the index folder that records [`SCHEMA_VERSION`].
pub(super) const VERSION_FILE: &str = "backbeat-schema-version";
/// Name of the title/name analyser in the index's tokenizer registry.
pub(super) const TOKENIZER: &str = "backbeat_folded";
/// Tokens longer than this (in bytes) are dropped: they are noise, and make fuzzy automata big.
pub(super) const MAX_TOKEN_BYTES: usize = 40;

/// The schema's fields, resolved once.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub id: Field,
    pub kind: Field,
    pub title: Field,
    pub artist_id: Field,
    pub artist_name: Field,
    pub album_id: Field,
    pub album_title: Field,
    pub created_at: Field,
}

/// The current schema and its fields.
pub(super) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                // BM25 needs term frequencies; no query uses positions.
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        artist_id: b.add_text_field("artist_id", STRING | STORED),
        artist_name: b.add_text_field("artist_name", text.clone()),
        album_id: b.add_text_field("album_id", STRING | STORED),
        album_title: b.add_text_field("album_title", text),
        created_at: b.add_i64_field("created_at", STORED | FAST),
    };
    // Reserved descriptor fields (see the module docs); `SearchQuery` grows matching filters.
    b.add_f64_field("bpm", INDEXED | FAST | STORED);
    b.add_text_field("key", STRING | STORED);
    b.add_facet_field("tags", FacetOptions::default().set_stored());
    (b.build(), fields)
}

/// The analyser for titles and names, at indexing and at query time.
pub(super) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The tantivy document for a catalog search document.
pub(super) fn to_document(f: &Fields, d: &SearchDoc) -> TantivyDocument {
    let mut doc = doc!(
        f.id => d.id.to_string(),
        f.kind => d.kind.as_str(),
        f.title => d.title.as_str(),
        f.artist_id => d.artist_id.to_string(),
        f.artist_name => d.artist_name.as_str(),
        f.created_at => d.created_at,
    );
    if let Some(album_id) = d.album_id {
        doc.add_text(f.album_id, album_id.to_string());
    }
    if let Some(album_title) = &d.album_title {
        doc.add_text(f.album_title, album_title);
    }
    doc
}

/// What the version file says about the index in a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DiskState {
    /// No index, or one of another schema version: recreate it.
    Stale,
    /// Current schema, but created empty and never (completely) rebuilt from the catalog.
    Pending,
    /// Current schema, rebuilt at least once and kept in step since.
    Ready,
}

/// Reads the version file: the schema version, then `ready` once a rebuild has completed (so a
/// crash in the middle of the first rebuild still asks for one on the next start).
pub(super) fn disk_state(dir: &Path) -> DiskState {
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
        .map_err(|e| StoreError::Search(format!("writing the schema version: {e}")))
}

/// Removes an old index from `dir`: only files tantivy or this module wrote (the folder may be
/// shared, e.g. misconfigured to the data folder, so nothing else is touched).
pub(super) fn wipe(dir: &Path) -> StoreResult<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Search(format!("reading the index folder: {e}"))),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_index_file(name) && entry.path().is_file() {
            std::fs::remove_file(entry.path())
                .map_err(|e| StoreError::Search(format!("removing the old index: {e}")))?;
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
