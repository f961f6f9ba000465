//! The search index over titles and names (tantivy), kept in step with the catalog by the
//! server and rebuildable from it at any time: the catalog is the truth, the index a cache.
//!
//! - `schema`: fields, text analysis (case and diacritics folding), and the reserved
//!   descriptor fields (BPM, key, tags) that become filters later.
//! - `disk`: schema version on disk; a stale index is recreated and [`SearchIndex::needs_rebuild`].
//! - `query`: user text to a programmatically built query (prefix, typo tolerance, ranking).
//! - `writer`: the single writer thread with group commit.
//!
//! Searching is synchronous and cheap (a few milliseconds on 100k documents); writes are async
//! and return once committed and visible.

mod disk;
mod query;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tantivy::collector::{Count, TopDocs};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher};
use tokio::sync::{mpsc, oneshot};

use crate::catalog::DocSource;
use crate::error::{StoreError, StoreResult};
use crate::model::{DocKind, DocScope, Id, SearchDoc};
use query::Tiers;
use schema::Fields;
use writer::{Command, Op, RebuildMsg, Writer};

/// Largest page of results.
pub const MAX_LIMIT: usize = 100;
/// Results beyond this position are not served (deep pages cost memory and mean nothing).
pub const MAX_WINDOW: usize = 10_000;
/// Catalog documents fetched per page while rebuilding.
const REBUILD_PAGE: u32 = 1000;
/// Indexing memory shared by the writer's threads (tantivy flushes a segment when it fills).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

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
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    /// `None` only while dropping.
    tx: Option<mpsc::UnboundedSender<Command>>,
    thread: Option<std::thread::JoinHandle<()>>,
    commits: Arc<AtomicU64>,
    needs_rebuild: AtomicBool,
    /// The index folder (`None` in memory), where a completed rebuild is recorded.
    dir: Option<PathBuf>,
}

impl Drop for Inner {
    /// Stops the writer thread and waits for it, so the writer lock is free when this returns
    /// (a reopen of the same folder then succeeds).
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`. An index written with another schema version, or
    /// one that cannot be opened, is wiped and recreated empty: see [`Self::needs_rebuild`].
    pub fn open(dir: &Path) -> StoreResult<Self> {
        let (index, fresh) = disk::open_or_create(dir)?;
        Self::start(index, fresh, Some(dir.to_path_buf()))
    }

    /// An index in memory (tests).
    pub fn in_memory() -> StoreResult<Self> {
        Self::start(Index::create_in_ram(schema::build_schema().0), true, None)
    }

    fn start(index: Index, fresh: bool, dir: Option<PathBuf>) -> StoreResult<Self> {
        let err = |e: tantivy::TantivyError| StoreError::search("opening the index", e);
        let fields = schema::build_schema().1;
        index
            .tokenizers()
            .register(schema::TOKENIZER, schema::analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(err)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
        let writer = index
            .writer_with_num_threads(threads, WRITER_MEMORY)
            .map_err(err)?;
        let commits = Arc::new(AtomicU64::new(0));
        let state = Writer {
            writer,
            reader: IndexReader::clone(&reader),
            fields,
            analyzer: schema::analyzer(),
            commits: Arc::clone(&commits),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("search-writer".into())
            .spawn(move || state.run(rx))
            .map_err(|e| StoreError::search("starting the writer thread", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                reader,
                fields,
                analyzer: schema::analyzer(),
                tx: Some(tx),
                thread: Some(thread),
                commits,
                needs_rebuild: AtomicBool::new(fresh),
                dir,
            }),
        })
    }

    /// `true` when the index was created empty (new, or recreated for a new schema) and has not
    /// been rebuilt from the catalog since.
    pub fn needs_rebuild(&self) -> bool {
        self.inner.needs_rebuild.load(Ordering::Relaxed)
    }

    /// How many commits the writer has made (group commit folds concurrent writes together).
    pub fn commit_count(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    /// Adds or replaces documents; committed and searchable when this returns.
    pub async fn upsert(&self, docs: Vec<SearchDoc>) -> StoreResult<()> {
        self.apply(docs.into_iter().map(Op::Upsert).collect()).await
    }

    /// Removes everything in `scope` (an artist with its albums and tracks, ...).
    pub async fn delete(&self, scope: DocScope) -> StoreResult<()> {
        self.apply(vec![Op::Delete(scope)]).await
    }

    async fn apply(&self, ops: Vec<Op>) -> StoreResult<()> {
        let (done, reply) = oneshot::channel();
        self.send(Command::Apply { ops, done })?;
        reply.await.map_err(|_| writer_gone())?
    }

    fn send(&self, cmd: Command) -> StoreResult<()> {
        let tx = self.inner.tx.as_ref().ok_or_else(writer_gone)?;
        tx.send(cmd).map_err(|_| writer_gone())
    }

    /// Runs a query. Synchronous and CPU-bound (milliseconds); user text is only ever analysed
    /// into terms, never parsed as query syntax, so no input is an error.
    pub fn search(&self, q: &SearchQuery) -> StoreResult<SearchResults> {
        let inner = &self.inner;
        let tokens = query::tokens(&mut inner.analyzer.clone(), &q.text);
        let searcher = inner.reader.searcher();
        let limit = q.limit.min(MAX_LIMIT);
        // First pass without typos; the second only when the first does not fill the page
        // (see `query`'s module docs).
        let first = Self::search_tier(inner, &searcher, &tokens, q, limit, Tiers::Exact)?;
        let wanted = (q.offset as u64).saturating_add(limit.max(1) as u64);
        if first.total >= wanted || !query::allows_typos(&tokens) {
            return Ok(first);
        }
        Self::search_tier(inner, &searcher, &tokens, q, limit, Tiers::WithTypos)
    }

    fn search_tier(
        inner: &Inner,
        searcher: &Searcher,
        tokens: &[String],
        q: &SearchQuery,
        limit: usize,
        tiers: Tiers,
    ) -> StoreResult<SearchResults> {
        let Some(query) = query::build(&inner.fields, tokens, q.kind, tiers) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                total: 0,
            });
        };
        let err = |e: tantivy::TantivyError| StoreError::search("searching", e);
        if limit == 0 || q.offset >= MAX_WINDOW {
            let total = searcher.search(&query, &Count).map_err(err)?;
            return Ok(SearchResults {
                hits: Vec::new(),
                total: total as u64,
            });
        }
        let limit = limit.min(MAX_WINDOW - q.offset);
        let top = TopDocs::with_limit(limit).and_offset(q.offset);
        let (total, top) = searcher.search(&query, &(Count, top)).map_err(err)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            match query::hit(&inner.fields, searcher, addr, score).map_err(err)? {
                Some(hit) => hits.push(hit),
                None => tracing::warn!(?addr, "search index document without its fields"),
            }
        }
        Ok(SearchResults {
            hits,
            total: total as u64,
        })
    }

    /// Replaces the whole index with the catalog's current contents; returns the doc count.
    ///
    /// Searches see the old index until the single commit at the end; a failure (or dropping
    /// this future) rolls back and leaves the old index in place.
    pub async fn rebuild(&self, store: &dyn DocSource) -> StoreResult<u64> {
        let (tx, docs) = mpsc::channel(4);
        let (done, reply) = oneshot::channel();
        self.send(Command::Rebuild { docs, done })?;
        if let Err(e) = stream_catalog(store, &tx).await {
            // Closing the channel without `Finish` makes the writer roll back; wait for that.
            drop(tx);
            let _ = reply.await;
            return Err(e);
        }
        tx.send(RebuildMsg::Finish)
            .await
            .map_err(|_| writer_gone())?;
        let count = reply.await.map_err(|_| writer_gone())??;
        if let Some(dir) = &self.inner.dir {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || disk::write_version(&dir, true))
                .await
                .map_err(|e| StoreError::search("recording the rebuild", e))??;
        }
        self.inner.needs_rebuild.store(false, Ordering::Relaxed);
        Ok(count)
    }

    /// Number of documents.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }
}

/// Sends every kind's documents, page by page, to the rebuilding writer.
async fn stream_catalog(store: &dyn DocSource, tx: &mpsc::Sender<RebuildMsg>) -> StoreResult<()> {
    for kind in [DocKind::Artist, DocKind::Album, DocKind::Track] {
        let mut after = None;
        loop {
            let page = store.all_search_docs(kind, after, REBUILD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let full = page.len() >= REBUILD_PAGE as usize;
            tx.send(RebuildMsg::Batch(page))
                .await
                .map_err(|_| writer_gone())?;
            if !full {
                break;
            }
        }
    }
    Ok(())
}

fn writer_gone() -> StoreError {
    StoreError::search_gave_up("the index writer has stopped")
}
