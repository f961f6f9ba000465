//! Opening the pools. SQLite and PostgreSQL differ here (and almost nowhere else): SQLite runs
//! one writer connection beside a few readers, because it serialises writes anyway and a
//! single writer never meets `SQLITE_BUSY` from inside this process; PostgreSQL uses one pool.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::error::{StoreError, StoreResult};

use super::errors::db;
use super::Backend;

/// Connections to PostgreSQL; replicas multiply this, so it stays well below the server's 100.
const PG_CONNECTIONS: u32 = 10;
/// SQLite readers (WAL: readers never wait for the writer).
const SQLITE_READERS: u32 = 4;
/// How long a caller waits for a free connection before the request fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The pools of one catalog: `read` for single-statement reads, `write` for transactions.
pub(super) struct Pools {
    pub backend: Backend,
    pub read: AnyPool,
    pub write: AnyPool,
}

/// Which backend a URL names.
pub(super) fn backend_of(url: &str) -> StoreResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::database(
            "unsupported database URL",
            sqlx::Error::Configuration("expected sqlite: or postgres:".into()),
        ))
    }
}

/// Opens the pools for `url`.
pub(super) async fn open(url: &str) -> StoreResult<Pools> {
    sqlx::any::install_default_drivers();
    let backend = backend_of(url)?;
    let options = AnyConnectOptions::from_str(url).map_err(db)?;
    match backend {
        Backend::Postgres => {
            let pool = base()
                .max_connections(PG_CONNECTIONS)
                .connect_with(options)
                .await
                .map_err(db)?;
            Ok(Pools {
                backend,
                read: pool.clone(),
                write: pool,
            })
        }
        Backend::Sqlite if is_memory(url) => {
            // Every new connection to `:memory:` is a new, empty database: keep exactly one
            // connection alive for the pool's whole life and share it for reads and writes.
            let pool = sqlite(base())
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
                .map_err(db)?;
            Ok(Pools {
                backend,
                read: pool.clone(),
                write: pool,
            })
        }
        Backend::Sqlite => {
            let write = sqlite(base())
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(db)?;
            // Persistent in the file; set before any reader opens so they all see WAL.
            sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_optional(&write)
                .await
                .map_err(db)?;
            let read = sqlite(base())
                .max_connections(SQLITE_READERS)
                .connect_with(options)
                .await
                .map_err(db)?;
            Ok(Pools {
                backend,
                read,
                write,
            })
        }
    }
}

fn base() -> AnyPoolOptions {
    AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT)
}

/// Per-connection SQLite settings. sqlx already turns `foreign_keys` on and sets a 5 s
/// `busy_timeout` (other processes, e.g. `backbeat reindex`, may hold the write lock briefly);
/// `synchronous = NORMAL` is the documented safe choice with WAL (no corruption, at most the
/// last commits lost on power failure) and saves an fsync per commit.
fn sqlite(options: AnyPoolOptions) -> AnyPoolOptions {
    options.after_connect(|conn, _meta| {
        Box::pin(async move {
            conn.execute("PRAGMA synchronous = NORMAL").await?;
            Ok(())
        })
    })
}

fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}
