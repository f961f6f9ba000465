//! Search documents: what each scope yields, with joined names, and the reindex walk.

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, AlbumKind, DocKind, DocScope, SearchDoc};

use super::{track, user};

conformance!(documents_per_scope, reindex_walk_visits_everything_once);

async fn documents_per_scope(c: &SqlCatalog) {
    let u = user(c, "sd@example.com").await;
    let a = c.create_artist("Miles Davis", u.id).await.expect("artist");
    let x = c
        .create_album(a.id, "Kind of Blue", AlbumKind::Album, Some(1959))
        .await
        .expect("x");
    let y = c
        .create_album(a.id, "Bitches Brew", AlbumKind::Album, None)
        .await
        .expect("y");
    let t1 = track(c, x.id, u.id, "So What").await;
    let t2 = track(c, x.id, u.id, "Freddie Freeloader").await;
    let t3 = track(c, y.id, u.id, "Spanish Key").await;

    let artist_doc = SearchDoc {
        kind: DocKind::Artist,
        id: a.id,
        title: "Miles Davis".into(),
        artist_id: a.id,
        artist_name: "Miles Davis".into(),
        album_id: None,
        album_title: None,
        created_at: a.created_at,
    };
    let album_doc = |al: &backbeat_store::Album| SearchDoc {
        kind: DocKind::Album,
        id: al.id,
        title: al.title.clone(),
        artist_id: a.id,
        artist_name: "Miles Davis".into(),
        album_id: Some(al.id),
        album_title: Some(al.title.clone()),
        created_at: al.created_at,
    };
    let track_doc = |t: &backbeat_store::Track, al: &backbeat_store::Album| SearchDoc {
        kind: DocKind::Track,
        id: t.id,
        title: t.title.clone(),
        artist_id: a.id,
        artist_name: "Miles Davis".into(),
        album_id: Some(al.id),
        album_title: Some(al.title.clone()),
        created_at: t.created_at,
    };

    let docs = c
        .search_docs(DocScope::Artist(a.id))
        .await
        .expect("artist scope");
    let expected = vec![
        artist_doc.clone(),
        album_doc(&x),
        album_doc(&y),
        track_doc(&t1, &x),
        track_doc(&t2, &x),
        track_doc(&t3, &y),
    ];
    assert_eq!(docs, expected, "artist, albums, tracks; each by id");

    let docs = c
        .search_docs(DocScope::Album(x.id))
        .await
        .expect("album scope");
    assert_eq!(
        docs,
        vec![album_doc(&x), track_doc(&t1, &x), track_doc(&t2, &x)]
    );
    let docs = c
        .search_docs(DocScope::Track(t3.id))
        .await
        .expect("track scope");
    assert_eq!(docs, vec![track_doc(&t3, &y)]);

    // A rename reaches every document that carries the name.
    c.rename_artist(a.id, "Miles").await.expect("rename");
    let docs = c
        .search_docs(DocScope::Artist(a.id))
        .await
        .expect("renamed");
    assert_eq!(docs.len(), 6);
    assert!(docs.iter().all(|d| d.artist_name == "Miles"), "{docs:?}");

    for scope in [
        DocScope::Artist(new_id()),
        DocScope::Album(new_id()),
        DocScope::Track(new_id()),
    ] {
        assert!(c.search_docs(scope).await.expect("unknown").is_empty());
    }
    c.delete_album(y.id).await.expect("delete");
    assert!(c
        .search_docs(DocScope::Album(y.id))
        .await
        .expect("gone")
        .is_empty());
    assert!(c
        .search_docs(DocScope::Track(t3.id))
        .await
        .expect("gone")
        .is_empty());
}

async fn reindex_walk_visits_everything_once(c: &SqlCatalog) {
    let u = user(c, "rw@example.com").await;
    let mut tracks = Vec::new();
    for i in 0..3 {
        let a = c
            .create_artist(&format!("artist {i}"), u.id)
            .await
            .expect("artist");
        for j in 0..2 {
            let al = c
                .create_album(a.id, &format!("album {i}.{j}"), AlbumKind::Ep, None)
                .await;
            let al = al.expect("album");
            for k in 0..2 {
                tracks.push(
                    track(c, al.id, u.id, &format!("track {i}.{j}.{k}"))
                        .await
                        .id,
                );
            }
        }
    }
    for (kind, n) in [
        (DocKind::Artist, 3),
        (DocKind::Album, 6),
        (DocKind::Track, 12),
    ] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let batch = c.all_search_docs(kind, after, 5).await.expect("batch");
            assert!(batch.len() <= 5);
            let Some(last) = batch.last() else { break };
            after = Some(last.id);
            assert!(batch.iter().all(|d| d.kind == kind));
            seen.extend(batch.into_iter().map(|d| d.id));
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            (seen.len(), &seen),
            (n, &sorted),
            "{kind:?}: id order, no repeats"
        );
    }
    let docs = c
        .all_search_docs(DocKind::Track, None, 100)
        .await
        .expect("tracks");
    let mut ids: Vec<_> = docs.iter().map(|d| d.id).collect();
    let mut want = tracks.clone();
    ids.sort();
    want.sort();
    assert_eq!(ids, want);
    assert!(docs.iter().all(|d| d
        .album_title
        .as_deref()
        .is_some_and(|t| t.starts_with("album"))));
}
