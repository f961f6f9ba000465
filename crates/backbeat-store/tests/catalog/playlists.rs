//! Playlists: order, duplicates, visibility, and all-or-nothing writes.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, AlbumKind, Id, ListQuery, NewPlaylist, PlaylistPatch, Track};

use super::{invalid_ref, not_found, track, user};

conformance!(
    playlists_golden_path,
    an_unknown_track_writes_nothing,
    visibility,
    long_playlists_keep_their_order,
);

async fn tracks(c: &SqlCatalog, owner: Id, n: usize) -> Vec<Track> {
    let a = c.create_artist("Band", owner).await.expect("artist");
    let al = c
        .create_album(a.id, "LP", AlbumKind::Album, None)
        .await
        .expect("album");
    let mut out = Vec::new();
    for i in 0..n {
        out.push(track(c, al.id, owner, &format!("track {i}")).await);
    }
    out
}

fn new(owner: Id, name: &str, public: bool, track_ids: Vec<Id>) -> NewPlaylist {
    NewPlaylist {
        owner_id: owner,
        name: name.into(),
        description: format!("about {name}"),
        public,
        track_ids,
    }
}

async fn playlists_golden_path(c: &SqlCatalog) {
    let u = user(c, "pl@example.com").await;
    let t = tracks(c, u.id, 3).await;
    let order = vec![t[2].id, t[0].id, t[2].id, t[1].id];
    let p = c
        .create_playlist(new(u.id, "Road", false, order.clone()))
        .await
        .expect("create");
    assert_eq!(
        (p.owner_id, p.name.as_str(), p.description.as_str()),
        (u.id, "Road", "about Road")
    );
    assert_eq!((p.public, p.track_ids.clone()), (false, order));
    assert_eq!(c.playlist(p.id).await.expect("get"), p);

    let patch = PlaylistPatch {
        name: Some("Road trip".into()),
        public: Some(true),
        ..PlaylistPatch::default()
    };
    let q = c.update_playlist(p.id, patch).await.expect("rename");
    assert_eq!(
        (q.name.as_str(), q.public, &q.track_ids),
        ("Road trip", true, &p.track_ids)
    );
    assert_eq!(q.description, p.description);
    assert!(q.updated_at >= p.updated_at);
    let patch = PlaylistPatch {
        description: Some(String::new()),
        track_ids: Some(vec![t[1].id]),
        ..PlaylistPatch::default()
    };
    let r = c.update_playlist(p.id, patch).await.expect("replace items");
    assert_eq!(
        (r.description.as_str(), r.track_ids.clone(), r.public),
        ("", vec![t[1].id], true)
    );
    let empty = PlaylistPatch {
        track_ids: Some(Vec::new()),
        ..PlaylistPatch::default()
    };
    assert!(c
        .update_playlist(p.id, empty)
        .await
        .expect("empty")
        .track_ids
        .is_empty());
    assert_eq!(
        c.playlist(p.id).await.expect("get").track_ids,
        Vec::<Id>::new()
    );

    invalid_ref(
        c.create_playlist(new(new_id(), "ghost", true, vec![]))
            .await,
        "user",
    );
    not_found(c.playlist(new_id()).await);
    not_found(c.update_playlist(new_id(), PlaylistPatch::default()).await);
    not_found(c.delete_playlist(new_id()).await);
    c.delete_playlist(p.id).await.expect("delete");
    not_found(c.playlist(p.id).await);
    c.track(t[0].id)
        .await
        .expect("tracks survive their playlists");
}

async fn an_unknown_track_writes_nothing(c: &SqlCatalog) {
    let u = user(c, "inv@example.com").await;
    let t = tracks(c, u.id, 2).await;
    let bad = vec![t[0].id, new_id(), t[1].id];
    invalid_ref(
        c.create_playlist(new(u.id, "bad", true, bad.clone())).await,
        "track",
    );
    let all = c
        .list_playlists(None, ListQuery::default())
        .await
        .expect("list");
    assert_eq!(
        (all.total, all.items.len()),
        (0, 0),
        "no playlist row left behind"
    );

    let p = c
        .create_playlist(new(u.id, "good", true, vec![t[0].id]))
        .await
        .expect("create");
    let patch = PlaylistPatch {
        name: Some("renamed".into()),
        track_ids: Some(bad),
        ..PlaylistPatch::default()
    };
    invalid_ref(c.update_playlist(p.id, patch).await, "track");
    assert_eq!(c.playlist(p.id).await.expect("unchanged"), p);
}

async fn visibility(c: &SqlCatalog) {
    let a = user(c, "va@example.com").await;
    let b = user(c, "vb@example.com").await;
    let a_private = c
        .create_playlist(new(a.id, "a1", false, vec![]))
        .await
        .expect("p");
    let a_public = c
        .create_playlist(new(a.id, "a2", true, vec![]))
        .await
        .expect("p");
    let b_private = c
        .create_playlist(new(b.id, "b1", false, vec![]))
        .await
        .expect("p");
    let ids = |page: backbeat_store::Page<backbeat_store::Playlist>| {
        (
            page.total,
            page.items.into_iter().map(|p| p.id).collect::<Vec<_>>(),
        )
    };
    let q = ListQuery::default();
    let seen_by_a = ids(c.list_playlists(Some(a.id), q).await.expect("a"));
    assert_eq!(seen_by_a, (2, vec![a_private.id, a_public.id]));
    let seen_by_b = ids(c.list_playlists(Some(b.id), q).await.expect("b"));
    assert_eq!(seen_by_b, (2, vec![a_public.id, b_private.id]));
    let stranger = ids(c.list_playlists(Some(new_id()), q).await.expect("s"));
    assert_eq!(stranger, (1, vec![a_public.id]));
    let everyone = ids(c.list_playlists(None, q).await.expect("all"));
    assert_eq!(everyone, (3, vec![a_private.id, a_public.id, b_private.id]));
}

/// More items than one INSERT statement carries.
async fn long_playlists_keep_their_order(c: &SqlCatalog) {
    let u = user(c, "long@example.com").await;
    let t = tracks(c, u.id, 3).await;
    let order: Vec<Id> = (0..1000).map(|i| t[(i * 7 + i / 3) % 3].id).collect();
    let p = c
        .create_playlist(new(u.id, "long", false, order.clone()))
        .await
        .expect("create");
    assert_eq!(p.track_ids, order);
    let reversed: Vec<Id> = order.iter().rev().copied().collect();
    let patch = PlaylistPatch {
        track_ids: Some(reversed.clone()),
        ..PlaylistPatch::default()
    };
    c.update_playlist(p.id, patch).await.expect("update");
    assert_eq!(c.playlist(p.id).await.expect("get").track_ids, reversed);
}
