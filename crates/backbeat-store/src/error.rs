//! Storage errors: small, and each one meaningful to the caller (the server maps every variant
//! to an HTTP status explicitly).

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
    /// The database failed (connection, SQL, constraint we did not expect).
    #[error("database: {0}")]
    Database(String),
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blob(String),
    /// The search index failed.
    #[error("search index: {0}")]
    Search(String),
    /// A migration could not be applied.
    #[error("migration: {0}")]
    Migration(String),
}

/// Result alias for the stores.
pub type StoreResult<T> = Result<T, StoreError>;
