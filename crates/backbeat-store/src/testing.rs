//! Throw-away databases for tests (feature `testing`), shared by the store's conformance suite,
//! the pipeline's queue tests and the binary's fault-injection tests.
//!
//! PostgreSQL: every test gets a fresh database (random name) on the server named by
//! `BACKBEAT_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped
//! when the guard goes out of scope — also when the test panics. If the server cannot be
//! reached the test prints `SKIP: <test>: PostgreSQL not reachable` and passes, unless
//! `BACKBEAT_REQUIRE_SERVICES=1`, which turns that into a failure (CI sets it).

// A test helper fails the test it serves by panicking, with the error in the message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmpfs;

pub use tmpfs::{Filler, Tmpfs};

use std::time::Duration;

use sqlx::{AnyConnection, Connection, Executor};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which database a conformance test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A database that exists for one test: its URL, and what removes it afterwards.
pub struct TestDb {
    pub kind: Kind,
    pub url: String,
    _cleanup: Cleanup,
}

enum Cleanup {
    /// The temporary folder holding the SQLite file (removed when dropped).
    Dir(#[allow(dead_code)] tempfile::TempDir),
    /// The PostgreSQL database to drop.
    Postgres { admin_url: String, name: String },
}

/// Whether every tool in `tools` (`ffmpeg`, `ffprobe`, …) runs here (`TOOL -version`). When
/// one does not, the calling test prints `SKIP` and should return — unless
/// `BACKBEAT_REQUIRE_TOOLS=1` (CI), which makes the absence a failure.
pub fn have_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            !std::process::Command::new(t)
                .arg("-version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "{missing:?} required (BACKBEAT_REQUIRE_TOOLS=1) but not found; run scripts/setup.sh"
    );
    eprintln!("SKIP: {missing:?} not found; install them (scripts/setup.sh) to run this test");
    false
}

/// `true` when a missing service must fail the test instead of skipping it.
pub fn services_required() -> bool {
    std::env::var("BACKBEAT_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A fresh SQLite database file in a temporary folder (not yet created: the first connection
/// with `mode=rwc` creates it).
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("catalog.db").display()
    );
    TestDb {
        kind: Kind::Sqlite,
        url,
        _cleanup: Cleanup::Dir(dir),
    }
}

/// A fresh, empty PostgreSQL database; `None` (after printing why) when the server is not
/// reachable and services are not required.
pub async fn postgres(test: &str) -> Option<TestDb> {
    sqlx::any::install_default_drivers();
    let admin_url =
        std::env::var("BACKBEAT_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let mut admin = match connect(&admin_url).await {
        Ok(c) => c,
        Err(e) if services_required() => {
            panic!("{test}: PostgreSQL not reachable at {admin_url}: {e}")
        }
        Err(_) => {
            println!("SKIP: {test}: PostgreSQL not reachable");
            return None;
        }
    };
    let name = format!("backbeat_test_{}", crate::model::new_id().simple());
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let _ = admin.close().await;
    Some(TestDb {
        kind: Kind::Postgres,
        url: with_database(&admin_url, &name),
        _cleanup: Cleanup::Postgres { admin_url, name },
    })
}

async fn connect(url: &str) -> Result<AnyConnection, String> {
    match tokio::time::timeout(Duration::from_secs(5), AnyConnection::connect(url)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// The same server URL with another database name (the path), keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop may run inside the test's runtime (even while it unwinds), where blocking on
        // another future is not allowed: do it on a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut admin = connect(&admin_url).await?;
                // FORCE: the test's pool may still hold connections.
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test database: {e}"),
            Err(_) => eprintln!("warning: dropping the test database panicked"),
        }
    }
}
