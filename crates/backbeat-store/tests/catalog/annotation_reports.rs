//! The reports' aggregates on both backends: throughput, medians, buckets, resolution shares,
//! escalations, spot checks and agreement over time, computed by the database from a small
//! project whose figures are worked out by hand below; an empty project gives zeros, not
//! errors.

use backbeat_store::annotation::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, AlbumKind, AnnotationStore, Id};
use serde_json::json;

use super::{track, user, HOUR};

conformance!(aggregates_of_a_worked_example, empty_project_reports_zeros);

const DAY: i64 = 86_400_000;
/// A UTC midnight.
const T0: i64 = 19_675 * DAY;

/// When item `i` of the example is answered: items 0–1 on day 0, 2–3 on day 1, each in its
/// own hour.
fn at(i: i64) -> i64 {
    T0 + (i / 2) * DAY + i * HOUR
}

async fn project(c: &SqlCatalog, tracks: usize) -> (Id, Vec<Id>) {
    let u = user(c, &format!("{}@example.com", new_id().simple())).await;
    let artist = c.create_artist("Reported", u.id).await.expect("artist");
    let album = c
        .create_album(artist.id, "Items", AlbumKind::Album, None)
        .await
        .expect("album");
    let mut ids = Vec::new();
    for i in 0..tracks {
        ids.push(track(c, album.id, u.id, &format!("t{i}")).await.id);
    }
    let p = c
        .create_project(NewProject {
            id: new_id(),
            name: "p".into(),
            description: String::new(),
            settings: json!({}),
            schema: json!({"questions": []}),
            created_by: Some(u.id),
            now: T0,
        })
        .await
        .expect("project");
    (p.id, ids)
}

async fn person(c: &SqlCatalog, project: Id) -> Id {
    c.add_annotator(NewAnnotator {
        id: new_id(),
        project_id: project,
        kind: AnnotatorKind::Human,
        user_id: None,
        role: MemberRole::Annotator,
        name: "someone".into(),
        config: json!({}),
        now: T0,
    })
    .await
    .expect("annotator")
    .id
}

fn answer(annotator: Id, lead_ms: i64, now: i64) -> NewAnnotation {
    NewAnnotation {
        annotator_id: annotator,
        stage: Stage::Open,
        answers: json!({"genre": "jazz"}),
        confidence: None,
        model_version: None,
        derived_from: None,
        lead_ms: Some(lead_ms),
        schema_version: 1,
        verdict: None,
        comment: None,
        now,
    }
}

const RESOLUTIONS: [Resolution; 4] = [
    Resolution::Consensus,
    Resolution::Consensus,
    Resolution::Expert,
    Resolution::Model,
];
const AGREEMENTS: [f64; 4] = [0.5, 1.0, 0.25, 0.75];

/// Resolves item `i` (by its position in the project) on its second answer, logging what the
/// engine would: item 0 widened, item 1 a failed spot check, item 2 escalated to the expert,
/// item 3 a passed spot check.
fn decide(first_id: i64) -> impl Fn(&ItemRecord, &[AnnotationRecord]) -> Option<ItemChange> {
    move |item, round| {
        if (round.len() as i64) < item.needed {
            return None;
        }
        let i = usize::try_from(item.id - first_id).ok()?;
        let mut ch = ItemChange::from_item(item);
        ch.state = ItemState::Resolved;
        ch.resolution = Some(RESOLUTIONS[i]);
        ch.agreement = Some(AGREEMENTS[i]);
        ch.result = Some(json!({"genre": "jazz"}));
        ch.resolved_at = round.last().map(|a| a.created_at);
        match i {
            0 => ch.extra = 1,
            1 => ch.events.push((
                "spot_check".into(),
                json!({"agreed": false, "agreement": {}}),
            )),
            2 => ch.events.push((
                "escalated".into(),
                json!({"to": "expert", "below": ["genre"]}),
            )),
            _ => ch.events.push((
                "spot_check".into(),
                json!({"agreed": true, "agreement": {}}),
            )),
        }
        Some(ch)
    }
}

async fn aggregates_of_a_worked_example(c: &SqlCatalog) {
    let (p, tracks) = project(c, 4).await;
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
        state: ItemState::Open,
        needed: 2,
    };
    c.add_items(p, &new, start, T0).await.expect("add");
    let (a, b) = (person(c, p).await, person(c, p).await);
    let mut ids = Vec::new();
    let mut first_id = None;
    for i in 0..4_i64 {
        let now = at(i);
        let mut item_id = 0;
        for who in [a, b] {
            let claim = Claim {
                project_id: p,
                annotator_id: who,
                stages: vec![ItemState::Open],
                gold_first: false,
                now,
                lease_until: now + HOUR,
            };
            item_id = c.claim(&claim).await.expect("claim").expect("item").item.id;
        }
        let first = *first_id.get_or_insert(item_id);
        ids.push(item_id);
        let d = decide(first);
        for (who, lead) in [(a, 1000 * (i + 1)), (b, 10_000 + i)] {
            c.submit(
                &Submission {
                    item_id,
                    annotation: answer(who, lead, now),
                },
                &d,
            )
            .await
            .expect("submit");
        }
    }

    let all = c.throughput(p, Span::ALL).await.expect("throughput");
    assert_eq!(
        all,
        Throughput {
            answers: 8,
            items: 4,
            first_at: Some(at(0)),
            last_at: Some(at(3)),
        }
    );
    let day0 = Span {
        from: T0,
        to: T0 + DAY,
    };
    let d0 = c.throughput(p, day0).await.expect("day 0");
    assert_eq!((d0.answers, d0.items), (4, 2));

    let mut per = c.annotator_throughput(p, Span::ALL).await.expect("per");
    per.sort_by_key(|r| r.annotator_id != a);
    assert_eq!(per.len(), 2);
    assert_eq!(per[0].annotator_id, a);
    assert_eq!((per[0].value.answers, per[0].value.items), (4, 4));

    // Leads: a 1000..4000, b 10000..10003; all eight: middle pair 4000 and 10000.
    assert_eq!(
        c.median_lead(p, Span::ALL).await.expect("median"),
        Some(7000.0)
    );
    let mut medians = c
        .annotator_median_leads(p, Span::ALL)
        .await
        .expect("medians");
    medians.sort_by_key(|r| r.annotator_id != a);
    assert_eq!(
        medians
            .iter()
            .map(|r| (r.annotator_id, r.value))
            .collect::<Vec<_>>(),
        vec![(a, 2500.0), (b, 10_001.5)]
    );
    // Day 1 alone: 3000, 4000, 10002, 10003 → (4000 + 10002) / 2.
    let day1 = Span {
        from: T0 + DAY,
        to: T0 + 2 * DAY,
    };
    assert_eq!(c.median_lead(p, day1).await.expect("median"), Some(7001.0));

    let buckets = c.answer_buckets(p, Span::ALL, HOUR).await.expect("buckets");
    assert_eq!(buckets, (0..4).map(|i| (at(i), 2)).collect::<Vec<_>>());
    let daily = c.answer_buckets(p, Span::ALL, DAY).await.expect("daily");
    assert_eq!(daily, vec![(T0, 4), (T0 + DAY, 4)]);

    let mut res = c.resolution_counts(p).await.expect("resolutions");
    res.sort_by_key(|(r, _)| r.as_str());
    assert_eq!(
        res,
        vec![
            (Resolution::Consensus, 2),
            (Resolution::Expert, 1),
            (Resolution::Model, 1)
        ]
    );
    assert_eq!(
        c.escalation_counts(p).await.expect("escalations"),
        Escalations {
            to_expert: 1,
            widened: 1
        }
    );
    assert_eq!(
        c.spot_check_counts(p).await.expect("spot checks"),
        SpotChecks {
            agreed: 1,
            disagreed: 1
        }
    );
    let days = c.agreement_by_day(p, Span::ALL).await.expect("agreement");
    assert_eq!(days.len(), 2);
    assert_eq!((days[0].day, days[0].items), (T0, 2));
    assert!((days[0].mean - 0.75).abs() < 1e-12, "{days:?}");
    assert_eq!((days[1].day, days[1].items), (T0 + DAY, 2));
    assert!((days[1].mean - 0.5).abs() < 1e-12, "{days:?}");

    let anns = c
        .item_annotations(&[ids[2], ids[0]])
        .await
        .expect("annotations");
    assert_eq!(
        anns.iter().map(|x| x.item_id).collect::<Vec<_>>(),
        vec![ids[0], ids[0], ids[2], ids[2]],
        "by item, then id"
    );
    let checks = c
        .project_events(p, "spot_check", 0, 10)
        .await
        .expect("events");
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].item_id, Some(ids[1]));
    let rest = c
        .project_events(p, "spot_check", checks[0].id, 10)
        .await
        .expect("page 2");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].item_id, Some(ids[3]));
}

async fn empty_project_reports_zeros(c: &SqlCatalog) {
    let (p, _) = project(c, 0).await;
    assert_eq!(
        c.throughput(p, Span::ALL).await.expect("throughput"),
        Throughput::default()
    );
    assert!(c
        .annotator_throughput(p, Span::ALL)
        .await
        .expect("per")
        .is_empty());
    assert_eq!(c.median_lead(p, Span::ALL).await.expect("median"), None);
    assert!(c
        .annotator_median_leads(p, Span::ALL)
        .await
        .expect("medians")
        .is_empty());
    // A hostile bucket size (0, negative) is clamped, not a division by zero.
    assert!(c
        .answer_buckets(p, Span::ALL, 0)
        .await
        .expect("buckets")
        .is_empty());
    assert!(c
        .answer_buckets(p, Span::ALL, -5)
        .await
        .expect("buckets")
        .is_empty());
    assert!(c.resolution_counts(p).await.expect("res").is_empty());
    assert_eq!(
        c.escalation_counts(p).await.expect("esc"),
        Escalations::default()
    );
    assert_eq!(
        c.spot_check_counts(p).await.expect("spot"),
        SpotChecks::default()
    );
    assert!(c
        .agreement_by_day(p, Span::ALL)
        .await
        .expect("days")
        .is_empty());
    assert!(c.item_annotations(&[]).await.expect("none").is_empty());
    // More ids than one statement takes, none of them existing.
    let many: Vec<i64> = (1_000_000..1_002_500).collect();
    assert!(c.item_annotations(&many).await.expect("many").is_empty());
    assert!(c
        .project_events(p, "spot_check", 0, 10)
        .await
        .expect("events")
        .is_empty());
}
