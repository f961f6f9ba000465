//! A document source that only pages: the search tests need `all_search_docs`
//! and nothing else, and must not depend on the SQL implementation.

use async_trait::async_trait;
use backbeat_store::annotation::TrackSelection;
use backbeat_store::catalog::FilteredTracks;
use backbeat_store::model::*;
use backbeat_store::{DocSource, StoreError, StoreResult};

/// Produces one page of documents: `(kind, after, limit)`, like `all_search_docs`.
type PageFn = dyn Fn(DocKind, Option<Id>, u32) -> StoreResult<Vec<SearchDoc>> + Send + Sync;

/// A [`DocSource`] whose pages come from a function; scoped reads fail.
pub struct FakeCatalog {
    pages: Box<PageFn>,
}

impl FakeCatalog {
    /// A catalog holding exactly `docs`.
    pub fn with_docs(mut docs: Vec<SearchDoc>) -> Self {
        docs.sort_by_key(|d| d.id);
        Self::from_fn(move |kind, after, limit| Ok(page_of(&docs, kind, after, limit)))
    }

    /// A catalog whose pages come from `f`.
    pub fn from_fn(
        f: impl Fn(DocKind, Option<Id>, u32) -> StoreResult<Vec<SearchDoc>> + Send + Sync + 'static,
    ) -> Self {
        Self { pages: Box::new(f) }
    }
}

/// One page of `docs` (sorted by id), as `all_search_docs` returns it.
pub fn page_of(docs: &[SearchDoc], kind: DocKind, after: Option<Id>, limit: u32) -> Vec<SearchDoc> {
    docs.iter()
        .filter(|d| d.kind == kind && after.is_none_or(|a| d.id > a))
        .take(limit as usize)
        .cloned()
        .collect()
}

fn unused<T>() -> StoreResult<T> {
    Err(StoreError::database(
        "unused by the search tests",
        sqlx::Error::Protocol("not implemented by the fake".into()),
    ))
}

#[async_trait]
impl DocSource for FakeCatalog {
    async fn search_docs(&self, _scope: DocScope) -> StoreResult<Vec<SearchDoc>> {
        unused()
    }
    async fn all_search_docs(
        &self,
        kind: DocKind,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<SearchDoc>> {
        (self.pages)(kind, after, limit)
    }
    async fn filter_tracks(
        &self,
        _selection: &TrackSelection,
        _limit: u32,
        _offset: u64,
    ) -> StoreResult<FilteredTracks> {
        unused()
    }
}
