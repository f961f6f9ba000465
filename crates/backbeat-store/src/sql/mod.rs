//! STUB — to be implemented (see the brief). SQLite and PostgreSQL catalog via sqlx Any.
use crate::error::StoreResult;

/// The catalog in a SQL database.
#[derive(Clone, Debug)]
pub struct SqlCatalog {}

impl SqlCatalog {
    /// Connects (`sqlite://path?mode=rwc`, `sqlite::memory:`, `postgres://...`) and migrates.
    pub async fn connect(_url: &str) -> StoreResult<Self> {
        unimplemented!()
    }
}
