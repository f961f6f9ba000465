//! Full-text search over artist names, album and track titles.

use std::collections::HashMap;

use backbeat_store::annotation::TrackSelection;
use backbeat_store::search::{SearchHit, SearchQuery, SearchResults};
use backbeat_store::{DocKind, Id, SearchDoc};

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
/// The most tracks words pick for a filter or a selection (the index's deepest window).
pub const MAX_WORD_TRACKS: usize = 10_000;

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
        check_words(text, "q", &mut fields);
        let (limit, offset) = page(limit, offset, &mut fields);
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

    /// Tracks by descriptor filters (BPM, key, tags, reviewed values; see [`TrackSelection`]),
    /// with or without words. With words, the tracks the words find (their best
    /// [`MAX_WORD_TRACKS`]) that pass the filters, best first; without, every track that
    /// passes, oldest first, with score 0. The filter's `trackIds` narrow either.
    pub async fn filtered(
        &self,
        text: Option<&str>,
        kind: Option<DocKind>,
        mut filter: TrackSelection,
        limit: Option<usize>,
        offset: Option<usize>,
    ) -> CatalogResult<(SearchResults, usize, usize)> {
        let text = text.map(str::trim);
        let mut fields = Fields::default();
        if let Some(text) = text {
            check_words(text, "q", &mut fields);
        }
        if kind.is_some_and(|k| k != DocKind::Track) {
            fields.push(FieldError::new(
                "type",
                "descriptor filters find tracks only",
            ));
        }
        let (limit, offset) = page(limit, offset, &mut fields);
        fields.finish()?;
        self.0.metrics.search_queries.inc();
        let Some(text) = text else {
            let found = self
                .0
                .stores
                .docs
                .filter_tracks(&filter, limit as u32, offset as u64)
                .await?;
            let hits = found.docs.into_iter().map(|d| hit(d, 0.0)).collect();
            return Ok((
                SearchResults {
                    hits,
                    total: found.total,
                },
                limit,
                offset,
            ));
        };
        let by_words = self.track_hits(text, MAX_WORD_TRACKS).await?;
        let rank: HashMap<Id, (usize, f32)> = by_words
            .iter()
            .enumerate()
            .map(|(i, h)| (h.id, (i, h.score)))
            .collect();
        let candidates: Vec<Id> = match filter.track_ids.take() {
            Some(listed) => listed
                .into_iter()
                .filter(|id| rank.contains_key(id))
                .collect(),
            None => by_words.iter().map(|h| h.id).collect(),
        };
        let wanted = candidates.len() as u32;
        filter.track_ids = Some(candidates);
        let found = self.0.stores.docs.filter_tracks(&filter, wanted, 0).await?;
        let mut docs = found.docs;
        docs.sort_by_key(|d| rank.get(&d.id).map_or(usize::MAX, |r| r.0));
        let hits = docs
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|d| {
                let score = rank.get(&d.id).map_or(0.0, |r| r.1);
                hit(d, score)
            })
            .collect();
        Ok((
            SearchResults {
                hits,
                total: found.total,
            },
            limit,
            offset,
        ))
    }

    /// The tracks words find, best first, at most `max` (annotation selections use it too).
    pub async fn track_hits(&self, text: &str, max: usize) -> CatalogResult<Vec<SearchHit>> {
        let text = text.trim().to_string();
        let index = self.0.index.clone();
        let hits = tokio::task::spawn_blocking(move || {
            let mut hits: Vec<SearchHit> = Vec::new();
            while hits.len() < max {
                let page = index.search(&SearchQuery {
                    text: text.clone(),
                    kind: Some(DocKind::Track),
                    limit: MAX_LIMIT,
                    offset: hits.len(),
                })?;
                if page.hits.is_empty() {
                    break;
                }
                hits.extend(page.hits);
                if hits.len() as u64 >= page.total {
                    break;
                }
            }
            hits.truncate(max);
            Ok::<_, backbeat_store::StoreError>(hits)
        })
        .await
        .map_err(|e| CatalogError::Internal(format!("search task: {e}")))??;
        Ok(hits)
    }
}

/// Search words: 1 to [`MAX_QUERY`] characters.
fn check_words(text: &str, field: &str, fields: &mut Fields) {
    if text.is_empty() || text.chars().count() > MAX_QUERY {
        fields.push(FieldError::new(field, "must be 1 to 200 characters"));
    }
}

/// The page a client asked for, checked.
fn page(limit: Option<usize>, offset: Option<usize>, fields: &mut Fields) -> (usize, usize) {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        fields.push(FieldError::new("limit", "must be between 1 and 100"));
    }
    let offset = offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        fields.push(FieldError::new("offset", "must be at most 1000"));
    }
    (limit, offset)
}

fn hit(d: SearchDoc, score: f32) -> SearchHit {
    SearchHit {
        kind: d.kind,
        id: d.id,
        title: d.title,
        artist_id: d.artist_id,
        artist_name: d.artist_name,
        album_id: d.album_id,
        album_title: d.album_title,
        score,
    }
}
