//! The schema migration runner. Migrations are SQL files embedded in the binary, one list per
//! backend with the same versions; each is applied in its own transaction and recorded in
//! `backbeat_migrations`, so a crash leaves either the old or the new schema, and running the
//! runner again is a no-op. Replicas starting together on PostgreSQL serialise on an advisory
//! lock; on SQLite `BEGIN IMMEDIATE` takes the file's write lock for the same effect.

use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::error::{StoreError, StoreResult};
use crate::model::now_millis;

use super::Backend;

/// One schema step.
pub(super) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "catalog",
        sql: include_str!("../../migrations/sqlite/0001_catalog.sql"),
    },
    Migration {
        version: 2,
        name: "jobs",
        sql: include_str!("../../migrations/sqlite/0002_jobs.sql"),
    },
    Migration {
        version: 3,
        name: "job_progress",
        sql: include_str!("../../migrations/sqlite/0003_job_progress.sql"),
    },
    Migration {
        version: 4,
        name: "track_tags",
        sql: include_str!("../../migrations/sqlite/0004_track_tags.sql"),
    },
    Migration {
        version: 5,
        name: "upload_locks",
        sql: include_str!("../../migrations/sqlite/0005_upload_locks.sql"),
    },
    Migration {
        version: 6,
        name: "token_epochs",
        sql: include_str!("../../migrations/sqlite/0006_token_epochs.sql"),
    },
    Migration {
        version: 7,
        name: "job_unavailable",
        sql: include_str!("../../migrations/sqlite/0007_job_unavailable.sql"),
    },
    Migration {
        version: 8,
        name: "account_usage",
        sql: include_str!("../../migrations/sqlite/0008_account_usage.sql"),
    },
    Migration {
        version: 9,
        name: "garbage_not_before",
        sql: include_str!("../../migrations/sqlite/0009_garbage_not_before.sql"),
    },
    Migration {
        version: 10,
        name: "annotation",
        sql: include_str!("../../migrations/sqlite/0010_annotation.sql"),
    },
    Migration {
        version: 11,
        name: "reviewed_and_outbox",
        sql: include_str!("../../migrations/sqlite/0011_reviewed_and_outbox.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "catalog",
        sql: include_str!("../../migrations/postgres/0001_catalog.sql"),
    },
    Migration {
        version: 2,
        name: "jobs",
        sql: include_str!("../../migrations/postgres/0002_jobs.sql"),
    },
    Migration {
        version: 3,
        name: "job_progress",
        sql: include_str!("../../migrations/postgres/0003_job_progress.sql"),
    },
    Migration {
        version: 4,
        name: "track_tags",
        sql: include_str!("../../migrations/postgres/0004_track_tags.sql"),
    },
    Migration {
        version: 5,
        name: "upload_locks",
        sql: include_str!("../../migrations/postgres/0005_upload_locks.sql"),
    },
    Migration {
        version: 6,
        name: "token_epochs",
        sql: include_str!("../../migrations/postgres/0006_token_epochs.sql"),
    },
    Migration {
        version: 7,
        name: "job_unavailable",
        sql: include_str!("../../migrations/postgres/0007_job_unavailable.sql"),
    },
    Migration {
        version: 8,
        name: "account_usage",
        sql: include_str!("../../migrations/postgres/0008_account_usage.sql"),
    },
    Migration {
        version: 9,
        name: "garbage_not_before",
        sql: include_str!("../../migrations/postgres/0009_garbage_not_before.sql"),
    },
    Migration {
        version: 10,
        name: "annotation",
        sql: include_str!("../../migrations/postgres/0010_annotation.sql"),
    },
    Migration {
        version: 11,
        name: "reviewed_and_outbox",
        sql: include_str!("../../migrations/postgres/0011_reviewed_and_outbox.sql"),
    },
];

/// Arbitrary but fixed key of the advisory lock all replicas take while migrating
/// ("backbeat" in ASCII).
const PG_LOCK_KEY: i64 = 0x6261_636b_6265_6174;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS backbeat_migrations (
    version    BIGINT NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// The migrations for a backend, in order.
pub(super) fn migrations(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// Applies every migration not yet recorded; returns how many were applied.
pub(super) async fn run(pool: &AnyPool, backend: Backend) -> StoreResult<usize> {
    let mut applied = 0;
    for m in migrations(backend) {
        if apply(pool, backend, m).await? {
            applied += 1;
        }
    }
    Ok(applied)
}

/// Applies one migration unless it is already recorded; `true` if it ran.
async fn apply(pool: &AnyPool, backend: Backend, m: &Migration) -> StoreResult<bool> {
    let mut tx = begin(pool, backend).await?;
    // Inside the lock: concurrent `CREATE TABLE IF NOT EXISTS` can itself race on PostgreSQL.
    sqlx::query(CREATE_TABLE)
        .execute(&mut *tx)
        .await
        .map_err(fail(m, "creating the migrations table"))?;
    let done = sqlx::query("SELECT version FROM backbeat_migrations WHERE version = $1")
        .bind(m.version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail(m, "reading the migrations table"))?;
    if done.is_some() {
        tx.rollback().await.map_err(fail(m, "ending the check"))?;
        return Ok(false);
    }
    // Through `Executor` directly: `RawSql::execute` is an `async fn` whose future is not
    // `Send` for every lifetime, which would make `SqlCatalog::connect` unusable in
    // `tokio::spawn`.
    (&mut *tx)
        .execute(sqlx::raw_sql(m.sql))
        .await
        .map_err(fail(m, "applying"))?;
    sqlx::query("INSERT INTO backbeat_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(m.version)
        .bind(m.name)
        .bind(now_millis())
        .execute(&mut *tx)
        .await
        .map_err(fail(m, "recording"))?;
    tx.commit().await.map_err(fail(m, "committing"))?;
    tracing::info!(
        version = m.version,
        name = m.name,
        "applied database migration"
    );
    Ok(true)
}

async fn begin(pool: &AnyPool, backend: Backend) -> StoreResult<Transaction<'static, Any>> {
    let err = |e| StoreError::migration("starting a transaction", e);
    match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await.map_err(err),
        Backend::Postgres => {
            let mut tx = pool.begin().await.map_err(err)?;
            // Released at commit or rollback; a second replica waits here, then finds the
            // migration recorded.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_LOCK_KEY)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| StoreError::migration("taking the migration lock", e))?;
            Ok(tx)
        }
    }
}

/// The versions recorded as applied, ascending (for tests and `backbeat admin`).
pub(super) async fn applied(pool: &AnyPool) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query("SELECT version FROM backbeat_migrations ORDER BY version")
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::migration("reading the applied versions", e))?;
    rows.iter()
        .map(|r| {
            r.try_get::<i64, _>("version")
                .map_err(|e| StoreError::migration("reading an applied version", e))
        })
        .collect()
}

fn fail<'a>(m: &'a Migration, step: &'static str) -> impl Fn(sqlx::Error) -> StoreError + 'a {
    move |e| StoreError::migration(format!("{step} {:04}_{}", m.version, m.name), e)
}
