//! The one thread that owns the `IndexWriter`.
//!
//! tantivy allows one writer per index and a commit costs an fsync, so writes are funnelled
//! through a channel to this thread, which applies everything that queued up while it was busy
//! and commits once for all of it (group commit): a burst of 100 concurrent upserts becomes a
//! handful of commits, and every caller hears back only after the commit that made its change
//! durable and the reader reload that made it searchable. The async runtime never waits on
//! tantivy: callers await a oneshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tantivy::tokenizer::TextAnalyzer;
use tantivy::{IndexReader, IndexWriter, Term};
use tokio::sync::{mpsc, oneshot};

use super::schema::{to_document, Fields};
use crate::error::{StoreError, StoreResult};
use crate::model::{DocScope, SearchDoc};

/// One change to the index.
pub(super) enum Op {
    Upsert(SearchDoc),
    Delete(DocScope),
}

/// What a rebuild streams to the writer.
pub(super) enum RebuildMsg {
    Batch(Vec<SearchDoc>),
    /// Every document was sent: commit. A closed channel without it means roll back.
    Finish,
}

/// A request to the writer thread.
pub(super) enum Command {
    Apply {
        ops: Vec<Op>,
        done: oneshot::Sender<StoreResult<()>>,
    },
    Rebuild {
        docs: mpsc::Receiver<RebuildMsg>,
        done: oneshot::Sender<StoreResult<u64>>,
    },
}

/// State owned by the writer thread.
pub(super) struct Writer {
    pub writer: IndexWriter,
    pub reader: IndexReader,
    pub fields: Fields,
    /// The title/name analyser, for the prefix fields.
    pub analyzer: TextAnalyzer,
    pub commits: Arc<AtomicU64>,
}

impl Writer {
    /// Serves commands until every sender is gone, then lets merges finish.
    pub fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let mut next = rx.blocking_recv();
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Apply { ops, done } => {
                    let mut batch = vec![(ops, done)];
                    // Everything that queued meanwhile joins this commit, up to a rebuild,
                    // which must start from a committed state.
                    loop {
                        match rx.try_recv() {
                            Ok(Command::Apply { ops, done }) => batch.push((ops, done)),
                            Ok(rebuild) => {
                                next = Some(rebuild);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.apply_batch(batch);
                }
                Command::Rebuild { docs, done } => {
                    let _ = done.send(self.rebuild(docs));
                }
            }
            if next.is_none() {
                next = rx.blocking_recv();
            }
        }
        if let Err(e) = self.writer.wait_merging_threads() {
            tracing::warn!(error = %e, "search index merges did not finish cleanly");
        }
    }

    fn apply_batch(&mut self, batch: Vec<(Vec<Op>, oneshot::Sender<StoreResult<()>>)>) {
        let result = batch
            .iter()
            .flat_map(|(ops, _)| ops)
            .try_for_each(|op| self.apply(op))
            .and_then(|()| self.commit());
        if let Err(e) = &result {
            tracing::error!(error = %e, "search index write failed");
            self.rollback();
        }
        for (_, done) in batch {
            let reply = match &result {
                Ok(()) => Ok(()),
                // Every waiter of the group commit gets the same cause.
                Err(e) => Err(StoreError::search("writing documents", e.clone())),
            };
            let _ = done.send(reply);
        }
    }

    fn apply(&mut self, op: &Op) -> tantivy::Result<()> {
        let f = self.fields;
        let term = |field, id: &uuid::Uuid| Term::from_field_text(field, &id.to_string());
        match op {
            Op::Upsert(doc) => {
                self.writer.delete_term(term(f.id, &doc.id));
                self.writer
                    .add_document(to_document(&f, &mut self.analyzer, doc))?;
            }
            Op::Delete(scope) => {
                let (field, id) = match scope {
                    DocScope::Artist(id) => (f.artist_id, id),
                    DocScope::Album(id) => (f.album_id, id),
                    DocScope::Track(id) => (f.id, id),
                };
                self.writer.delete_term(term(field, id));
                self.writer.delete_term(term(f.id, id));
            }
        }
        Ok(())
    }

    /// Replaces everything with the streamed documents, in one commit.
    fn rebuild(&mut self, mut docs: mpsc::Receiver<RebuildMsg>) -> StoreResult<u64> {
        let err = |e: tantivy::TantivyError| StoreError::search("rebuilding", e);
        let mut count = 0u64;
        let outcome = (|| {
            self.writer.delete_all_documents().map_err(err)?;
            loop {
                match docs.blocking_recv() {
                    Some(RebuildMsg::Batch(batch)) => {
                        for doc in &batch {
                            self.writer
                                .add_document(to_document(&self.fields, &mut self.analyzer, doc))
                                .map_err(err)?;
                        }
                        count += batch.len() as u64;
                    }
                    Some(RebuildMsg::Finish) => return self.commit().map_err(err),
                    None => return Err(StoreError::search_gave_up("rebuild abandoned")),
                }
            }
        })();
        match outcome {
            Ok(()) => Ok(count),
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    fn commit(&mut self) -> tantivy::Result<()> {
        self.writer.commit()?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.reader.reload()
    }

    fn rollback(&mut self) {
        if let Err(e) = self.writer.rollback() {
            tracing::error!(error = %e, "search index rollback failed");
        }
    }
}
