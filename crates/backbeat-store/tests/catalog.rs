//! The catalog conformance suite: every test is written once against [`SqlCatalog`] and run
//! against SQLite (a temporary file) and PostgreSQL (a fresh database), by the
//! [`conformance!`] macro, as `catalog::<module>::<test>::{sqlite,postgres}`.

use std::collections::BTreeSet;
use std::fmt::Debug;

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{
    now_millis, AudioFacts, Id, LockOutcome, NewTrack, NewUser, Role, StoreError, StoreResult,
    Track, TrackStatus, Upload, User,
};

use crate::common::TestDb;

/// Expands each named `async fn(&SqlCatalog)` into a module with one test per backend.
/// With `db:` the function receives the [`TestDb`] instead (URL-level tests).
macro_rules! conformance {
    (db: $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = crate::common::sqlite();
                super::$name(&db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                let Some(db) = crate::common::postgres(test).await else { return };
                super::$name(&db).await;
            }
        }
    )+};
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = crate::common::sqlite();
                let c = crate::catalog::open(&db).await;
                super::$name(&c).await;
                c.close().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                let Some(db) = crate::common::postgres(test).await else { return };
                let c = crate::catalog::open(&db).await;
                super::$name(&c).await;
                c.close().await;
            }
        }
    )+};
}

mod accounts;
mod annotation;
mod annotation_flowback;
mod annotation_reports;
mod artists;
mod concurrency;
mod full_disk;
mod jobs;
mod listing;
mod media;
mod playlists;
mod quota;
mod robustness;
mod search;
mod uploads;

/// Connects (and migrates) a catalog on a test database.
pub async fn open(db: &TestDb) -> SqlCatalog {
    SqlCatalog::connect(&db.url)
        .await
        .expect("connect and migrate")
}

pub const HOUR: i64 = 3_600_000;

/// Plausible probe results.
pub fn audio() -> AudioFacts {
    AudioFacts {
        container: "mp3".into(),
        codec: "mp3".into(),
        duration_ms: 183_000,
        sample_rate: 44_100,
        channels: 2,
        bytes: 2_930_000,
    }
}

pub async fn user(c: &SqlCatalog, email: &str) -> User {
    c.create_user(NewUser {
        email: email.into(),
        display_name: format!("User {email}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Artist,
    })
    .await
    .expect("create user")
}

/// The lock token of the slots [`upload`] makes, which [`new_track`] claims with.
pub const LOCK: &str = "test-lock";

/// A fresh upload slot of `user`, valid for an hour and locked with [`LOCK`] for an hour, as
/// a track's upload check leaves it just before the claim; returns its key.
pub async fn upload(c: &SqlCatalog, user: Id) -> String {
    let now = now_millis();
    let key = upload_expiring(c, user, now + HOUR).await;
    let locked = c.lock_upload(&key, LOCK, now + HOUR, now).await;
    assert_eq!(locked.expect("lock"), LockOutcome::Acquired);
    key
}

/// A fresh, unlocked upload slot of `user` that expires at `expires_at`; returns its key.
pub async fn upload_expiring(c: &SqlCatalog, user: Id, expires_at: i64) -> String {
    let key = format!("audio/{}", uuid::Uuid::new_v4());
    c.create_upload(Upload {
        key: key.clone(),
        user_id: user,
        max_bytes: 50_000_000,
        expires_at,
        created_at: now_millis(),
    })
    .await
    .expect("create upload");
    key
}

pub fn new_track(album: Id, user: Id, key: &str, title: &str) -> NewTrack {
    NewTrack {
        album_id: album,
        title: title.into(),
        upload_key: key.into(),
        lock_token: LOCK.into(),
        uploader: user,
        audio: audio(),
        status: TrackStatus::Processing,
    }
}

/// Uploads and creates a track in `album`.
pub async fn track(c: &SqlCatalog, album: Id, user: Id, title: &str) -> Track {
    let key = upload(c, user).await;
    c.create_track(new_track(album, user, &key, title))
        .await
        .expect("create track")
}

/// The whole garbage list as `(key, prefix)` pairs.
pub async fn garbage(c: &SqlCatalog) -> BTreeSet<(String, bool)> {
    let list = c
        .garbage(100_000, backbeat_store::now_millis())
        .await
        .expect("garbage");
    list.into_iter().map(|g| (g.key, g.prefix)).collect()
}

/// What deleting `t` must add to the garbage list: its blob and its derived prefix.
pub fn garbage_of(t: &Track) -> [(String, bool); 2] {
    [
        (t.blob_key.clone(), false),
        (backbeat_store::catalog::derived_prefix(t.id), true),
    ]
}

#[track_caller]
pub fn not_found<T: Debug>(r: StoreResult<T>) {
    assert!(
        matches!(r, Err(StoreError::NotFound)),
        "expected NotFound, got {r:?}"
    );
}

#[track_caller]
pub fn invalid_ref<T: Debug>(r: StoreResult<T>, field: &str) {
    match r {
        Err(StoreError::InvalidReference(f)) if f == field => {}
        other => panic!("expected InvalidReference({field:?}), got {other:?}"),
    }
}

#[track_caller]
pub fn conflict<T: Debug>(r: StoreResult<T>) {
    assert!(
        matches!(r, Err(StoreError::Conflict(_))),
        "expected Conflict, got {r:?}"
    );
}
