//! Upload slots (claim rules, expiry) and the garbage list.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, now_millis, AlbumKind, Upload};

use super::{
    conflict, garbage, invalid_ref, new_track, not_found, upload, upload_expiring, user, HOUR,
};

conformance!(
    upload_claim_rules,
    expiry_collects_only_unclaimed_uploads,
    garbage_list_paging_and_done,
);

async fn upload_claim_rules(c: &SqlCatalog) {
    let u = user(c, "up@example.com").await;
    let other = user(c, "other@example.com").await;
    let a = c.create_artist("A", u.id).await.expect("artist");
    let al = c
        .create_album(a.id, "Al", AlbumKind::Album, None)
        .await
        .expect("album");

    let key = upload(c, u.id).await;
    let slot = c.upload(&key).await.expect("slot");
    assert_eq!((slot.user_id, slot.max_bytes), (u.id, 50_000_000));
    conflict(c.create_upload(slot.clone()).await);
    let ghost = Upload {
        key: "audio/ghost".into(),
        user_id: new_id(),
        ..slot
    };
    invalid_ref(c.create_upload(ghost).await, "user");

    invalid_ref(
        c.create_track(new_track(al.id, u.id, "audio/unknown", "t"))
            .await,
        "upload",
    );
    invalid_ref(
        c.create_track(new_track(al.id, other.id, &key, "t")).await,
        "upload",
    );
    invalid_ref(
        c.create_track(new_track(new_id(), u.id, &key, "t")).await,
        "album",
    );
    c.upload(&key)
        .await
        .expect("failed claims leave the slot unclaimed");

    let expired = upload_expiring(c, u.id, now_millis() - 1).await;
    invalid_ref(
        c.create_track(new_track(al.id, u.id, &expired, "t")).await,
        "upload",
    );

    let t = c
        .create_track(new_track(al.id, u.id, &key, "t"))
        .await
        .expect("claim");
    assert_eq!(t.blob_key, key);
    invalid_ref(
        c.create_track(new_track(al.id, u.id, &key, "t2")).await,
        "upload",
    );
    not_found(c.upload(&key).await);
    let page = c.list_tracks(None, Default::default()).await.expect("list");
    assert_eq!(
        page.total, 1,
        "no half-written tracks from the failed attempts"
    );
    assert!(garbage(c).await.is_empty());
}

async fn expiry_collects_only_unclaimed_uploads(c: &SqlCatalog) {
    let u = user(c, "ex@example.com").await;
    let a = c.create_artist("A", u.id).await.expect("artist");
    let al = c
        .create_album(a.id, "Al", AlbumKind::Album, None)
        .await
        .expect("album");
    let now = now_millis();
    let stale1 = upload_expiring(c, u.id, now - HOUR).await;
    let stale2 = upload_expiring(c, u.id, now - 1).await;
    let fresh = upload_expiring(c, u.id, now + HOUR).await;
    let claimed = upload_expiring(c, u.id, now + HOUR).await;
    let t = c
        .create_track(new_track(al.id, u.id, &claimed, "t"))
        .await
        .expect("claim");

    assert_eq!(c.expire_uploads(now).await.expect("expire"), 2);
    let expected = [(stale1.clone(), false), (stale2.clone(), false)]
        .into_iter()
        .collect();
    assert_eq!(garbage(c).await, expected);
    not_found(c.upload(&stale1).await);
    c.upload(&fresh).await.expect("unexpired slot stays");
    assert_eq!(c.expire_uploads(now).await.expect("again"), 0);

    // Two hours on, the fresh slot is expired too; the claimed one never goes to garbage.
    assert_eq!(c.expire_uploads(now + 2 * HOUR).await.expect("later"), 1);
    let g = garbage(c).await;
    assert!(g.contains(&(fresh, false)));
    assert!(
        !g.iter().any(|(k, _)| *k == claimed),
        "claimed blob collected: {g:?}"
    );
    assert_eq!(c.track(t.id).await.expect("track intact").blob_key, claimed);
    assert_eq!(c.expire_uploads(now + 3 * HOUR).await.expect("idle"), 0);
}

async fn garbage_list_paging_and_done(c: &SqlCatalog) {
    let u = user(c, "gc@example.com").await;
    let past = now_millis() - 1;
    let mut keys = Vec::new();
    for _ in 0..5 {
        keys.push(upload_expiring(c, u.id, past).await);
    }
    assert_eq!(c.expire_uploads(now_millis()).await.expect("expire"), 5);
    let first = c.garbage(3).await.expect("page");
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|g| !g.prefix && keys.contains(&g.key)));

    let done: Vec<String> = first.iter().map(|g| g.key.clone()).collect();
    c.garbage_done(&done).await.expect("done");
    c.garbage_done(&done).await.expect("done twice is harmless");
    c.garbage_done(&[]).await.expect("nothing done");
    let rest = c.garbage(100).await.expect("rest");
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|g| !done.contains(&g.key)));
    let all: Vec<String> = rest.into_iter().map(|g| g.key).collect();
    c.garbage_done(&all).await.expect("done");
    assert!(c.garbage(100).await.expect("empty").is_empty());
}
