//! Flow back on both backends: a resolving change writes the track's reviewed values and tags
//! (a later resolution replaces them; a change that does not resolve writes none), selections
//! see reviewed values over the pipeline's (and so do the search's descriptor filters:
//! reviewed key and tags over the analysis's and the tagger's), and the webhook outbox hands each due row to one
//! delivery loop at a time, retries and gives up as told.

use backbeat_store::annotation::*;
use backbeat_store::jobs::{TrackAnalysis, TrackTag};
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, now_millis, AlbumKind, AnnotationStore, Id};
use serde_json::json;

use super::{track, user};

conformance!(
    resolutions_write_reviewed_values,
    selections_see_reviewed_values,
    search_filters_prefer_reviewed_values,
    the_outbox_hands_out_each_row_once,
);

async fn project(c: &SqlCatalog, by: Id) -> Id {
    c.create_project(NewProject {
        id: new_id(),
        name: "p".into(),
        description: String::new(),
        settings: json!({}),
        schema: json!({"questions": []}),
        created_by: Some(by),
        now: now_millis(),
    })
    .await
    .expect("project")
    .id
}

/// A new user, their artist (named `artist`) with one album, and three tracks titled
/// `{prefix}0`…`{prefix}2`: (user, artist, tracks).
async fn catalog_of_three(c: &SqlCatalog, artist: &str, prefix: &str) -> (Id, Id, Vec<Id>) {
    let u = user(c, &format!("{}@example.com", new_id().simple())).await;
    let artist = c.create_artist(artist, u.id).await.expect("artist");
    let album = c
        .create_album(artist.id, "Album", AlbumKind::Album, None)
        .await
        .expect("album");
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(track(c, album.id, u.id, &format!("{prefix}{i}")).await.id);
    }
    (u.id, artist.id, ids)
}

/// Three tracks; the first has an analysis BPM of 200, the third of 100.
async fn tracks(c: &SqlCatalog) -> (Id, Vec<Id>) {
    let (u, _, ids) = catalog_of_three(c, "Reviewed", "t").await;
    for (t, bpm) in [(ids[0], 200.0), (ids[2], 100.0)] {
        c.set_track_analysis(&TrackAnalysis {
            track_id: t,
            bpm: Some(bpm),
            key: Some("C major".into()),
            loudness_lufs: None,
            analysis: json!({}),
            tags: vec![],
            updated_at: now_millis(),
            source: None,
        })
        .await
        .expect("analysis");
    }
    (u, ids)
}

/// Adds whole-track items for `tracks` to `project` and routes each with its change.
async fn route(
    c: &SqlCatalog,
    project: Id,
    tracks: &[Id],
    change: impl Fn(usize, &ItemRecord) -> ItemChange,
) {
    let new: Vec<NewItem> = tracks
        .iter()
        .map(|t| NewItem {
            track_id: *t,
            start_ms: 0,
            end_ms: 0,
            gold: None,
        })
        .collect();
    let start = ItemStart {
        state: ItemState::New,
        needed: 0,
    };
    c.add_items(project, &new, start, now_millis())
        .await
        .expect("items");
    let now = now_millis();
    let taken = c
        .take_for_routing(project, 100, now, now + 60_000)
        .await
        .expect("take");
    let routes: Vec<Routed> = taken
        .iter()
        .map(|t| {
            let i = tracks.iter().position(|x| *x == t.item.track_id).unwrap();
            Routed {
                item_id: t.item.id,
                annotations: vec![],
                change: change(i, &t.item),
            }
        })
        .collect();
    assert_eq!(
        c.route(&routes, now).await.expect("route"),
        tracks.len() as u64
    );
}

fn resolved(item: &ItemRecord, reviews: Vec<Review>, notify: bool) -> ItemChange {
    let mut ch = ItemChange::from_item(item);
    ch.state = ItemState::Resolved;
    ch.resolution = Some(Resolution::Model);
    ch.resolved_at = Some(now_millis());
    ch.reviews = reviews;
    ch.notify = notify.then(|| Notify {
        event: "item.resolved".into(),
        payload: json!({"type": "item.resolved", "data": {"itemId": item.id}}),
    });
    ch
}

fn genre(tags: &[&str]) -> Review {
    Review::Tags {
        group: "genre".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

async fn resolutions_write_reviewed_values(c: &SqlCatalog) {
    let (u, t) = tracks(c).await;
    let first = project(c, u).await;
    route(c, first, &t, |i, item| match i {
        0 => resolved(
            item,
            vec![
                Review::Bpm(128.5),
                Review::Key("A minor".into()),
                genre(&["rock", "blues"]),
            ],
            false,
        ),
        1 => resolved(item, vec![], false),
        // Not resolved: its reviews must not be written.
        _ => {
            let mut ch = resolved(item, vec![Review::Bpm(90.0)], false);
            ch.state = ItemState::Open;
            ch.resolved_at = None;
            ch
        }
    })
    .await;
    let r = c.track_reviews(t[0]).await.expect("reviews");
    assert_eq!(r.bpm(), Some(128.5));
    assert_eq!(r.key(), Some("A minor"));
    assert!(r.values.iter().all(|v| v.project_id == first));
    let tags: Vec<&str> = r.tags.iter().map(|x| x.tag.as_str()).collect();
    assert_eq!(tags, ["blues", "rock"]);
    assert_eq!(
        c.track_reviews(t[1]).await.unwrap(),
        TrackReviews::default()
    );
    assert_eq!(
        c.track_reviews(t[2]).await.unwrap(),
        TrackReviews::default(),
        "an item still open writes nothing"
    );

    // A later project settles the BPM and the genre again: they replace; the key stays.
    let second = project(c, u).await;
    route(c, second, &t[..1], |_, item| {
        resolved(item, vec![Review::Bpm(64.25), genre(&["jazz"])], false)
    })
    .await;
    let r = c.track_reviews(t[0]).await.unwrap();
    assert_eq!(r.bpm(), Some(64.25));
    assert_eq!(r.key(), Some("A minor"));
    let bpm = r.values.iter().find(|v| v.field == "bpm").unwrap();
    assert_eq!(bpm.project_id, second);
    let tags: Vec<&str> = r.tags.iter().map(|x| x.tag.as_str()).collect();
    assert_eq!(tags, ["jazz"]);
    // An empty tag list clears the group (people decided none applies).
    let third = project(c, u).await;
    route(c, third, &t[..1], |_, item| {
        resolved(item, vec![genre(&[])], false)
    })
    .await;
    assert!(c.track_reviews(t[0]).await.unwrap().tags.is_empty());
}

/// The tracks a selection picks, through a project of their own.
async fn picked(c: &SqlCatalog, by: Id, sel: TrackSelection) -> Vec<Id> {
    let p = project(c, by).await;
    let start = ItemStart {
        state: ItemState::Open,
        needed: 1,
    };
    c.add_selected(p, &sel, start, now_millis())
        .await
        .expect("select");
    let mut ids: Vec<Id> = c
        .items(p, None, 0, 100)
        .await
        .expect("items")
        .iter()
        .map(|i| i.track_id)
        .collect();
    ids.sort();
    ids
}

async fn selections_see_reviewed_values(c: &SqlCatalog) {
    let (u, t) = tracks(c).await;
    let p = project(c, u).await;
    // Track 0: analysed at 200 BPM, reviewed at 64. Track 1: not analysed, reviewed at 95.
    route(c, p, &t[..2], |i, item| {
        let bpm = if i == 0 { 64.0 } else { 95.0 };
        resolved(item, vec![Review::Bpm(bpm), genre(&["jazz"])], false)
    })
    .await;
    let only = |ids: &[Id]| {
        let mut v = ids.to_vec();
        v.sort();
        v
    };
    let within = |min: f64, max: f64| TrackSelection {
        track_ids: Some(t.clone()),
        bpm: Some(Range {
            min: Some(min),
            max: Some(max),
        }),
        ..TrackSelection::default()
    };
    assert_eq!(picked(c, u, within(60.0, 70.0)).await, only(&t[..1]));
    assert_eq!(
        picked(c, u, within(190.0, 210.0)).await,
        Vec::<Id>::new(),
        "the reviewed BPM wins over the analysis's"
    );
    assert_eq!(
        picked(c, u, within(90.0, 110.0)).await,
        only(&t[1..]),
        "reviewed without an analysis counts; the analysed one of 100 BPM too"
    );
    let reviewed_tag = TrackSelection {
        track_ids: Some(t.clone()),
        reviewed_tag: Some(TagName {
            group: "genre".into(),
            tag: "jazz".into(),
        }),
        ..TrackSelection::default()
    };
    assert_eq!(picked(c, u, reviewed_tag).await, only(&t[..2]));
    let reviewed = |yes: bool| TrackSelection {
        track_ids: Some(t.clone()),
        reviewed: Some(yes),
        ..TrackSelection::default()
    };
    assert_eq!(picked(c, u, reviewed(true)).await, only(&t[..2]));
    assert_eq!(picked(c, u, reviewed(false)).await, only(&t[2..]));
}

async fn search_filters_prefer_reviewed_values(c: &SqlCatalog) {
    let (u, artist, t) = catalog_of_three(c, "Filtered", "k").await;
    let tag = |tag: &str, confidence: f64| TrackTag {
        group: "genre".into(),
        tag: tag.into(),
        confidence,
    };
    // Track 0: C major, rock 0.8. Track 1: never analysed. Track 2: C major, rock 0.3, jazz 0.7.
    for (id, tags) in [
        (t[0], vec![tag("rock", 0.8)]),
        (t[2], vec![tag("rock", 0.3), tag("jazz", 0.7)]),
    ] {
        c.set_track_analysis(&TrackAnalysis {
            track_id: id,
            bpm: Some(120.0),
            key: Some("C major".into()),
            loudness_lufs: None,
            analysis: json!({}),
            tags,
            updated_at: now_millis(),
            source: None,
        })
        .await
        .expect("analysis");
    }
    // People hear track 0 as jazz in E♭ minor, and track 1 as rock.
    let p = project(c, u).await;
    route(c, p, &t[..2], |i, item| match i {
        0 => resolved(
            item,
            vec![Review::Key("Eb minor".into()), genre(&["jazz"])],
            false,
        ),
        _ => resolved(item, vec![genre(&["rock"])], false),
    })
    .await;
    let of_artist = |f: fn(&mut TrackSelection)| {
        let mut s = TrackSelection {
            artist_id: Some(artist),
            ..TrackSelection::default()
        };
        f(&mut s);
        s
    };
    let found = |sel: TrackSelection, limit: u32, offset: u64| async move {
        let page = c.filter_tracks(&sel, limit, offset).await.expect("filter");
        (
            page.docs.iter().map(|d| d.id).collect::<Vec<Id>>(),
            page.total,
        )
    };
    assert_eq!(
        found(of_artist(|s| s.key = Some("C major".into())), 10, 0).await,
        (vec![t[2]], 1),
        "the reviewed key replaces the analysis's"
    );
    assert_eq!(
        found(of_artist(|s| s.key = Some("Eb minor".into())), 10, 0).await,
        (vec![t[0]], 1)
    );
    let tagged = |tag: &str, min_confidence: f64| Tagged {
        group: "genre".into(),
        tag: tag.into(),
        min_confidence,
    };
    let mut rock = of_artist(|_| ());
    rock.tagged = Some(tagged("rock", 0.5));
    assert_eq!(
        found(rock.clone(), 10, 0).await,
        (vec![t[1]], 1),
        "people's genres replace the tagger's; the tagger's 0.3 is under the bar"
    );
    rock.tagged = Some(tagged("rock", 0.2));
    assert_eq!(found(rock, 10, 0).await, (vec![t[1], t[2]], 2));
    let mut jazz = of_artist(|_| ());
    jazz.tagged = Some(tagged("jazz", 0.5));
    assert_eq!(found(jazz.clone(), 10, 0).await, (vec![t[0], t[2]], 2));

    // Pages: oldest first, the total counts every page; documents carry their names.
    let all = found(of_artist(|_| ()), 2, 1).await;
    assert_eq!(all, (vec![t[1], t[2]], 3));
    let page = c.filter_tracks(&of_artist(|_| ()), 1, 0).await.unwrap();
    let doc = &page.docs[0];
    assert_eq!(
        (
            doc.title.as_str(),
            doc.artist_name.as_str(),
            doc.album_title.as_deref()
        ),
        ("k0", "Filtered", Some("Album"))
    );
    // A list of tracks (what words found): the same rules, paged the same way.
    jazz.artist_id = None;
    jazz.track_ids = Some(vec![t[2], t[1], t[0]]);
    assert_eq!(found(jazz.clone(), 10, 0).await, (vec![t[0], t[2]], 2));
    assert_eq!(found(jazz.clone(), 1, 1).await, (vec![t[2]], 2));
    // People find no genre for track 2: the tagger's jazz no longer counts, and the empty
    // verdict is no tag in listings but makes the track reviewed.
    let q = project(c, u).await;
    route(c, q, &t[2..], |_, item| {
        resolved(item, vec![genre(&[])], false)
    })
    .await;
    assert_eq!(found(jazz.clone(), 10, 0).await, (vec![t[0]], 1));
    assert!(c.track_reviews(t[2]).await.unwrap().tags.is_empty());
    let mut reviewed = of_artist(|_| ());
    reviewed.reviewed = Some(false);
    assert_eq!(found(reviewed, 10, 0).await, (vec![], 0));
    // Words are the index's business: one left in is refused, not ignored.
    jazz.query = Some("jazz".into());
    assert!(c.filter_tracks(&jazz, 10, 0).await.is_err());
}

async fn the_outbox_hands_out_each_row_once(c: &SqlCatalog) {
    let (u, t) = tracks(c).await;
    let p = project(c, u).await;
    route(c, p, &t, |i, item| resolved(item, vec![], i < 2)).await;
    let now = now_millis();
    let mine = |rows: Vec<OutboxRecord>| -> Vec<OutboxRecord> {
        rows.into_iter().filter(|r| r.project_id == p).collect()
    };
    // Other tests' rows may be due in a shared database: claim widely, keep ours.
    let first = mine(c.claim_deliveries(now, now + 30_000, 1000).await.unwrap());
    assert_eq!(first.len(), 2, "one row per resolution that asked for one");
    assert!(first.iter().all(|r| r.event == "item.resolved"
        && r.attempts == 0
        && r.payload["type"] == "item.resolved"));
    assert!(
        mine(c.claim_deliveries(now, now + 30_000, 1000).await.unwrap()).is_empty(),
        "claimed rows are not handed out again before their claim ends"
    );
    let (a, b) = (&first[0], &first[1]);
    c.record_delivery(a.id, &Delivery::Delivered, now)
        .await
        .unwrap();
    c.record_delivery(
        b.id,
        &Delivery::Retry {
            at: now + 5_000,
            error: "the endpoint answered 503".into(),
        },
        now,
    )
    .await
    .unwrap();
    assert!(mine(
        c.claim_deliveries(now + 1_000, now + 60_000, 1000)
            .await
            .unwrap()
    )
    .is_empty());
    let again = mine(
        c.claim_deliveries(now + 5_000, now + 60_000, 1000)
            .await
            .unwrap(),
    );
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, b.id);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(
        again[0].last_error.as_deref(),
        Some("the endpoint answered 503")
    );
    c.record_delivery(
        b.id,
        &Delivery::Failed {
            error: "gave up".into(),
        },
        now + 5_000,
    )
    .await
    .unwrap();
    assert!(mine(
        c.claim_deliveries(now + 10_000_000, now + 20_000_000, 1000)
            .await
            .unwrap()
    )
    .is_empty());
    let listed = c.deliveries(p, 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, b.id, "newest first");
    assert_eq!(listed[0].attempts, 2);
    assert!(listed[0].failed_at.is_some() && listed[0].delivered_at.is_none());
    assert!(listed[1].delivered_at.is_some() && listed[1].last_error.is_none());
}
