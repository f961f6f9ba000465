//! Storage errors: small, and each one meaningful to the caller (the server maps every variant
//! to an HTTP status explicitly). Infrastructure failures keep the error that caused them as
//! their `source`, so a log can show the whole chain ([`StoreError::chain`]) while the
//! `Display` text stays one short line.

use std::borrow::Cow;
use std::error::Error;

/// Any error, boxed: the source of a blob-store or search-index failure (io, object_store,
/// tantivy, a join error, ...).
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// What went wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record or object does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (e.g. an e-mail address already registered).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A reference points at something that does not exist (e.g. a track in a playlist).
    #[error("invalid reference: {0}")]
    InvalidReference(String),
    /// The database failed (connection, SQL, a constraint we did not expect, a stored value we
    /// cannot read).
    #[error("database: {context}")]
    Database {
        context: Cow<'static, str>,
        #[source]
        source: sqlx::Error,
    },
    /// The blob store failed.
    #[error("blob store: {context}")]
    Blob {
        context: Cow<'static, str>,
        #[source]
        source: BoxError,
    },
    /// The search index failed; `source` is `None` when the index itself gave up (its writer
    /// stopped, a rebuild was abandoned).
    #[error("search index: {context}")]
    Search {
        context: Cow<'static, str>,
        #[source]
        source: Option<BoxError>,
    },
    /// A migration could not be applied.
    #[error("migration: {context}")]
    Migration {
        context: Cow<'static, str>,
        #[source]
        source: sqlx::Error,
    },
}

impl StoreError {
    /// A database failure while doing `context`.
    pub fn database(context: impl Into<Cow<'static, str>>, source: sqlx::Error) -> Self {
        StoreError::Database {
            context: context.into(),
            source,
        }
    }

    /// A blob-store failure while doing `context` (an `io::Error`, an `object_store::Error`,
    /// a join error, ...).
    pub fn blob(context: impl Into<Cow<'static, str>>, source: impl Into<BoxError>) -> Self {
        StoreError::Blob {
            context: context.into(),
            source: source.into(),
        }
    }

    /// A search-index failure while doing `context`, caused by `source`.
    pub fn search(context: impl Into<Cow<'static, str>>, source: impl Into<BoxError>) -> Self {
        StoreError::Search {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// A search-index failure with no underlying error.
    pub fn search_gave_up(context: impl Into<Cow<'static, str>>) -> Self {
        StoreError::Search {
            context: context.into(),
            source: None,
        }
    }

    /// A migration failure while doing `context`.
    pub fn migration(context: impl Into<Cow<'static, str>>, source: sqlx::Error) -> Self {
        StoreError::Migration {
            context: context.into(),
            source,
        }
    }

    /// The message and every source below it, joined by `": "` — for logs, where the one-line
    /// `Display` would hide the cause.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = self.source();
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

/// Result alias for the stores.
pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::StoreError;

    #[test]
    fn display_is_one_line_and_the_chain_keeps_the_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "no access");
        let e = StoreError::blob("opening a blob", io);
        assert_eq!(e.to_string(), "blob store: opening a blob");
        assert_eq!(e.chain(), "blob store: opening a blob: no access");
        let source = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
        assert_eq!(
            source.map(|s| s.kind()),
            Some(std::io::ErrorKind::PermissionDenied)
        );
    }

    #[test]
    fn database_errors_keep_the_sqlx_error() {
        let e = StoreError::database("query failed", sqlx::Error::PoolTimedOut);
        assert!(matches!(
            e,
            StoreError::Database {
                source: sqlx::Error::PoolTimedOut,
                ..
            }
        ));
        assert!(e.chain().starts_with("database: query failed: "));
    }

    #[test]
    fn a_search_index_that_gave_up_has_no_source() {
        let e = StoreError::search_gave_up("rebuild abandoned");
        assert_eq!(e.to_string(), "search index: rebuild abandoned");
        assert!(e.source().is_none());
        assert_eq!(e.chain(), e.to_string());
    }
}
