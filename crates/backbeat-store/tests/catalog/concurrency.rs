//! Concurrency: writers never fail with busy/locked errors, and the rules that involve a
//! check and a write (claims, last owner, single-use tokens) hold under races.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{now_millis, AlbumKind, ListQuery, Rotation, StoreError, StoreResult};
use futures_util::future::join_all;

use super::{new_track, upload, user, HOUR};

conformance!(concurrent_writers, races_on_check_then_write_rules);

/// Many writers at once: none may fail with a busy/locked error (SQLite serialises them, the
/// pool queues them), and of concurrent claims of one upload exactly one wins.
async fn concurrent_writers(c: &SqlCatalog) {
    let u = user(c, "many@example.com").await;
    let tasks = (0..50).map(|i| {
        let c = c.clone();
        tokio::spawn(async move { c.create_artist(&format!("artist {i}"), u.id).await })
    });
    for r in join_all(tasks).await {
        r.expect("task").expect("every concurrent create succeeds");
    }
    let all = c
        .list_artists(None, ListQuery::default())
        .await
        .expect("list");
    assert_eq!(all.total, 50);

    let album = c
        .create_album(all.items[0].id, "A", AlbumKind::Album, None)
        .await
        .expect("album");
    let key = upload(c, u.id).await;
    let claims = (0..10).map(|i| {
        let (c, key) = (c.clone(), key.clone());
        tokio::spawn(async move {
            c.create_track(new_track(album.id, u.id, &key, &format!("t{i}")))
                .await
        })
    });
    let results: Vec<_> = join_all(claims)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results
        .iter()
        .all(|r| r.is_ok() || matches!(r, Err(StoreError::InvalidReference(f)) if f == "upload")));

    // Reads and writes interleaved.
    let mixed = (0..20).map(|i| {
        let c = c.clone();
        tokio::spawn(async move {
            if i % 2 == 0 {
                c.rename_artist(album.artist_id, &format!("n{i}"))
                    .await
                    .map(|_| ())
            } else {
                c.list_artists(None, ListQuery::default()).await.map(|_| ())
            }
        })
    });
    for r in join_all(mixed).await {
        r.expect("task").expect("mixed load");
    }
}

async fn races_on_check_then_write_rules(c: &SqlCatalog) {
    let u1 = user(c, "r1@example.com").await;
    let u2 = user(c, "r2@example.com").await;
    for round in 0..5 {
        let a = c
            .create_artist(&format!("duo {round}"), u1.id)
            .await
            .expect("artist");
        c.add_artist_owner(a.id, u2.id).await.expect("second owner");
        let removals = [u1.id, u2.id].map(|owner| {
            let c = c.clone();
            tokio::spawn(async move { c.remove_artist_owner(a.id, owner).await })
        });
        let results: Vec<_> = join_all(removals)
            .await
            .into_iter()
            .map(|r| r.expect("task"))
            .collect();
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(results
            .iter()
            .any(|r| matches!(r, Err(StoreError::Conflict(_)))));
        assert_eq!(c.artist(a.id).await.expect("get").owners.len(), 1);
    }

    let now = now_millis();
    let family = backbeat_store::new_id();
    c.create_session(u1.id, family, "race", now + HOUR)
        .await
        .expect("session");
    let rotations = (0..8).map(|i| {
        let c = c.clone();
        tokio::spawn(async move {
            c.rotate_session(family, "race", &format!("next {i}"), now + HOUR, now)
                .await
        })
    });
    let results: Vec<_> = join_all(rotations)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    // One rotation wins; the first to come after it is a replay of the token it rotated away
    // and revokes the family; the rest find nothing.
    let count = |f: fn(&StoreResult<Rotation>) -> bool| results.iter().filter(|r| f(r)).count();
    assert_eq!(
        count(|r| matches!(r, Ok(Rotation::Rotated(_)))),
        1,
        "{results:?}"
    );
    assert_eq!(
        count(|r| matches!(r, Ok(Rotation::Reused { .. }))),
        1,
        "{results:?}"
    );
    assert_eq!(
        count(|r| matches!(r, Err(StoreError::NotFound))),
        6,
        "{results:?}"
    );
}
