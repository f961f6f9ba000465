//! Full-text search over artist names, album and track titles.

use backbeat_store::search::{SearchQuery, SearchResults};
use backbeat_store::DocKind;

use crate::error::{CatalogError, CatalogResult, FieldError, Fields};
use crate::Inner;

/// Longest query, in characters.
pub const MAX_QUERY: usize = 200;
/// Most hits per page.
pub const MAX_LIMIT: usize = 100;
/// Deepest offset (deeper pages cost more than they are worth).
pub const MAX_OFFSET: usize = 1000;
/// Hits per page when the client does not say.
pub const DEFAULT_LIMIT: usize = 20;

/// The search use case.
pub struct Search<'a>(pub(crate) &'a Inner);

impl Search<'_> {
    /// Runs a query (on the blocking pool: tantivy reads are synchronous).
    pub async fn query(
        &self,
        text: &str,
        kind: Option<DocKind>,
        limit: Option<usize>,
        offset: Option<usize>,
    ) -> CatalogResult<(SearchResults, usize, usize)> {
        let text = text.trim();
        let mut fields = Fields::default();
        if text.is_empty() || text.chars().count() > MAX_QUERY {
            fields.push(FieldError::new("q", "must be 1 to 200 characters"));
        }
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            fields.push(FieldError::new("limit", "must be between 1 and 100"));
        }
        let offset = offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            fields.push(FieldError::new("offset", "must be at most 1000"));
        }
        fields.finish()?;
        let query = SearchQuery {
            text: text.to_string(),
            kind,
            limit,
            offset,
        };
        let index = self.0.index.clone();
        self.0.metrics.search_queries.inc();
        let results = tokio::task::spawn_blocking(move || index.search(&query))
            .await
            .map_err(|e| CatalogError::Internal(format!("search task: {e}")))??;
        Ok((results, limit, offset))
    }
}
