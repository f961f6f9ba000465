//! Upload slots (claim rules, the lock that keeps a claim and an upload apart, expiry) and the
//! garbage list.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, now_millis, AlbumKind, Id, LockOutcome, SlotState, Upload};
use futures_util::future::join_all;

use super::{
    conflict, garbage, invalid_ref, new_track, not_found, upload, upload_expiring, user, HOUR, LOCK,
};

conformance!(
    upload_claim_rules,
    two_lockers_exclude_each_other,
    concurrent_lockers_one_wins,
    an_expired_lock_can_be_taken,
    only_the_holder_extends_a_lease,
    a_claim_needs_the_lock_token,
    a_claimed_or_gone_slot_cannot_be_locked,
    expiry_collects_only_unclaimed_uploads,
    garbage_list_paging_and_done,
    garbage_put_off_waits_for_its_time,
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
    let locked = c.lock_upload(&claimed, LOCK, now + HOUR, now).await;
    assert_eq!(locked.expect("lock"), LockOutcome::Acquired);
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
    let first = c
        .garbage(3, backbeat_store::now_millis())
        .await
        .expect("page");
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|g| !g.prefix && keys.contains(&g.key)));

    let done: Vec<String> = first.iter().map(|g| g.key.clone()).collect();
    c.garbage_done(&done).await.expect("done");
    c.garbage_done(&done).await.expect("done twice is harmless");
    c.garbage_done(&[]).await.expect("nothing done");
    let rest = c
        .garbage(100, backbeat_store::now_millis())
        .await
        .expect("rest");
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|g| !done.contains(&g.key)));
    let all: Vec<String> = rest.into_iter().map(|g| g.key).collect();
    c.garbage_done(&all).await.expect("done");
    assert!(c
        .garbage(100, backbeat_store::now_millis())
        .await
        .expect("empty")
        .is_empty());
}

/// A user with an album, for the lock tests.
/// Files a job replaced (a streaming ladder's previous generation) are listed for collection
/// only once their time has come; listing them again does not move that time.
async fn garbage_put_off_waits_for_its_time(c: &SqlCatalog) {
    let now = now_millis();
    let keys: Vec<String> = (0..3)
        .map(|i| {
            format!(
                "derived/{}/transcode/v1/ladder/g1-aac-96-0000{i}.m4s",
                new_id()
            )
        })
        .collect();
    c.collect_later(&keys, now + HOUR).await.expect("put off");
    let due = |g: &[backbeat_store::Garbage]| g.iter().filter(|g| keys.contains(&g.key)).count();
    assert_eq!(due(&c.garbage(100, now).await.expect("now")), 0);
    assert_eq!(
        due(&c.garbage(100, now + HOUR - 1).await.expect("just before")),
        0
    );
    // Listed again by a later run, later: the first time stands.
    c.collect_later(&keys, now + 5 * HOUR).await.expect("again");
    let at = c.garbage(100, now + HOUR).await.expect("due");
    assert_eq!(due(&at), 3);
    assert!(at.iter().all(|g| !g.prefix));
    c.collect_later(&[], now).await.expect("nothing");
}

async fn owner_with_album(c: &SqlCatalog, email: &str) -> (Id, Id) {
    let u = user(c, email).await;
    let a = c.create_artist("A", u.id).await.expect("artist");
    let al = c
        .create_album(a.id, "Al", AlbumKind::Album, None)
        .await
        .expect("album");
    (u.id, al.id)
}

async fn two_lockers_exclude_each_other(c: &SqlCatalog) {
    let u = user(c, "lk@example.com").await;
    let now = now_millis();
    let key = upload_expiring(c, u.id, now + HOUR).await;
    assert_eq!(
        c.upload_state(&key, now).await.expect("state"),
        SlotState::Open
    );

    let until = now + 60_000;
    let first = c
        .lock_upload(&key, "first", until, now)
        .await
        .expect("lock");
    assert_eq!(first, LockOutcome::Acquired);
    let second = c.lock_upload(&key, "second", now + 90_000, now + 1).await;
    assert_eq!(second.expect("lock"), LockOutcome::Busy { until });
    // Taking it again with the same token is no different: a lock is not re-entrant.
    let again = c.lock_upload(&key, "first", until, now + 1).await;
    assert_eq!(again.expect("lock"), LockOutcome::Busy { until });
    assert_eq!(
        c.upload_state(&key, now + 1).await.expect("state"),
        SlotState::Busy { until }
    );

    assert!(!c.unlock_upload(&key, "second").await.expect("unlock"));
    let still = c.lock_upload(&key, "second", now + 90_000, now + 2).await;
    assert_eq!(still.expect("lock"), LockOutcome::Busy { until });
    assert!(c.unlock_upload(&key, "first").await.expect("unlock"));
    assert!(!c.unlock_upload(&key, "first").await.expect("twice"));
    assert_eq!(
        c.upload_state(&key, now + 3).await.expect("state"),
        SlotState::Open
    );
    let second = c.lock_upload(&key, "second", now + 90_000, now + 3).await;
    assert_eq!(second.expect("lock"), LockOutcome::Acquired);
}

async fn only_the_holder_extends_a_lease(c: &SqlCatalog) {
    let (u, al) = owner_with_album(c, "ex@example.com").await;
    let now = now_millis();
    let key = upload_expiring(c, u, now + HOUR).await;
    assert!(
        !c.extend_upload_lock(&key, "nobody", now + 1_000)
            .await
            .expect("extend"),
        "an unlocked slot has no lease to extend"
    );
    let locked = c.lock_upload(&key, "holder", now + 1_000, now).await;
    assert_eq!(locked.expect("lock"), LockOutcome::Acquired);
    assert!(!c
        .extend_upload_lock(&key, "intruder", now + 90_000)
        .await
        .expect("extend"));
    assert!(c
        .extend_upload_lock(&key, "holder", now + 90_000)
        .await
        .expect("extend"));
    // Past the first lease the renewed one still keeps others out.
    let later = c
        .lock_upload(&key, "other", now + 95_000, now + 5_000)
        .await;
    assert_eq!(
        later.expect("lock"),
        LockOutcome::Busy {
            until: now + 90_000
        }
    );
    let mut claim = new_track(al, u, &key, "t");
    claim.lock_token = "holder".into();
    c.create_track(claim).await.expect("claim");
    assert!(
        !c.extend_upload_lock(&key, "holder", now + 99_000)
            .await
            .expect("extend"),
        "a claimed slot holds no lock"
    );
}

async fn concurrent_lockers_one_wins(c: &SqlCatalog) {
    let u = user(c, "cl@example.com").await;
    let now = now_millis();
    let key = upload_expiring(c, u.id, now + HOUR).await;
    let lockers = (0..10).map(|i| {
        let (c, key) = (c.clone(), key.clone());
        tokio::spawn(async move {
            c.lock_upload(&key, &format!("t{i}"), now + 60_000, now)
                .await
        })
    });
    let outcomes: Vec<_> = join_all(lockers)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("lock"))
        .collect();
    let won = outcomes
        .iter()
        .filter(|o| **o == LockOutcome::Acquired)
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, LockOutcome::Acquired | LockOutcome::Busy { .. })),
        "{outcomes:?}"
    );
}

async fn an_expired_lock_can_be_taken(c: &SqlCatalog) {
    let (u, al) = owner_with_album(c, "el@example.com").await;
    let now = now_millis();
    let key = upload_expiring(c, u, now + HOUR).await;
    let lease_end = now + 1_000;
    let first = c.lock_upload(&key, "crashed", lease_end, now).await;
    assert_eq!(first.expect("lock"), LockOutcome::Acquired);
    let early = c
        .lock_upload(&key, "next", lease_end + 60_000, lease_end - 1)
        .await;
    assert_eq!(early.expect("lock"), LockOutcome::Busy { until: lease_end });
    assert_eq!(
        c.upload_state(&key, lease_end).await.expect("state"),
        SlotState::Open,
        "a lease is over at its end"
    );
    let next = c
        .lock_upload(&key, "next", lease_end + 60_000, lease_end)
        .await;
    assert_eq!(next.expect("lock"), LockOutcome::Acquired);

    // The holder whose lease ended can no longer claim or release; the new holder can.
    let mut late = new_track(al, u, &key, "late");
    late.lock_token = "crashed".into();
    invalid_ref(c.create_track(late).await, "upload");
    assert!(!c.unlock_upload(&key, "crashed").await.expect("unlock"));
    let mut claim = new_track(al, u, &key, "t");
    claim.lock_token = "next".into();
    c.create_track(claim).await.expect("the new holder claims");
}

async fn a_claim_needs_the_lock_token(c: &SqlCatalog) {
    let (u, al) = owner_with_album(c, "ct@example.com").await;
    let now = now_millis();
    let key = upload_expiring(c, u, now + HOUR).await;
    let claim = |token: &str| {
        let mut t = new_track(al, u, &key, "t");
        t.lock_token = token.into();
        t
    };
    // Not locked at all: no claim, whatever the token.
    invalid_ref(c.create_track(claim("any")).await, "upload");
    invalid_ref(c.create_track(claim("")).await, "upload");

    let locked = c.lock_upload(&key, "holder", now + 60_000, now).await;
    assert_eq!(locked.expect("lock"), LockOutcome::Acquired);
    invalid_ref(c.create_track(claim("intruder")).await, "upload");
    c.upload(&key)
        .await
        .expect("a refused claim leaves the slot unclaimed");
    // Released: the token no longer claims either (an upload may have landed since).
    assert!(c.unlock_upload(&key, "holder").await.expect("unlock"));
    invalid_ref(c.create_track(claim("holder")).await, "upload");

    let locked = c.lock_upload(&key, "holder", now + 60_000, now).await;
    assert_eq!(locked.expect("lock"), LockOutcome::Acquired);
    let t = c.create_track(claim("holder")).await.expect("claim");
    assert_eq!(t.blob_key, key);
    assert!(
        !c.unlock_upload(&key, "holder").await.expect("unlock"),
        "the claim released the lock"
    );

    // Replacing audio claims the same way.
    let other = upload_expiring(c, u, now + HOUR).await;
    invalid_ref(
        c.replace_track_audio(t.id, &other, "holder", u, super::audio())
            .await,
        "upload",
    );
    let locked = c.lock_upload(&other, "replacer", now + 60_000, now).await;
    assert_eq!(locked.expect("lock"), LockOutcome::Acquired);
    invalid_ref(
        c.replace_track_audio(t.id, &other, "holder", u, super::audio())
            .await,
        "upload",
    );
    let r = c
        .replace_track_audio(t.id, &other, "replacer", u, super::audio())
        .await
        .expect("replace");
    assert_eq!(r.blob_key, other);
}

async fn a_claimed_or_gone_slot_cannot_be_locked(c: &SqlCatalog) {
    let (u, al) = owner_with_album(c, "cg@example.com").await;
    let now = now_millis();
    let key = upload(c, u).await;
    c.create_track(new_track(al, u, &key, "t"))
        .await
        .expect("claim");
    assert_eq!(
        c.upload_state(&key, now).await.expect("state"),
        SlotState::Claimed
    );
    let r = c.lock_upload(&key, "late put", now + 60_000, now).await;
    assert_eq!(r.expect("lock"), LockOutcome::Claimed);
    // Still claimed once the lock would long have ended, and after the slot's own expiry.
    let later = now + 2 * HOUR;
    let r = c.lock_upload(&key, "late put", later + 60_000, later).await;
    assert_eq!(r.expect("lock"), LockOutcome::Claimed);

    let expired = upload_expiring(c, u, now - 1).await;
    let r = c.lock_upload(&expired, "late put", now + 60_000, now).await;
    assert_eq!(r.expect("lock"), LockOutcome::Gone);
    assert_eq!(
        c.upload_state(&expired, now).await.expect("state"),
        SlotState::Gone
    );
    let r = c.lock_upload("audio/unknown", "x", now + 60_000, now).await;
    assert_eq!(r.expect("lock"), LockOutcome::Gone);
    assert_eq!(
        c.upload_state("audio/unknown", now).await.expect("state"),
        SlotState::Gone
    );
}
