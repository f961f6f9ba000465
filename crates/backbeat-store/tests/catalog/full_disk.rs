//! Running out of disk space under SQLite, for real (a small tmpfs holds the database): a
//! failed write must leave the writer connection clean, so writes work again as soon as space
//! is back, without a restart.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{Id, NewUser, Role};

use backbeat_store::testing::Tmpfs;

/// A write in a transaction (`BEGIN IMMEDIATE`, two inserts, `COMMIT`) whose row (name and
/// sort key, 3 MiB) outgrows SQLite's page cache (2 MiB by default): the transaction spills
/// to the WAL before its COMMIT, and a spill that meets a full disk makes SQLite roll back the
/// whole transaction on its own — the case that left sqlx's transaction depth behind.
async fn big_artist(c: &SqlCatalog, owner: Id, i: usize) -> Result<(), String> {
    let name = format!("{i}{}", "x".repeat(3 << 19));
    c.create_artist(&name, owner)
        .await
        .map(|_| ())
        .map_err(|e| {
            assert!(
                e.is_storage_full(),
                "a full disk is reported as such: {}",
                e.chain()
            );
            e.chain()
        })
}

/// Regression: after `SQLITE_FULL` the writer stayed inside a transaction and every later
/// write failed with "attempted to call begin_with at non-zero transaction depth".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_resume_once_a_full_disk_has_space_again() {
    let test = "catalog::full_disk::writes_resume_once_a_full_disk_has_space_again";
    let dir = tempfile::tempdir().expect("temporary folder");
    let Some(fs) = Tmpfs::mount(test, dir.path(), 24 << 20) else {
        return;
    };
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("catalog.db").display()
    );
    let c = SqlCatalog::connect(&url).await.expect("connect");
    let owner = c
        .create_user(NewUser {
            email: "owner@example.com".into(),
            display_name: "Owner".into(),
            password_hash: "hash".into(),
            role: Role::Artist,
        })
        .await
        .expect("user")
        .id;
    big_artist(&c, owner, 0).await.expect("a write with space");

    let filler = fs.fill();
    let mut failed = 0;
    for i in 1..6 {
        failed += usize::from(big_artist(&c, owner, i).await.is_err());
    }
    assert!(failed > 0, "writes on a full disk cannot all succeed");
    let ready = c.ping().await;
    assert!(
        ready.as_ref().is_err_and(|e| e.is_storage_full()),
        "a database on a full disk is not ready: {:?}",
        ready.map_err(|e| e.chain())
    );

    filler.free();
    for i in 100..103 {
        let r = big_artist(&c, owner, i).await;
        assert!(r.is_ok(), "write {i} after freeing space: {r:?}");
    }
    c.ping().await.expect("reads work too");
    c.close().await;
}
