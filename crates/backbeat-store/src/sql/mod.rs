//! The catalog in SQLite or PostgreSQL through sqlx's Any driver: one set of queries for both
//! (`$n` placeholders, which SQLite accepts too), one migration list per backend
//! (`migrations/{sqlite,postgres}`), and a handful of backend branches kept to `connect`
//! (pool layout) and `SqlCatalog::begin`/`for_update` (locking).
//!
//! Storage conventions: ids are UUID strings, timestamps Unix milliseconds, enums their
//! lower-case names (CHECK-constrained), flags BOOLEAN (PostgreSQL) or 0/1 (SQLite). Listings
//! sort names case-insensitively by a stored key (see `rows::name_key`).

mod accounts;
mod albums;
mod analysis;
mod annotation;
mod artists;
mod connect;
mod errors;
mod job_states;
mod list;
mod migrate;
mod playlists;
mod queue;
mod quota;
mod rows;
mod search;
mod selection;
mod stores;
mod tracks;
mod uploads;

use std::path::PathBuf;

use sqlx::{Any, AnyPool, Transaction};

pub use self::queue::{QueueInsert, QueueRow};

use crate::error::StoreResult;

use self::errors::db;

/// Rows per multi-row statement: far below both backends' bind-parameter limits.
const CHUNK: usize = 200;

/// Which SQL database a [`SqlCatalog`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The catalog in a SQL database. Cheap to clone (the pools are shared).
#[derive(Clone, Debug)]
pub struct SqlCatalog {
    backend: Backend,
    /// Single-statement reads.
    read: AnyPool,
    /// Transactions (on SQLite: the one writer connection).
    write: AnyPool,
    /// The folder of a SQLite database file (its free space is part of readiness).
    folder: Option<PathBuf>,
}

/// A write transaction.
type Tx = Transaction<'static, Any>;

impl SqlCatalog {
    /// Connects (`sqlite://path?mode=rwc`, `sqlite::memory:`, `postgres://...`) and migrates.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pools = connect::open(url).await?;
        migrate::run(&pools.write, pools.backend).await?;
        Ok(Self {
            backend: pools.backend,
            read: pools.read,
            write: pools.write,
            folder: connect::sqlite_folder(url),
        })
    }

    /// The backend behind this catalog.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The schema versions applied to this database, ascending.
    pub async fn schema_versions(&self) -> StoreResult<Vec<i64>> {
        migrate::applied(&self.read).await
    }

    /// Closes every connection (waits for the ones in use to come back).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails with
    /// `SQLITE_BUSY` instead of waiting when another process wrote in between.
    async fn begin(&self) -> StoreResult<Tx> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await.map_err(db),
            Backend::Postgres => self.write.begin().await.map_err(db),
        }
    }

    /// Row-locking suffix for a `SELECT` inside a write transaction: PostgreSQL runs writers
    /// concurrently and needs it; SQLite has one writer at a time and no such syntax.
    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }
}

/// `connect` must be usable inside `tokio::spawn` (a regression: it once was not).
#[cfg(test)]
fn _connect_is_send() {
    fn is_send<T: Send>(_: T) {}
    is_send(SqlCatalog::connect("sqlite::memory:"));
}
