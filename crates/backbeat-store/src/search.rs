//! STUB — to be implemented (see the brief). tantivy search index.
use std::path::Path;

use crate::catalog::CatalogStore;
use crate::error::StoreResult;
use crate::model::{DocKind, DocScope, Id, SearchDoc};

/// A search request. Descriptor filters (BPM range, key, tags) are added here later.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub text: String,
    pub kind: Option<DocKind>,
    pub limit: usize,
    pub offset: usize,
}

/// One result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SearchHit {
    pub kind: DocKind,
    pub id: Id,
    pub title: String,
    pub artist_id: Id,
    pub artist_name: String,
    pub album_id: Option<Id>,
    pub album_title: Option<String>,
    pub score: f32,
}

/// A page of results and the total number of matches.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub total: u64,
}

/// The index; cheap to clone, safe to share.
#[derive(Clone)]
pub struct SearchIndex {}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`.
    pub fn open(_dir: &Path) -> StoreResult<Self> {
        unimplemented!()
    }
    /// An index in memory (tests).
    pub fn in_memory() -> StoreResult<Self> {
        unimplemented!()
    }
    /// Adds or replaces documents; committed and searchable when this returns.
    pub async fn upsert(&self, _docs: Vec<SearchDoc>) -> StoreResult<()> {
        unimplemented!()
    }
    /// Removes everything in `scope` (an artist with its albums and tracks, ...).
    pub async fn delete(&self, _scope: DocScope) -> StoreResult<()> {
        unimplemented!()
    }
    /// Runs a query.
    pub fn search(&self, _q: &SearchQuery) -> StoreResult<SearchResults> {
        unimplemented!()
    }
    /// Replaces the whole index with the catalog's current contents; returns the doc count.
    pub async fn rebuild(&self, _store: &dyn CatalogStore) -> StoreResult<u64> {
        unimplemented!()
    }
    /// Number of documents.
    pub fn num_docs(&self) -> u64 {
        unimplemented!()
    }
}
