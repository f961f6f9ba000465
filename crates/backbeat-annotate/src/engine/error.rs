//! What can go wrong in the engine, in words a client can act on; the server maps each to a
//! status.

use backbeat_store::StoreError;

use crate::schema::{FieldError, Orphan};

/// An engine error.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error("not found")]
    NotFound,
    /// The caller may not do this in this project.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Input that does not fit (a schema, settings, an answer), each field named.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The state moved on (no lease, a newer schema, a paused annotator).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A schema change would leave stored answers outside the schema.
    #[error("the change would orphan stored labels")]
    Orphans(Vec<Orphan>),
    /// A model annotator's configuration that cannot work.
    #[error("model configuration: {0}")]
    Model(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AnnotateError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AnnotateError::NotFound,
            StoreError::Conflict(m) => AnnotateError::Conflict(m),
            StoreError::InvalidReference(f) => AnnotateError::Invalid(vec![FieldError {
                field: f,
                message: "does not exist".into(),
            }]),
            other => AnnotateError::Store(other),
        }
    }
}

impl From<Vec<FieldError>> for AnnotateError {
    fn from(e: Vec<FieldError>) -> Self {
        AnnotateError::Invalid(e)
    }
}

/// The engine's results.
pub type AnnotateResult<T> = Result<T, AnnotateError>;
