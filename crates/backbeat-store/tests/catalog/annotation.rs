//! The annotation store's guarantees on both backends: leases never exceed an item's overlap
//! whatever the concurrency, an annotator never holds an item twice, ended leases return their
//! items, submissions need the lease, schema changes need the current version, and catalog
//! selections add each track once.

use std::collections::BTreeMap;
use std::sync::Arc;

use backbeat_store::annotation::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, now_millis, AlbumKind, AnnotationStore, Id, StoreError};
use serde_json::json;

use super::{track, user};

conformance!(
    concurrent_claims_stay_within_overlap,
    ended_leases_return_items,
    submission_needs_the_lease,
    decisions_apply_under_the_lock,
    schema_changes_need_the_current_version,
    selections_add_each_track_once,
    skip_and_postpone,
);

struct Fixture {
    project: Id,
    tracks: Vec<Id>,
    album: Id,
}

async fn fixture(c: &SqlCatalog, tracks: usize) -> Fixture {
    let u = user(c, &format!("{}@example.com", new_id().simple())).await;
    let artist = c.create_artist("Annotated", u.id).await.expect("artist");
    let album = c
        .create_album(artist.id, "Items", AlbumKind::Album, None)
        .await
        .expect("album");
    let mut ids = Vec::new();
    for i in 0..tracks {
        ids.push(track(c, album.id, u.id, &format!("t{i}")).await.id);
    }
    let project = c
        .create_project(NewProject {
            id: new_id(),
            name: "p".into(),
            description: String::new(),
            settings: json!({}),
            schema: json!({"questions": []}),
            created_by: Some(u.id),
            now: now_millis(),
        })
        .await
        .expect("project");
    Fixture {
        project: project.id,
        tracks: ids,
        album: album.id,
    }
}

async fn annotator(c: &SqlCatalog, project: Id, role: MemberRole) -> Id {
    c.add_annotator(NewAnnotator {
        id: new_id(),
        project_id: project,
        kind: AnnotatorKind::Human,
        user_id: None,
        role,
        name: "someone".into(),
        config: json!({}),
        now: now_millis(),
    })
    .await
    .expect("annotator")
    .id
}

fn items(tracks: &[Id]) -> Vec<NewItem> {
    tracks
        .iter()
        .map(|t| NewItem {
            track_id: *t,
            start_ms: 0,
            end_ms: 0,
            gold: None,
        })
        .collect()
}

const OPEN2: ItemStart = ItemStart {
    state: ItemState::Open,
    needed: 2,
};

fn claim_of(project: Id, annotator: Id, now: i64, lease_ms: i64) -> Claim {
    Claim {
        project_id: project,
        annotator_id: annotator,
        stages: vec![ItemState::Open],
        gold_first: false,
        now,
        lease_until: now + lease_ms,
    }
}

async fn concurrent_claims_stay_within_overlap(c: &SqlCatalog) {
    let f = fixture(c, 20).await;
    c.add_items(f.project, &items(&f.tracks), OPEN2, now_millis())
        .await
        .expect("add");
    let mut people = Vec::new();
    for _ in 0..50 {
        people.push(annotator(c, f.project, MemberRole::Annotator).await);
    }
    // 50 annotators claim at once, each until nothing is left for them.
    let store = Arc::new(c.clone());
    let mut tasks = Vec::new();
    for a in people.clone() {
        let store = store.clone();
        let project = f.project;
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let cl = claim_of(project, a, now_millis(), 600_000);
                match store.claim(&cl).await {
                    Ok(Some(w)) => got.push(w.item.id),
                    Ok(None) => break,
                    // A PostgreSQL serialisation hiccup is retried like a client would.
                    Err(StoreError::Conflict(_)) => continue,
                    Err(e) => panic!("claim: {e}"),
                }
            }
            (a, got)
        }));
    }
    let mut per_item: BTreeMap<i64, Vec<Id>> = BTreeMap::new();
    for t in tasks {
        let (a, got) = t.await.expect("task");
        for item in got {
            per_item.entry(item).or_default().push(a);
        }
    }
    assert_eq!(per_item.len(), 20, "every item handed out");
    for (item, holders) in &per_item {
        assert_eq!(
            holders.len(),
            2,
            "item {item} leased {} times",
            holders.len()
        );
        assert_ne!(holders[0], holders[1], "item {item} twice to one annotator");
        let stored = c.item(*item).await.expect("item");
        assert_eq!((stored.taken, stored.needed), (2, 2));
        assert_eq!(c.assignments(*item).await.expect("assignments").len(), 2);
    }
}

async fn ended_leases_return_items(c: &SqlCatalog) {
    let f = fixture(c, 3).await;
    c.add_items(f.project, &items(&f.tracks), OPEN2, now_millis())
        .await
        .expect("add");
    let a = annotator(c, f.project, MemberRole::Annotator).await;
    let b = annotator(c, f.project, MemberRole::Annotator).await;
    let now = now_millis();
    let first = c
        .claim(&claim_of(f.project, a, now, 1_000))
        .await
        .expect("claim")
        .expect("an item");
    let long = c
        .claim(&claim_of(f.project, b, now, 600_000))
        .await
        .expect("claim")
        .expect("an item");
    assert_eq!(first.item.id, long.item.id, "oldest item first");
    assert_eq!(c.expire_leases(f.project, now).await.expect("expire"), 0);
    assert_eq!(
        c.expire_leases(f.project, now + 5_000)
            .await
            .expect("expire"),
        1,
        "only the short lease ended"
    );
    let item = c.item(first.item.id).await.expect("item");
    assert_eq!(item.taken, 1, "the ended lease gave its place back");
    // The annotator whose lease ended may take it again; the other still may not.
    let again = c
        .claim(&claim_of(f.project, a, now + 6_000, 600_000))
        .await
        .expect("claim")
        .expect("an item");
    assert_eq!(again.item.id, first.item.id);
    let next_b = c
        .claim(&claim_of(f.project, b, now + 6_000, 600_000))
        .await
        .expect("claim")
        .expect("an item");
    assert_ne!(next_b.item.id, first.item.id, "never the same item twice");
}

fn answer(annotator: Id, version: i64) -> NewAnnotation {
    NewAnnotation {
        annotator_id: annotator,
        stage: Stage::Open,
        answers: json!({"genre": "jazz"}),
        confidence: None,
        model_version: None,
        derived_from: None,
        lead_ms: Some(4_000),
        schema_version: version,
        verdict: None,
        comment: None,
        now: now_millis(),
    }
}

fn wait(_: &ItemRecord, _: &[AnnotationRecord]) -> Option<ItemChange> {
    None
}

async fn submission_needs_the_lease(c: &SqlCatalog) {
    let f = fixture(c, 1).await;
    c.add_items(f.project, &items(&f.tracks), OPEN2, now_millis())
        .await
        .expect("add");
    let a = annotator(c, f.project, MemberRole::Annotator).await;
    let b = annotator(c, f.project, MemberRole::Annotator).await;
    let got = c
        .claim(&claim_of(f.project, a, now_millis(), 600_000))
        .await
        .expect("claim")
        .expect("item");
    let stranger = Submission {
        item_id: got.item.id,
        annotation: answer(b, 1),
    };
    assert!(matches!(
        c.submit(&stranger, &wait).await,
        Err(StoreError::Conflict(_))
    ));
    let stale = Submission {
        item_id: got.item.id,
        annotation: answer(a, 7),
    };
    assert!(
        matches!(c.submit(&stale, &wait).await, Err(StoreError::Conflict(m)) if m.contains("version")),
        "an answer checked against another schema version is refused"
    );
    let mine = Submission {
        item_id: got.item.id,
        annotation: answer(a, 1),
    };
    let done = c.submit(&mine, &wait).await.expect("submit");
    assert_eq!(done.item.taken, 1);
    assert!(
        matches!(c.submit(&mine, &wait).await, Err(StoreError::Conflict(_))),
        "a lease answers once"
    );
    let stored = c.annotations(got.item.id).await.expect("annotations");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].stage, Stage::Open);
    assert_eq!(stored[0].lead_ms, Some(4_000));
    assert_eq!(stored[0].answers, json!({"genre": "jazz"}));
}

async fn decisions_apply_under_the_lock(c: &SqlCatalog) {
    let f = fixture(c, 1).await;
    c.add_items(f.project, &items(&f.tracks), OPEN2, now_millis())
        .await
        .expect("add");
    let people = [
        annotator(c, f.project, MemberRole::Annotator).await,
        annotator(c, f.project, MemberRole::Annotator).await,
    ];
    let mut item_id = 0;
    for a in people {
        item_id = c
            .claim(&claim_of(f.project, a, now_millis(), 600_000))
            .await
            .expect("claim")
            .expect("item")
            .item
            .id;
    }
    let resolve = |item: &ItemRecord, round: &[AnnotationRecord]| {
        (round.len() as i64 == item.needed).then(|| {
            let mut ch = ItemChange::from_item(item);
            ch.state = ItemState::Resolved;
            ch.resolution = Some(Resolution::Consensus);
            ch.result = Some(json!({"genre": "jazz"}));
            ch.events
                .push(("resolved".into(), json!({"n": round.len()})));
            ch
        })
    };
    let first = c
        .submit(
            &Submission {
                item_id,
                annotation: answer(people[0], 1),
            },
            &resolve,
        )
        .await
        .expect("first");
    assert_eq!(
        first.item.state,
        ItemState::Open,
        "waits for the second answer"
    );
    let second = c
        .submit(
            &Submission {
                item_id,
                annotation: answer(people[1], 1),
            },
            &resolve,
        )
        .await
        .expect("second");
    assert_eq!(second.item.state, ItemState::Resolved);
    assert_eq!(second.item.result, Some(json!({"genre": "jazz"})));
    let events = c.events(f.project, 10).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].item_id, Some(item_id));
    assert_eq!(events[0].detail, json!({"n": 2}));
}

async fn schema_changes_need_the_current_version(c: &SqlCatalog) {
    let f = fixture(c, 1).await;
    let body = json!({"questions": [{"name": "genre", "type": "single_choice", "labels": ["a"]}]});
    let mut seen = 0;
    let mut count = |a: Option<&str>| {
        if a.is_some() {
            seen += 1;
        }
        Ok(())
    };
    let p = c
        .change_schema(
            f.project,
            1,
            &body,
            &json!(["added genre"]),
            &mut count,
            now_millis(),
        )
        .await
        .expect("change");
    assert_eq!(p.schema_version, 2);
    assert_eq!(p.schema, body);
    let mut any = |_: Option<&str>| Ok(());
    assert!(matches!(
        c.change_schema(f.project, 1, &body, &json!([]), &mut any, now_millis())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut refuse = |a: Option<&str>| match a {
        None => Err(StoreError::Conflict("orphans".into())),
        Some(_) => Ok(()),
    };
    assert!(c
        .change_schema(f.project, 2, &body, &json!([]), &mut refuse, now_millis())
        .await
        .is_err());
    assert_eq!(
        c.project(f.project).await.expect("p").schema_version,
        2,
        "refused: unchanged"
    );
    assert_eq!(
        c.schema(f.project, 1).await.expect("v1").body,
        json!({"questions": []})
    );
}

async fn selections_add_each_track_once(c: &SqlCatalog) {
    let f = fixture(c, 5).await;
    let sel = TrackSelection {
        album_id: Some(f.album),
        ..TrackSelection::default()
    };
    let added = c
        .add_selected(f.project, &sel, OPEN2, now_millis())
        .await
        .expect("add");
    assert_eq!((added.added, added.duplicates), (5, 0));
    let again = c
        .add_selected(f.project, &sel, OPEN2, now_millis())
        .await
        .expect("again");
    assert_eq!((again.added, again.duplicates), (0, 5));
    let limited = TrackSelection {
        track_ids: Some(f.tracks[..2].to_vec()),
        ..TrackSelection::default()
    };
    let twice = c
        .add_selected(f.project, &limited, OPEN2, now_millis())
        .await
        .expect("ids");
    assert_eq!((twice.added, twice.duplicates), (0, 2));
    // A window of a track is an item of its own.
    let window = NewItem {
        track_id: f.tracks[0],
        start_ms: 10_000,
        end_ms: 40_000,
        gold: None,
    };
    let w = c
        .add_items(f.project, &[window.clone(), window], OPEN2, now_millis())
        .await
        .expect("window");
    assert_eq!((w.added, w.duplicates), (1, 1));
    let counts: BTreeMap<&str, u64> = c
        .item_counts(f.project)
        .await
        .expect("counts")
        .into_iter()
        .map(|(s, n)| (s.as_str(), n))
        .collect();
    assert_eq!(counts["open"], 6);
    let ghost = NewItem {
        track_id: new_id(),
        start_ms: 0,
        end_ms: 0,
        gold: None,
    };
    assert!(matches!(
        c.add_items(f.project, &[ghost], OPEN2, now_millis()).await,
        Err(StoreError::InvalidReference(_))
    ));
}

async fn skip_and_postpone(c: &SqlCatalog) {
    let f = fixture(c, 2).await;
    c.add_items(f.project, &items(&f.tracks), OPEN2, now_millis())
        .await
        .expect("add");
    let a = annotator(c, f.project, MemberRole::Annotator).await;
    let now = now_millis();
    let first = c
        .claim(&claim_of(f.project, a, now, 600_000))
        .await
        .expect("c")
        .expect("i");
    assert!(c
        .release(first.item.id, a, AssignmentState::Skipped, now)
        .await
        .expect("skip"));
    let second = c
        .claim(&claim_of(f.project, a, now, 600_000))
        .await
        .expect("c")
        .expect("i");
    assert_ne!(
        second.item.id, first.item.id,
        "a skipped item never comes back"
    );
    assert!(c
        .release(second.item.id, a, AssignmentState::Postponed, now)
        .await
        .expect("postpone"));
    assert!(!c
        .release(second.item.id, a, AssignmentState::Postponed, now)
        .await
        .expect("twice"));
    // Nothing fresh is left: the postponed item comes back.
    let back = c
        .claim(&claim_of(f.project, a, now, 600_000))
        .await
        .expect("c")
        .expect("i");
    assert_eq!(back.item.id, second.item.id);
    assert!(c
        .claim(&claim_of(f.project, a, now, 600_000))
        .await
        .expect("c")
        .is_none());
    assert_eq!(c.item(first.item.id).await.expect("i").taken, 0);
}
