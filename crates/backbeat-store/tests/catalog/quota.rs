//! Account usage against quotas: the conditional charge (also under concurrency), the daily
//! processing allowance, and the share a track gives back when deleted or re-uploaded.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{AlbumKind, Charge, ChargeOutcome, Quota, QuotaLimits, Usage};
use futures_util::future::join_all;

use super::{audio, track, upload, user, LOCK};

conformance!(
    charges_add_up_until_a_quota_would_break,
    processing_time_is_per_day,
    concurrent_charges_never_overshoot,
    deleted_tracks_give_their_share_back,
    replaced_audio_moves_the_charge,
);

const DAY: i64 = 20_000;

fn track_charge(bytes: i64) -> Charge {
    Charge {
        tracks: 1,
        bytes,
        processed_ms: 1_000,
    }
}

fn usage(tracks: i64, stored_bytes: i64, processed_ms: i64) -> Usage {
    Usage {
        tracks,
        stored_bytes,
        processed_ms,
    }
}

async fn charges_add_up_until_a_quota_would_break(c: &SqlCatalog) {
    let u = user(c, "q1@example.com").await;
    assert_eq!(c.usage(u.id, DAY).await.unwrap(), Usage::default());
    let limits = QuotaLimits {
        max_tracks: Some(2),
        max_stored_bytes: Some(1_000),
        max_processed_ms_per_day: None,
    };
    let r = c
        .charge(u.id, track_charge(400), limits, DAY)
        .await
        .unwrap();
    assert_eq!(r, ChargeOutcome::Charged(usage(1, 400, 1_000)));
    // Over the bytes: refused, nothing charged.
    let r = c
        .charge(u.id, track_charge(601), limits, DAY)
        .await
        .unwrap();
    assert_eq!(
        r,
        ChargeOutcome::Refused(Quota::StoredBytes, usage(1, 400, 1_000))
    );
    let r = c
        .charge(u.id, track_charge(600), limits, DAY)
        .await
        .unwrap();
    assert_eq!(r, ChargeOutcome::Charged(usage(2, 1_000, 2_000)));
    let r = c.charge(u.id, track_charge(0), limits, DAY).await.unwrap();
    assert_eq!(
        r,
        ChargeOutcome::Refused(Quota::Tracks, usage(2, 1_000, 2_000))
    );
    // A charge that adds no track is not refused for the track count (replacing audio).
    c.refund(u.id, track_charge(600), DAY).await.unwrap();
    let replace = Charge {
        tracks: 0,
        bytes: 500,
        processed_ms: 1_000,
    };
    let r = c.charge(u.id, replace, limits, DAY).await.unwrap();
    assert_eq!(r, ChargeOutcome::Charged(usage(1, 900, 2_000)));
    // Unknown accounts are refused by reference.
    let ghost = backbeat_store::new_id();
    assert!(c.charge(ghost, track_charge(1), limits, DAY).await.is_err());
}

async fn processing_time_is_per_day(c: &SqlCatalog) {
    let u = user(c, "q2@example.com").await;
    let limits = QuotaLimits {
        max_processed_ms_per_day: Some(2_500),
        ..QuotaLimits::default()
    };
    for expect in [1_000, 2_000] {
        let r = c.charge(u.id, track_charge(1), limits, DAY).await.unwrap();
        assert_eq!(
            r,
            ChargeOutcome::Charged(usage(expect / 1_000, expect / 1_000, expect))
        );
    }
    let r = c.charge(u.id, track_charge(1), limits, DAY).await.unwrap();
    assert_eq!(
        r,
        ChargeOutcome::Refused(Quota::ProcessingPerDay, usage(2, 2, 2_000))
    );
    // The next day starts afresh; tracks and bytes do not.
    assert_eq!(c.usage(u.id, DAY + 1).await.unwrap(), usage(2, 2, 0));
    let r = c
        .charge(u.id, track_charge(1), limits, DAY + 1)
        .await
        .unwrap();
    assert_eq!(r, ChargeOutcome::Charged(usage(3, 3, 1_000)));
    // A refund of another day's charge leaves today's time alone.
    c.refund(u.id, track_charge(1), DAY).await.unwrap();
    assert_eq!(c.usage(u.id, DAY + 1).await.unwrap(), usage(2, 2, 1_000));
}

async fn concurrent_charges_never_overshoot(c: &SqlCatalog) {
    let u = user(c, "q3@example.com").await;
    let limits = QuotaLimits {
        max_tracks: Some(5),
        ..QuotaLimits::default()
    };
    let outcomes = join_all((0..24).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.charge(u.id, track_charge(10), limits, DAY).await })
    }))
    .await;
    let charged = outcomes
        .into_iter()
        .map(|r| r.expect("task").expect("charge"))
        .filter(|o| matches!(o, ChargeOutcome::Charged(_)))
        .count();
    assert_eq!(charged, 5);
    assert_eq!(c.usage(u.id, DAY).await.unwrap(), usage(5, 50, 5_000));
}

async fn deleted_tracks_give_their_share_back(c: &SqlCatalog) {
    let u = user(c, "q4@example.com").await;
    let artist = c.create_artist("Q", u.id).await.unwrap();
    let album = c
        .create_album(artist.id, "Q", AlbumKind::Album, None)
        .await
        .unwrap();
    let bytes = audio().bytes;
    let unlimited = QuotaLimits::default();
    let mut tracks = Vec::new();
    for i in 0..3 {
        c.charge(u.id, track_charge(bytes), unlimited, DAY)
            .await
            .unwrap();
        tracks.push(track(c, album.id, u.id, &format!("t{i}")).await);
    }
    assert_eq!(
        c.usage(u.id, DAY).await.unwrap(),
        usage(3, 3 * bytes, 3_000)
    );
    c.delete_track(tracks[0].id).await.unwrap();
    assert_eq!(
        c.usage(u.id, DAY).await.unwrap(),
        usage(2, 2 * bytes, 3_000)
    );
    // The cascades give back too; processing time was spent and stays.
    c.delete_artist(artist.id).await.unwrap();
    assert_eq!(c.usage(u.id, DAY).await.unwrap(), usage(0, 0, 3_000));
}

async fn replaced_audio_moves_the_charge(c: &SqlCatalog) {
    let u = user(c, "q5@example.com").await;
    let co = user(c, "q5co@example.com").await;
    let artist = c.create_artist("Q", u.id).await.unwrap();
    let album = c
        .create_album(artist.id, "Q", AlbumKind::Album, None)
        .await
        .unwrap();
    let bytes = audio().bytes;
    let unlimited = QuotaLimits::default();
    c.charge(u.id, track_charge(bytes), unlimited, DAY)
        .await
        .unwrap();
    let t = track(c, album.id, u.id, "t").await;
    // The uploader replaces it: the bytes change, the track stays theirs.
    let mut smaller = audio();
    smaller.bytes = 1_000;
    let replace = Charge {
        tracks: 0,
        bytes: smaller.bytes,
        processed_ms: 1_000,
    };
    c.charge(u.id, replace, unlimited, DAY).await.unwrap();
    let key = upload(c, u.id).await;
    c.replace_track_audio(t.id, &key, LOCK, u.id, smaller.clone())
        .await
        .unwrap();
    assert_eq!(c.usage(u.id, DAY).await.unwrap(), usage(1, 1_000, 2_000));
    // A co-owner replaces it: the whole track moves to them.
    c.charge(co.id, replace, unlimited, DAY).await.unwrap();
    let key = upload(c, co.id).await;
    c.replace_track_audio(t.id, &key, LOCK, co.id, smaller)
        .await
        .unwrap();
    assert_eq!(c.usage(u.id, DAY).await.unwrap(), usage(0, 0, 2_000));
    assert_eq!(c.usage(co.id, DAY).await.unwrap(), usage(1, 1_000, 1_000));
    c.delete_track(t.id).await.unwrap();
    assert_eq!(c.usage(co.id, DAY).await.unwrap(), usage(0, 0, 1_000));
}
