//! Decoding rows into model values. Database content is data, not code: anything malformed
//! (an id that is no UUID, an enum name this build does not know) becomes a `Database` error,
//! never a panic.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{StoreError, StoreResult};
use crate::model::Id;

/// How many characters of a name its sort key keeps. Listings sort by this key, so two names
/// equal in their first 200 (lower-cased) characters tie and fall back to id order; 200
/// characters stay far below PostgreSQL's B-tree entry limit even in 4-byte UTF-8.
const NAME_KEY_CHARS: usize = 200;

/// The sort key stored beside a name: case-insensitive, identical on both backends (computed
/// here, not with the databases' differing `lower()`).
pub(super) fn name_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .take(NAME_KEY_CHARS)
        .collect()
}

pub(super) fn text(row: &AnyRow, col: &str) -> StoreResult<String> {
    row.try_get::<String, _>(col).map_err(decode(col))
}

pub(super) fn opt_text(row: &AnyRow, col: &str) -> StoreResult<Option<String>> {
    row.try_get::<Option<String>, _>(col).map_err(decode(col))
}

pub(super) fn int(row: &AnyRow, col: &str) -> StoreResult<i64> {
    row.try_get::<i64, _>(col).map_err(decode(col))
}

pub(super) fn opt_int(row: &AnyRow, col: &str) -> StoreResult<Option<i64>> {
    row.try_get::<Option<i64>, _>(col).map_err(decode(col))
}

/// A flag: PostgreSQL answers BOOLEAN, SQLite stores 0/1.
pub(super) fn flag(row: &AnyRow, col: &str) -> StoreResult<bool> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => row
            .try_get::<i64, _>(col)
            .map(|v| v != 0)
            .map_err(decode(col)),
    }
}

pub(super) fn id(row: &AnyRow, col: &str) -> StoreResult<Id> {
    parse_id(&text(row, col)?)
}

pub(super) fn opt_id(row: &AnyRow, col: &str) -> StoreResult<Option<Id>> {
    opt_text(row, col)?.as_deref().map(parse_id).transpose()
}

/// A comma-separated id list (from `string_agg`); NULL or empty is the empty list.
pub(super) fn id_list(row: &AnyRow, col: &str) -> StoreResult<Vec<Id>> {
    match opt_text(row, col)? {
        None => Ok(Vec::new()),
        Some(s) if s.is_empty() => Ok(Vec::new()),
        Some(s) => s.split(',').map(parse_id).collect(),
    }
}

/// A stored enum name, parsed by the enum's own `parse`.
pub(super) fn enumerated<T>(
    row: &AnyRow,
    col: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> StoreResult<T> {
    let s = text(row, col)?;
    parse(&s).ok_or_else(|| {
        StoreError::database(
            format!("column {col}"),
            sqlx::Error::Decode(format!("unknown value {s:?}").into()),
        )
    })
}

pub(super) fn parse_id(s: &str) -> StoreResult<Id> {
    Id::parse_str(s).map_err(|e| {
        StoreError::database(
            format!("malformed id {s:?} in database"),
            sqlx::Error::Decode(Box::new(e)),
        )
    })
}

fn decode(col: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::database(format!("column {col}"), e)
}

/// A `u64` count from the database (never negative in practice; clamped if it were).
pub(super) fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
