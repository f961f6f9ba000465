//! Hostile input, concurrency, migrations, malformed rows, connection URLs.

use backbeat_store::prelude::*;
use backbeat_store::sql::{Backend, SqlCatalog};
use backbeat_store::{
    AlbumKind, ListQuery, LockOutcome, NewPlaylist, NewUser, Role, SlotState, StoreError,
};
use futures_util::future::join_all;

use super::{new_track, open, track, upload, user};
use crate::common::{Kind, TestDb};

conformance!(hostile_strings_are_stored_verbatim);
conformance!(db:
    migrations_are_idempotent_and_race_free,
    malformed_rows_are_errors,
    a_database_from_before_upload_locks_opens,
);

async fn hostile_strings_are_stored_verbatim(c: &SqlCatalog) {
    let long: String = "é".repeat(5_000) + &"x".repeat(5_000);
    let nasty = [
        "O'Brien \"The Kid\"; DROP TABLE artists; --",
        "Björk Guðmundsdóttir 🎵 مرحبا 日本語 \u{200b}\t\n\\",
        "%_*?[]' OR '1'='1",
        "",
        long.as_str(),
    ];
    let u = c
        .create_user(NewUser {
            email: "Ω'@Exämple.com".into(),
            display_name: nasty[0].into(),
            password_hash: nasty[1].into(),
            role: Role::Listener,
        })
        .await
        .expect("user");
    assert_eq!(u.email, "ω'@exämple.com");
    let (again, hash) = c.user_credentials("Ω'@EXÄMPLE.COM").await.expect("login");
    assert_eq!(
        (again.display_name.as_str(), hash.as_str()),
        (nasty[0], nasty[1])
    );

    let mut album = None;
    for name in nasty {
        let a = c.create_artist(name, u.id).await.expect("artist");
        assert_eq!(c.artist(a.id).await.expect("get").name, name);
        let al = c
            .create_album(a.id, name, AlbumKind::Single, None)
            .await
            .expect("album");
        assert_eq!(c.album(al.id).await.expect("get").title, name);
        album = Some(al.id);
        let t = track(c, al.id, u.id, name).await;
        assert_eq!(c.track(t.id).await.expect("get").title, name);
        let p = NewPlaylist {
            owner_id: u.id,
            name: name.into(),
            description: name.into(),
            public: true,
            track_ids: vec![t.id],
        };
        let p = c.create_playlist(p).await.expect("playlist");
        let p = c.playlist(p.id).await.expect("get");
        assert_eq!((p.name.as_str(), p.description.as_str()), (name, name));
    }
    let by_name = ListQuery {
        sort: backbeat_store::SortField::Name,
        ..ListQuery::default()
    };
    let page = c.list_artists(None, by_name).await.expect("sorted");
    assert_eq!(page.total, nasty.len() as u64);
    assert_eq!(page.items[0].name, "", "empty name first");
    assert!(page.items.iter().any(|a| a.name == long));
    // A key that differs from a real one only by trailing quotes claims nothing.
    let album = album.expect("an album");
    let key = upload(c, u.id).await;
    let weird = format!("{key}'\"");
    let t = c.create_track(new_track(album, u.id, &weird, "x")).await;
    assert!(
        matches!(&t, Err(StoreError::InvalidReference(f)) if f == "upload"),
        "{t:?}"
    );
    c.upload(&key).await.expect("the real slot is untouched");
}

async fn migrations_are_idempotent_and_race_free(db: &TestDb) {
    // Four replicas starting at once on an empty database.
    let starts = (0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move { SqlCatalog::connect(&url).await })
    });
    let mut catalogs = Vec::new();
    for r in join_all(starts).await {
        catalogs.push(r.expect("task").expect("concurrent start"));
    }
    let first = &catalogs[0];
    assert_eq!(
        first.schema_versions().await.expect("versions"),
        (1..=11).collect::<Vec<i64>>()
    );
    let u = user(first, "mig@example.com").await;

    let again = open(db).await;
    assert_eq!(
        again.schema_versions().await.expect("versions"),
        (1..=11).collect::<Vec<i64>>()
    );
    assert_eq!(again.user(u.id).await.expect("data survives"), u);
    let expected = match db.kind {
        Kind::Sqlite => Backend::Sqlite,
        Kind::Postgres => Backend::Postgres,
    };
    assert_eq!(again.backend(), expected);
    for c in catalogs.iter().chain([&again]) {
        c.close().await;
    }
}

/// Database content is not trusted: a malformed id is an error, not a panic.
async fn malformed_rows_are_errors(db: &TestDb) {
    let c = open(db).await;
    let raw = sqlx::AnyPool::connect(&db.url).await.expect("raw pool");
    sqlx::query(
        "INSERT INTO artists (id, name, name_key, created_at, updated_at)
         VALUES ('not-a-uuid', 'x', 'x', 0, 0)",
    )
    .execute(&raw)
    .await
    .expect("raw insert");
    raw.close().await;
    let r = c.list_artists(None, ListQuery::default()).await;
    assert!(matches!(r, Err(StoreError::Database { .. })), "{r:?}");
    let r = c
        .all_search_docs(backbeat_store::DocKind::Artist, None, 10)
        .await;
    assert!(matches!(r, Err(StoreError::Database { .. })), "{r:?}");
    c.close().await;
}

/// A data directory made by a release before upload locks (schema 4, written here with that
/// release's own migration files) opens, and an upload slot it held can be locked and claimed.
async fn a_database_from_before_upload_locks_opens(db: &TestDb) {
    let schema_4: [&str; 4] = match db.kind {
        Kind::Sqlite => [
            include_str!("../../migrations/sqlite/0001_catalog.sql"),
            include_str!("../../migrations/sqlite/0002_jobs.sql"),
            include_str!("../../migrations/sqlite/0003_job_progress.sql"),
            include_str!("../../migrations/sqlite/0004_track_tags.sql"),
        ],
        Kind::Postgres => [
            include_str!("../../migrations/postgres/0001_catalog.sql"),
            include_str!("../../migrations/postgres/0002_jobs.sql"),
            include_str!("../../migrations/postgres/0003_job_progress.sql"),
            include_str!("../../migrations/postgres/0004_track_tags.sql"),
        ],
    };
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&db.url).await.expect("raw pool");
    sqlx::raw_sql(
        "CREATE TABLE backbeat_migrations (
             version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&raw)
    .await
    .expect("migrations table");
    for (i, sql) in schema_4.iter().enumerate() {
        sqlx::raw_sql(sql).execute(&raw).await.expect("old schema");
        sqlx::query(
            "INSERT INTO backbeat_migrations (version, name, applied_at) VALUES ($1, 'old', 0)",
        )
        .bind(i as i64 + 1)
        .execute(&raw)
        .await
        .expect("record");
    }
    let (user, key) = (backbeat_store::new_id(), "audio/from-schema-4");
    let now = backbeat_store::now_millis();
    sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, created_at, updated_at)
         VALUES ($1, 'old@example.com', 'Old', 'x', 'artist', 0, 0)",
    )
    .bind(user.to_string())
    .execute(&raw)
    .await
    .expect("old user");
    sqlx::query(
        "INSERT INTO uploads (key, user_id, max_bytes, expires_at, created_at)
         VALUES ($1, $2, 1000, $3, 0)",
    )
    .bind(key)
    .bind(user.to_string())
    .bind(now + 3_600_000)
    .execute(&raw)
    .await
    .expect("old slot");
    // Sessions from before refresh-token families (0006): each gets a family of its own.
    for hash in ["old-session-1", "old-session-2"] {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, expires_at, created_at)
             VALUES ($1, $2, $3, 0)",
        )
        .bind(hash)
        .bind(user.to_string())
        .bind(now + 3_600_000)
        .execute(&raw)
        .await
        .expect("old session");
    }
    raw.close().await;

    let c = open(db).await;
    assert_eq!(
        c.schema_versions().await.expect("versions"),
        (1..=11).collect::<Vec<i64>>()
    );
    assert_eq!(
        c.upload_state(key, now).await.expect("state"),
        SlotState::Open
    );
    let locked = c.lock_upload(key, "t", now + 60_000, now).await;
    assert_eq!(locked.expect("lock"), LockOutcome::Acquired);
    assert_eq!(c.user(user).await.expect("old user").token_epoch, 0);
    for hash in ["old-session-1", "old-session-2"] {
        let family = backbeat_store::new_id();
        let next = format!("{hash}-next");
        let r = c
            .rotate_session(family, hash, &next, now + 60_000, now)
            .await;
        assert!(
            matches!(r, Ok(backbeat_store::Rotation::Rotated(ref u)) if u.id == user),
            "{r:?}"
        );
        // Adopted into the family its successor names: a replay now revokes it.
        let replay = c.rotate_session(family, hash, "x", now + 60_000, now).await;
        assert!(
            matches!(replay, Ok(backbeat_store::Rotation::Reused { .. })),
            "{replay:?}"
        );
    }
    let artist = c.create_artist("Old", user).await.expect("artist");
    let album = c
        .create_album(artist.id, "Old", AlbumKind::Album, None)
        .await
        .expect("album");
    let mut claim = new_track(album.id, user, key, "old upload");
    claim.lock_token = "t".into();
    c.create_track(claim).await.expect("claim the old slot");
    c.close().await;
}

#[tokio::test]
async fn sqlite_in_memory_works_on_one_shared_connection() {
    let c = SqlCatalog::connect("sqlite::memory:")
        .await
        .expect("memory");
    let u = user(&c, "mem@example.com").await;
    assert_eq!(c.user(u.id).await.expect("read back"), u);
    let a = c.create_artist("m", u.id).await.expect("artist");
    assert_eq!(
        c.list_artists(None, ListQuery::default())
            .await
            .expect("list")
            .items,
        vec![a]
    );
}

#[tokio::test]
async fn sqlite_files_use_wal_and_foreign_keys() {
    let db = crate::common::sqlite();
    let c = open(&db).await;
    let raw = sqlx::AnyPool::connect(&db.url).await.expect("raw");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&raw)
        .await
        .expect("mode");
    assert_eq!(mode, "wal");
    raw.close().await;
    // foreign_keys=ON on the catalog's own connections: a dangling reference is refused.
    let r = c
        .create_album(backbeat_store::new_id(), "x", AlbumKind::Album, None)
        .await;
    assert!(matches!(r, Err(StoreError::InvalidReference(_))), "{r:?}");
    c.close().await;
}

#[tokio::test]
async fn unsupported_urls_are_errors() {
    for url in ["mysql://localhost/x", "nonsense", ""] {
        let r = SqlCatalog::connect(url).await;
        assert!(
            matches!(r, Err(StoreError::Database { .. })),
            "{url}: {r:?}"
        );
    }
}
