//! Pagination and sorting: pages in every order concatenate to the full, correctly sorted
//! listing, never overlap, and always report the total.

use std::time::Duration;

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{AlbumKind, Artist, Id, ListQuery, SortField, SortOrder};

use super::{track, user};

conformance!(
    artist_pages_in_every_order,
    every_listing_pages_by_name,
    pages_past_the_end
);

const SORTS: [SortField; 3] = [SortField::CreatedAt, SortField::UpdatedAt, SortField::Name];
const ORDERS: [SortOrder; 2] = [SortOrder::Asc, SortOrder::Desc];

fn query(sort: SortField, order: SortOrder, limit: u32, offset: u64) -> ListQuery {
    ListQuery {
        limit,
        offset,
        sort,
        order,
    }
}

/// The order a listing must have: by the sort key, ties by id; descending is the reverse.
fn expected(all: &[Artist], sort: SortField, order: SortOrder) -> Vec<Id> {
    let mut v: Vec<_> = all
        .iter()
        .map(|a| {
            let key = match sort {
                SortField::CreatedAt => format!("{:020}", a.created_at),
                SortField::UpdatedAt => format!("{:020}", a.updated_at),
                SortField::Name => a.name.to_lowercase(),
            };
            (key, a.id)
        })
        .collect();
    v.sort();
    if order == SortOrder::Desc {
        v.reverse();
    }
    v.into_iter().map(|(_, id)| id).collect()
}

async fn artist_pages_in_every_order(c: &SqlCatalog) {
    let u = user(c, "pages@example.com").await;
    let names = [
        "delta", "Alpha", "charlie", "bravo", "Echo", "alpha", "Zulu", "yankee", "x-ray",
        "Whiskey", "victor", "Uniform", "tango", "Sierra", "romeo", "Quebec", "papa", "Oscar",
        "november", "Mike", "lima", "Kilo", "alpha",
    ];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        ids.push(c.create_artist(name, u.id).await.expect("artist").id);
        if i % 5 == 0 {
            // Distinct created_at values besides same-millisecond ties.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(2)).await;
    for id in ids.iter().step_by(3) {
        let a = c.artist(*id).await.expect("get");
        c.rename_artist(*id, &a.name).await.expect("touch");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut all = Vec::new();
    for id in &ids {
        all.push(c.artist(*id).await.expect("get"));
    }

    for sort in SORTS {
        for order in ORDERS {
            let mut seen = Vec::new();
            for offset in (0..names.len() as u64).step_by(7) {
                let page = c
                    .list_artists(None, query(sort, order, 7, offset))
                    .await
                    .expect("page");
                assert_eq!(
                    page.total,
                    names.len() as u64,
                    "{sort:?} {order:?} @{offset}"
                );
                assert!(page.items.len() <= 7);
                seen.extend(page.items.into_iter().map(|a| a.id));
            }
            assert_eq!(seen, expected(&all, sort, order), "{sort:?} {order:?}");
        }
    }
}

async fn every_listing_pages_by_name(c: &SqlCatalog) {
    let u = user(c, "names@example.com").await;
    let a = c.create_artist("A", u.id).await.expect("artist");
    let other = c.create_artist("B", u.id).await.expect("artist");
    let titles = ["b", "D", "a", "c", "E"];
    let mut album = None;
    for t in titles {
        album = Some(
            c.create_album(a.id, t, AlbumKind::Album, None)
                .await
                .expect("album"),
        );
    }
    c.create_album(other.id, "aaa", AlbumKind::Album, None)
        .await
        .expect("album");
    let album = album.expect("an album");
    for t in titles {
        track(c, album.id, u.id, t).await;
        let p = backbeat_store::NewPlaylist {
            owner_id: u.id,
            name: t.into(),
            description: String::new(),
            public: false,
            track_ids: vec![],
        };
        c.create_playlist(p).await.expect("playlist");
    }
    let want = ["a", "b", "c", "D", "E"];
    for order in ORDERS {
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        if order == SortOrder::Desc {
            want.reverse();
        }
        let (mut albums, mut tracks, mut playlists) = (Vec::new(), Vec::new(), Vec::new());
        for offset in [0, 2, 4] {
            let q = query(SortField::Name, order, 2, offset);
            let p = c.list_albums(Some(a.id), q).await.expect("albums");
            assert_eq!(p.total, 5);
            albums.extend(p.items.into_iter().map(|x| x.title));
            let p = c.list_tracks(Some(album.id), q).await.expect("tracks");
            assert_eq!(p.total, 5);
            tracks.extend(p.items.into_iter().map(|x| x.title));
            let p = c.list_playlists(Some(u.id), q).await.expect("playlists");
            assert_eq!(p.total, 5);
            playlists.extend(p.items.into_iter().map(|x| x.name));
        }
        assert_eq!(
            (&albums, &tracks, &playlists),
            (&want, &want, &want),
            "{order:?}"
        );
    }
    assert_eq!(
        c.list_albums(None, ListQuery::default())
            .await
            .expect("all")
            .total,
        6
    );
}

async fn pages_past_the_end(c: &SqlCatalog) {
    let empty = c
        .list_artists(None, ListQuery::default())
        .await
        .expect("empty");
    assert_eq!((empty.total, empty.items.len()), (0, 0));
    let u = user(c, "end@example.com").await;
    for n in 0..3 {
        c.create_artist(&format!("a{n}"), u.id)
            .await
            .expect("artist");
    }
    let q = query(SortField::CreatedAt, SortOrder::Asc, 10, 3);
    let past = c.list_artists(None, q).await.expect("past");
    assert_eq!((past.total, past.items.len()), (3, 0));
    let zero = c
        .list_artists(Some(u.id), query(SortField::Name, SortOrder::Desc, 0, 0))
        .await;
    let zero = zero.expect("limit 0");
    assert_eq!((zero.total, zero.items.len()), (3, 0));
    let huge = query(SortField::Name, SortOrder::Asc, u32::MAX, u64::MAX);
    let huge = c.list_artists(None, huge).await.expect("huge offset");
    assert_eq!((huge.total, huge.items.len()), (3, 0));
    let last = c
        .list_artists(None, query(SortField::Name, SortOrder::Asc, 2, 2))
        .await;
    let last = last.expect("last page");
    assert_eq!(
        last.items
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["a2"]
    );
}
