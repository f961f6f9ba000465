//! Albums and tracks: CRUD, moves, audio replacement, and what deletion collects.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{
    new_id, AlbumKind, AlbumPatch, AudioFacts, ListQuery, NewPlaylist, TrackPatch, TrackStatus,
};

use super::{garbage, garbage_of, invalid_ref, new_track, not_found, track, upload, user, LOCK};

conformance!(
    albums_golden_path,
    tracks_golden_path,
    deleting_an_album_collects_its_blobs_and_keeps_playlists_dense,
    replacing_audio_collects_the_old_blob,
);

async fn albums_golden_path(c: &SqlCatalog) {
    let u = user(c, "al@example.com").await;
    let a = c.create_artist("Artist", u.id).await.expect("artist");
    let al = c
        .create_album(a.id, "First", AlbumKind::Ep, Some(2001))
        .await
        .expect("album");
    assert_eq!(
        (al.artist_id, al.kind, al.release_year),
        (a.id, AlbumKind::Ep, Some(2001))
    );
    assert_eq!(c.album(al.id).await.expect("get"), al);
    invalid_ref(
        c.create_album(new_id(), "Orphan", AlbumKind::Album, None)
            .await,
        "artist",
    );

    let patch = AlbumPatch {
        title: Some("First (remaster)".into()),
        ..AlbumPatch::default()
    };
    let t = c.update_album(al.id, patch).await.expect("title");
    assert_eq!(
        (t.title.as_str(), t.kind, t.release_year),
        ("First (remaster)", AlbumKind::Ep, Some(2001))
    );
    assert!(t.updated_at >= al.updated_at);
    let patch = AlbumPatch {
        kind: Some(AlbumKind::Album),
        release_year: Some(None),
        ..AlbumPatch::default()
    };
    let k = c.update_album(al.id, patch).await.expect("kind and year");
    assert_eq!(
        (k.title.as_str(), k.kind, k.release_year),
        ("First (remaster)", AlbumKind::Album, None)
    );
    let y = AlbumPatch {
        release_year: Some(Some(1970)),
        ..AlbumPatch::default()
    };
    assert_eq!(
        c.update_album(al.id, y).await.expect("year").release_year,
        Some(1970)
    );
    assert_eq!(c.album(al.id).await.expect("get").release_year, Some(1970));
    not_found(c.update_album(new_id(), AlbumPatch::default()).await);
    not_found(c.album(new_id()).await);
    not_found(c.delete_album(new_id()).await);

    let b = c.create_artist("Other", u.id).await.expect("artist");
    c.create_album(b.id, "Theirs", AlbumKind::Single, None)
        .await
        .expect("album");
    let mine = c
        .list_albums(Some(a.id), ListQuery::default())
        .await
        .expect("list");
    assert_eq!((mine.total, mine.items.len()), (1, 1));
    assert_eq!(
        c.list_albums(None, ListQuery::default())
            .await
            .expect("all")
            .total,
        2
    );
}

async fn tracks_golden_path(c: &SqlCatalog) {
    let u = user(c, "tr@example.com").await;
    let a = c.create_artist("Artist", u.id).await.expect("artist");
    let al = c
        .create_album(a.id, "A", AlbumKind::Album, None)
        .await
        .expect("album");
    let other = c
        .create_album(a.id, "B", AlbumKind::Album, None)
        .await
        .expect("album");
    let key = upload(c, u.id).await;
    let t = c
        .create_track(new_track(al.id, u.id, &key, "Song"))
        .await
        .expect("track");
    assert_eq!(
        (t.album_id, t.title.as_str(), t.blob_key.as_str()),
        (al.id, "Song", key.as_str())
    );
    assert_eq!(
        (t.status, &t.audio),
        (TrackStatus::Processing, &super::audio())
    );
    assert_eq!(c.track(t.id).await.expect("get"), t);
    not_found(c.upload(&key).await);

    let patch = TrackPatch {
        title: Some("Song (edit)".into()),
        status: Some(TrackStatus::Ready),
        ..TrackPatch::default()
    };
    let e = c.update_track(t.id, patch).await.expect("update");
    assert_eq!(
        (e.title.as_str(), e.status, e.album_id),
        ("Song (edit)", TrackStatus::Ready, al.id)
    );
    let moved = TrackPatch {
        album_id: Some(other.id),
        ..TrackPatch::default()
    };
    let m = c.update_track(t.id, moved).await.expect("move");
    assert_eq!((m.album_id, m.title.as_str()), (other.id, "Song (edit)"));
    let bad = TrackPatch {
        album_id: Some(new_id()),
        title: Some("never".into()),
        ..TrackPatch::default()
    };
    invalid_ref(c.update_track(t.id, bad).await, "album");
    assert_eq!(c.track(t.id).await.expect("unchanged"), m);
    not_found(c.update_track(new_id(), TrackPatch::default()).await);
    not_found(c.track(new_id()).await);

    let listed = c
        .list_tracks(Some(other.id), ListQuery::default())
        .await
        .expect("list");
    assert_eq!((listed.total, listed.items), (1, vec![m.clone()]));
    assert_eq!(
        c.list_tracks(Some(al.id), ListQuery::default())
            .await
            .expect("l")
            .total,
        0
    );

    c.delete_track(t.id).await.expect("delete");
    not_found(c.track(t.id).await);
    not_found(c.delete_track(t.id).await);
    assert_eq!(garbage(c).await, garbage_of(&m).into_iter().collect());
}

async fn deleting_an_album_collects_its_blobs_and_keeps_playlists_dense(c: &SqlCatalog) {
    let u = user(c, "da@example.com").await;
    let a = c.create_artist("Artist", u.id).await.expect("artist");
    let gone = c
        .create_album(a.id, "Gone", AlbumKind::Album, None)
        .await
        .expect("album");
    let kept = c
        .create_album(a.id, "Kept", AlbumKind::Album, None)
        .await
        .expect("album");
    let t1 = track(c, gone.id, u.id, "t1").await;
    let t2 = track(c, kept.id, u.id, "t2").await;
    let t3 = track(c, gone.id, u.id, "t3").await;
    let t4 = track(c, kept.id, u.id, "t4").await;
    let p = c
        .create_playlist(NewPlaylist {
            owner_id: u.id,
            name: "p".into(),
            description: "d".into(),
            public: true,
            track_ids: vec![t1.id, t2.id, t1.id, t3.id, t4.id],
        })
        .await
        .expect("playlist");

    c.delete_album(gone.id).await.expect("delete");
    let expected = [&t1, &t3].into_iter().flat_map(garbage_of).collect();
    assert_eq!(garbage(c).await, expected);
    not_found(c.album(gone.id).await);
    not_found(c.track(t1.id).await);
    assert_eq!(c.track(t2.id).await.expect("kept"), t2);
    assert_eq!(
        c.playlist(p.id).await.expect("p").track_ids,
        vec![t2.id, t4.id]
    );
    // Rewriting the list after gaps still works and stays in order.
    let patch = backbeat_store::PlaylistPatch {
        track_ids: Some(vec![t4.id, t2.id, t4.id]),
        ..Default::default()
    };
    let p2 = c.update_playlist(p.id, patch).await.expect("rewrite");
    assert_eq!(p2.track_ids, vec![t4.id, t2.id, t4.id]);
}

async fn replacing_audio_collects_the_old_blob(c: &SqlCatalog) {
    let u = user(c, "ra@example.com").await;
    let stranger = user(c, "st@example.com").await;
    let a = c.create_artist("Artist", u.id).await.expect("artist");
    let al = c
        .create_album(a.id, "A", AlbumKind::Single, None)
        .await
        .expect("album");
    let t = track(c, al.id, u.id, "Song").await;
    let ready = TrackPatch {
        status: Some(TrackStatus::Ready),
        ..TrackPatch::default()
    };
    let t = c.update_track(t.id, ready).await.expect("ready");

    let facts = AudioFacts {
        container: "flac".into(),
        codec: "flac".into(),
        duration_ms: 200_001,
        sample_rate: 48_000,
        channels: 1,
        bytes: 9_000_000,
    };
    let theirs = upload(c, stranger.id).await;
    invalid_ref(
        c.replace_track_audio(t.id, &theirs, LOCK, u.id, facts.clone())
            .await,
        "upload",
    );
    invalid_ref(
        c.replace_track_audio(t.id, "audio/nope", LOCK, u.id, facts.clone())
            .await,
        "upload",
    );
    let key = upload(c, u.id).await;
    not_found(
        c.replace_track_audio(new_id(), &key, LOCK, u.id, facts.clone())
            .await,
    );
    assert!(
        garbage(c).await.is_empty(),
        "failed replacements collect nothing"
    );
    assert_eq!(c.track(t.id).await.expect("unchanged"), t);

    let r = c
        .replace_track_audio(t.id, &key, LOCK, u.id, facts.clone())
        .await
        .expect("replace");
    assert_eq!(
        (r.blob_key.as_str(), &r.audio, r.status),
        (key.as_str(), &facts, TrackStatus::Processing)
    );
    assert_eq!(
        (r.id, r.title.as_str(), r.created_at),
        (t.id, "Song", t.created_at)
    );
    assert_eq!(c.track(t.id).await.expect("get"), r);
    assert_eq!(
        garbage(c).await,
        [(t.blob_key.clone(), false)].into_iter().collect()
    );
    not_found(c.upload(&key).await);
    invalid_ref(
        c.replace_track_audio(t.id, &key, LOCK, u.id, facts).await,
        "upload",
    );
}
