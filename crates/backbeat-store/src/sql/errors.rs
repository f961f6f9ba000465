//! sqlx errors to [`StoreError`]: constraint violations become the caller-meaningful
//! `Conflict`/`InvalidReference` (named after the field at fault), everything else `Database`.

use sqlx::error::ErrorKind;

use crate::error::StoreError;

/// What a statement was doing when the generic mapping does not know better (the sqlx error,
/// kept as the source, says what went wrong).
const QUERY: &str = "query failed";

/// The generic mapping, for statements where no constraint violation is expected.
pub(super) fn db(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(d) => match d.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict("duplicate".into()),
            ErrorKind::ForeignKeyViolation => StoreError::InvalidReference("reference".into()),
            _ => StoreError::database(QUERY, e),
        },
        _ => StoreError::database(QUERY, e),
    }
}

/// Like [`db`], naming what a unique violation collided on.
pub(super) fn unique(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    constraint(what, "reference")
}

/// Like [`db`], naming the field whose reference a foreign-key violation rejected.
pub(super) fn reference(field: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    constraint("duplicate", field)
}

/// Like [`db`], naming both: what a unique violation collided on and which reference a
/// foreign-key violation rejected (SQLite does not say which constraint failed, so each
/// statement names its own suspects).
pub(super) fn constraint(
    what: &'static str,
    field: &'static str,
) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match kind(&e) {
        Some(ErrorKind::UniqueViolation) => StoreError::Conflict(what.into()),
        Some(ErrorKind::ForeignKeyViolation) => StoreError::InvalidReference(field.into()),
        _ => db(e),
    }
}

fn kind(e: &sqlx::Error) -> Option<ErrorKind> {
    match e {
        sqlx::Error::Database(d) => Some(d.kind()),
        _ => None,
    }
}
