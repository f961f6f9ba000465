//! [`DocSource`]: the search documents the catalog derives from its artists, albums and
//! tracks. A trait of its own because the search index needs these two reads and nothing
//! else (its tests feed it from a function, not a database).

use async_trait::async_trait;

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
}
