//! [`DocSource`]: the search documents the catalog derives from its artists, albums and
//! tracks. A trait of its own because the search index needs these reads and nothing else
//! (its tests feed it from a function, not a database): two to build the index, one for the
//! descriptor filters the index does not hold (BPM, key, tags, reviewed values).

use async_trait::async_trait;

use crate::annotation::TrackSelection;
use crate::error::StoreResult;
use crate::model::{DocKind, DocScope, Id, SearchDoc};

/// Where search documents come from.
#[async_trait]
pub trait DocSource: Send + Sync + 'static {
    /// The search documents of everything in `scope` (empty if it no longer exists).
    async fn search_docs(&self, scope: DocScope) -> StoreResult<Vec<SearchDoc>>;
    /// All documents of one kind with id greater than `after`, in id order, for reindexing.
    async fn all_search_docs(
        &self,
        kind: DocKind,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<SearchDoc>>;
    /// The track documents a selection matches, oldest first: the page `offset..offset+limit`
    /// and how many match in all. With `track_ids`, only those tracks are looked at (any
    /// number; they are read in chunks). The selection's own `limit` does not apply, and a
    /// `query` left in is refused (the store has no text index).
    async fn filter_tracks(
        &self,
        selection: &TrackSelection,
        limit: u32,
        offset: u64,
    ) -> StoreResult<FilteredTracks>;
}

/// One page of the tracks a selection matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilteredTracks {
    pub docs: Vec<SearchDoc>,
    /// Matches in all pages.
    pub total: u64,
}
