//! Artists, ownership, and what deleting an artist takes with it.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, AlbumKind, ListQuery, NewPlaylist, StoreError};

use super::{garbage, garbage_of, invalid_ref, not_found, track, user};

conformance!(
    artists_golden_path,
    ownership_add_and_remove,
    deleting_an_artist_collects_every_blob,
);

async fn artists_golden_path(c: &SqlCatalog) {
    let u = user(c, "a@example.com").await;
    let a = c.create_artist("Nina Simone", u.id).await.expect("create");
    assert_eq!(
        (a.name.as_str(), a.owners.clone()),
        ("Nina Simone", vec![u.id])
    );
    assert_eq!(a.created_at, a.updated_at);
    assert_eq!(c.artist(a.id).await.expect("get"), a);

    let renamed = c.rename_artist(a.id, "Nina").await.expect("rename");
    assert_eq!(
        (renamed.name.as_str(), renamed.owners.clone()),
        ("Nina", vec![u.id])
    );
    assert!(renamed.updated_at >= a.updated_at);
    assert_eq!(renamed.created_at, a.created_at);
    assert_eq!(c.artist(a.id).await.expect("get"), renamed);

    not_found(c.artist(new_id()).await);
    not_found(c.rename_artist(new_id(), "x").await);
    not_found(c.delete_artist(new_id()).await);

    // An unknown owner writes nothing, not even the artist row.
    invalid_ref(c.create_artist("Ghost", new_id()).await, "user");
    let all = c
        .list_artists(None, ListQuery::default())
        .await
        .expect("list");
    assert_eq!(all.total, 1);

    c.delete_artist(a.id).await.expect("delete");
    not_found(c.artist(a.id).await);
    not_found(c.delete_artist(a.id).await);
}

async fn ownership_add_and_remove(c: &SqlCatalog) {
    let u1 = user(c, "one@example.com").await;
    let u2 = user(c, "two@example.com").await;
    let a = c.create_artist("Duo", u1.id).await.expect("create");
    let b = c.create_artist("Solo", u2.id).await.expect("create");

    let both = c.add_artist_owner(a.id, u2.id).await.expect("add");
    let mut expected = vec![u1.id, u2.id];
    expected.sort();
    assert_eq!(both.owners, expected, "owners sorted");
    let again = c.add_artist_owner(a.id, u2.id).await.expect("idempotent");
    assert_eq!(again.owners, expected);
    invalid_ref(c.add_artist_owner(a.id, new_id()).await, "user");
    not_found(c.add_artist_owner(new_id(), u1.id).await);

    let owned = c
        .list_artists(Some(u2.id), ListQuery::default())
        .await
        .expect("list");
    let ids: Vec<_> = owned.items.iter().map(|x| x.id).collect();
    assert_eq!((owned.total, ids), (2, vec![a.id, b.id]));
    let owned = c
        .list_artists(Some(u1.id), ListQuery::default())
        .await
        .expect("list");
    assert_eq!(owned.items, vec![c.artist(a.id).await.expect("get")]);

    let one = c.remove_artist_owner(a.id, u1.id).await.expect("remove");
    assert_eq!(one.owners, vec![u2.id]);
    let last = c.remove_artist_owner(a.id, u2.id).await;
    assert!(
        matches!(last, Err(StoreError::Conflict(_))),
        "last owner: {last:?}"
    );
    not_found(c.remove_artist_owner(a.id, u1.id).await);
    not_found(c.remove_artist_owner(new_id(), u1.id).await);
    assert_eq!(c.artist(a.id).await.expect("get").owners, vec![u2.id]);
    assert_eq!(
        c.list_artists(Some(u1.id), ListQuery::default())
            .await
            .expect("l")
            .total,
        0
    );
}

async fn deleting_an_artist_collects_every_blob(c: &SqlCatalog) {
    let u = user(c, "del@example.com").await;
    let a = c.create_artist("Doomed", u.id).await.expect("artist");
    let keep = c.create_artist("Kept", u.id).await.expect("artist");
    let x = c
        .create_album(a.id, "X", AlbumKind::Album, Some(1999))
        .await
        .expect("album");
    let y = c
        .create_album(a.id, "Y", AlbumKind::Single, None)
        .await
        .expect("album");
    let z = c
        .create_album(keep.id, "Z", AlbumKind::Ep, None)
        .await
        .expect("album");
    let t1 = track(c, x.id, u.id, "one").await;
    let t2 = track(c, x.id, u.id, "two").await;
    let t3 = track(c, y.id, u.id, "three").await;
    let t4 = track(c, z.id, u.id, "kept").await;
    let p = c
        .create_playlist(NewPlaylist {
            owner_id: u.id,
            name: "mix".into(),
            description: String::new(),
            public: false,
            track_ids: vec![t1.id, t4.id, t3.id, t4.id],
        })
        .await
        .expect("playlist");

    c.delete_artist(a.id).await.expect("delete");

    let expected = [&t1, &t2, &t3].into_iter().flat_map(garbage_of).collect();
    assert_eq!(
        garbage(c).await,
        expected,
        "exactly the blobs and prefixes of its tracks"
    );
    for t in [&t1, &t2, &t3] {
        not_found(c.track(t.id).await);
    }
    not_found(c.album(x.id).await);
    not_found(c.album(y.id).await);
    assert_eq!(c.track(t4.id).await.expect("other artist untouched"), t4);
    assert_eq!(c.album(z.id).await.expect("other album"), z);
    let p2 = c.playlist(p.id).await.expect("playlist stays");
    assert_eq!(p2.track_ids, vec![t4.id, t4.id], "dense, in order");
    assert!(p2.updated_at >= p.updated_at);
    let albums = c
        .list_albums(Some(a.id), ListQuery::default())
        .await
        .expect("list");
    assert_eq!(albums.total, 0);
}
