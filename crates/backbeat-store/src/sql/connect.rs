//! Opening the pools. SQLite and PostgreSQL differ here (and almost nowhere else): SQLite runs
//! one writer connection beside a few readers, because it serialises writes anyway and a
//! single writer never meets `SQLITE_BUSY` from inside this process; PostgreSQL uses one pool.
//!
//! A SQLite writer connection that comes back still inside a transaction is closed, never
//! reused (see [`clean_on_release`]): with a single writer, one such connection would fail
//! every later write until a restart.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

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
            // No `clean_on_release` here: sqlx's PostgreSQL driver lowers its transaction
            // count when it queues the rollback of a dropped transaction, failed or not.
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
            let write = sqlite(clean_on_release(base()))
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .map_err(db)?;
            // Persistent in the file; set before any reader opens so they all see WAL.
            wal(&write).await?;
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

/// How long replicas starting at once may keep refusing each other the switch to WAL.
const WAL_SWITCH_PATIENCE: Duration = Duration::from_secs(10);

/// Switches the file to WAL. Several processes opening a fresh file at once race for the
/// exclusive lock the switch needs, and SQLite answers the loser with `SQLITE_BUSY` at once,
/// without consulting the busy timeout (CI saw it: four replicas, 0.4 s, "database is locked");
/// so the switch is tried again until it holds or the patience runs out.
async fn wal(write: &AnyPool) -> StoreResult<()> {
    let deadline = std::time::Instant::now() + WAL_SWITCH_PATIENCE;
    loop {
        match sqlx::query("PRAGMA journal_mode = WAL")
            .fetch_optional(write)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(db(e)),
        }
    }
}

/// `SQLITE_BUSY` (5) or `SQLITE_LOCKED` (6), extended codes included.
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

fn base() -> AnyPoolOptions {
    AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT)
}

/// Closes a connection released while still inside a transaction, so the pool opens a fresh
/// one. How it happens: when a write meets a full disk, SQLite may roll the whole transaction
/// back by itself (a failed cache spill or commit); the `ROLLBACK` sqlx then sends fails
/// ("no transaction is active"), and sqlx, which counts transactions itself, keeps counting
/// this one: every later `BEGIN IMMEDIATE` was refused ("begin_with at non-zero transaction
/// depth"). A plain `ROLLBACK` of ours cannot reset sqlx's count; a new connection can.
/// (The in-memory database keeps its single connection: closing it would lose the data.)
fn clean_on_release(options: AnyPoolOptions) -> AnyPoolOptions {
    options.after_release(|conn, _meta| {
        Box::pin(async move {
            // A dropped transaction only queues its rollback on SQLite's worker thread: let it
            // run before looking (a round trip to that thread, no I/O).
            conn.ping().await?;
            let clean = !conn.is_in_transaction();
            if !clean {
                tracing::warn!("a connection came back inside a failed transaction; closed");
            }
            Ok(clean)
        })
    })
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

/// The folder holding a SQLite database file (`None` for PostgreSQL and `:memory:`).
pub(super) fn sqlite_folder(url: &str) -> Option<PathBuf> {
    if is_memory(url) {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    let folder = Path::new(path).parent()?;
    Some(if folder.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        folder.to_path_buf()
    })
}

fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}
