//! A simulated workforce, end to end through the engine on a real database (SQLite, and
//! PostgreSQL when it runs): a model annotator reading stored tagger outputs, six people of
//! known accuracy (one deliberately bad), an expert and a QA analyst work through a 200-item
//! project. Checked: routing decisions, quotas, escalation paths, the bad annotator paused by
//! gold, the accepted labels against the truth, and that a replay with the same seed ends the
//! same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use backbeat_annotate::engine::{Actor, AnnotateError, Annotation, ItemsInput, ProjectInput};
use backbeat_annotate::schema::NoVocabularies;
use backbeat_store::annotation::*;
use backbeat_store::jobs::{TrackAnalysis, TrackTag};
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::testing::TestDb;
use backbeat_store::{
    new_id, now_millis, AlbumKind, AnnotationStore, AudioFacts, Id, LockOutcome, NewTrack, NewUser,
    Role, TrackStatus, Upload,
};
use serde_json::{json, Value as Json};

const GENRES: [&str; 5] = ["rock", "jazz", "pop", "classical", "electronic"];
const ITEMS: usize = 180;
const GOLD: usize = 20;
/// Accuracy of each of the six annotators; the last is the deliberately bad one.
const ACCURACY: [f64; 6] = [0.95, 0.92, 0.9, 0.88, 0.85, 0.2];

/// A tiny deterministic generator (SplitMix64): the simulation replays exactly.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn truth(i: usize) -> &'static str {
    GENRES[(i * 7 + i / 5) % GENRES.len()]
}

/// What the model's stored tags say about track `i`: confident and right (45 %), confident
/// and wrong (10 %), or unsure (45 %).
fn model_tag(i: usize) -> (&'static str, f64) {
    match i % 20 {
        0..=8 => (truth(i), 0.96),
        9 | 10 => (
            GENRES[(GENRES.iter().position(|g| *g == truth(i)).unwrap() + 1) % 5],
            0.93,
        ),
        _ => (truth(i), 0.55),
    }
}

async fn user(c: &SqlCatalog, role: Role) -> Actor {
    let u = c
        .create_user(NewUser {
            email: format!("{}@example.com", new_id().simple()),
            display_name: "someone".into(),
            password_hash: "x".into(),
            role,
        })
        .await
        .unwrap();
    Actor {
        user_id: u.id,
        admin: role == Role::Admin,
    }
}

async fn tracks(c: &SqlCatalog, owner: Id, n: usize) -> Vec<Id> {
    let artist = c.create_artist("Simulated", owner).await.unwrap();
    let album = c
        .create_album(artist.id, "Simulated", AlbumKind::Album, None)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let key = format!("audio/{}", new_id());
        let now = now_millis();
        c.create_upload(Upload {
            key: key.clone(),
            user_id: owner,
            max_bytes: 1 << 30,
            expires_at: now + 3_600_000,
            created_at: now,
        })
        .await
        .unwrap();
        assert_eq!(
            c.lock_upload(&key, "lock", now + 3_600_000, now)
                .await
                .unwrap(),
            LockOutcome::Acquired
        );
        let t = c
            .create_track(NewTrack {
                album_id: album.id,
                title: format!("t{i}"),
                upload_key: key,
                lock_token: "lock".into(),
                uploader: owner,
                audio: AudioFacts {
                    container: "mp3".into(),
                    codec: "mp3".into(),
                    duration_ms: 180_000,
                    sample_rate: 44_100,
                    channels: 2,
                    bytes: 3_000_000,
                },
                status: TrackStatus::Processing,
            })
            .await
            .unwrap();
        let (tag, confidence) = model_tag(i);
        c.set_track_analysis(&TrackAnalysis {
            track_id: t.id,
            bpm: Some(120.0),
            key: Some("A minor".into()),
            loudness_lufs: Some(-9.0),
            analysis: json!({"rhythm": {"bpm": 120.0, "confidence": 0.8}}),
            tags: vec![TrackTag {
                group: "genre".into(),
                tag: tag.into(),
                confidence,
            }],
            updated_at: now_millis(),
            source: None,
        })
        .await
        .unwrap();
        ids.push(t.id);
    }
    ids
}

/// What the run ended with: per track index, the accepted genre and how it was resolved.
type Outcome = BTreeMap<usize, (Option<String>, Option<Resolution>)>;

async fn simulate(db: &TestDb, seed: u64) -> Outcome {
    let c = SqlCatalog::connect(&db.url).await.unwrap();
    let store: Arc<dyn AnnotationStore> = Arc::new(c.clone());
    let engine = Annotation::new(store.clone(), Arc::new(NoVocabularies));
    let admin = user(&c, Role::Admin).await;
    let track_ids = tracks(&c, admin.user_id, ITEMS + GOLD).await;
    let index: BTreeMap<Id, usize> = track_ids.iter().enumerate().map(|(i, t)| (*t, i)).collect();

    let project = engine
        .create_project(
            &admin,
            ProjectInput {
                name: "Genre review".into(),
                description: "simulated".into(),
                schema: json!({"questions": [
                    {"name": "genre", "type": "single_choice", "labels": GENRES}
                ]}),
                settings: json!({
                    "seed": seed, "spotCheckShare": 0.25, "goldShare": 0.2, "qaShare": 0.1,
                    "goldMinAnswers": 4, "goldPauseBelow": 0.6, "maxExtra": 1,
                    "minSpotChecks": 8,
                    "questions": {"genre": {"writeBack": "tags:genre"}},
                    "webhook": {"url": "http://127.0.0.1:9/hook",
                                "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
                }),
            },
        )
        .await
        .unwrap()
        .id;
    engine
        .add_model(
            &admin,
            project,
            "tagger",
            &json!({"kind": "builtin", "bindings": [{"question": "genre", "source": "tags:genre"}]}),
        )
        .await
        .unwrap();
    let mut people = Vec::new();
    for _ in ACCURACY {
        let a = user(&c, Role::Listener).await;
        engine
            .add_member(
                &admin,
                project,
                a.user_id,
                "annotator",
                MemberRole::Annotator,
            )
            .await
            .unwrap();
        people.push(a);
    }
    let expert = user(&c, Role::Listener).await;
    engine
        .add_member(
            &admin,
            project,
            expert.user_id,
            "expert",
            MemberRole::Expert,
        )
        .await
        .unwrap();
    let qa = user(&c, Role::Listener).await;
    engine
        .add_member(&admin, project, qa.user_id, "qa", MemberRole::Qa)
        .await
        .unwrap();

    // Annotators may not manage the project.
    assert!(matches!(
        engine
            .add_items(&people[0], project, &ItemsInput::List(Vec::new()))
            .await,
        Err(AnnotateError::Forbidden(_))
    ));

    let items: Vec<NewItem> = track_ids[..ITEMS]
        .iter()
        .map(|t| NewItem {
            track_id: *t,
            start_ms: 0,
            end_ms: 0,
            gold: None,
        })
        .collect();
    let added = engine
        .add_items(&admin, project, &ItemsInput::List(items))
        .await
        .unwrap();
    assert_eq!(added.added, ITEMS as u64);
    let gold: Vec<NewItem> = (ITEMS..ITEMS + GOLD)
        .map(|i| NewItem {
            track_id: track_ids[i],
            start_ms: 0,
            end_ms: 0,
            gold: Some(json!({"genre": truth(i)})),
        })
        .collect();
    engine
        .add_items(&admin, project, &ItemsInput::List(gold))
        .await
        .unwrap();
    let mut routed = 0;
    loop {
        let n = engine.route_pending(project, 50).await.unwrap();
        if n == 0 {
            break;
        }
        routed += n;
    }
    assert_eq!(routed, ITEMS as u64, "every item routed once");

    // The routing follows the model's confidence: unsure items go to two people; confident
    // ones are accepted, a quarter of them spot-checked by one person.
    for (i, t) in track_ids[..ITEMS].iter().enumerate() {
        let item = store
            .items(project, None, 0, 1_000)
            .await
            .unwrap()
            .into_iter()
            .find(|it| it.track_id == *t)
            .unwrap();
        let (_, confidence) = model_tag(i);
        if confidence < 0.9 {
            assert_eq!(
                (item.state, item.needed, item.spot_check),
                (ItemState::Open, 2, false),
                "item {i}"
            );
        } else if item.spot_check {
            assert_eq!((item.state, item.needed), (ItemState::Open, 1));
        } else {
            assert!(
                matches!(item.state, ItemState::Resolved | ItemState::Review),
                "item {i}: {:?}",
                item.state
            );
            assert_eq!(item.resolution, Some(Resolution::Model));
        }
    }

    // The workforce: each person in turn claims and answers, until nobody has anything left.
    let mut rng = Rng(seed ^ 0x5EED);
    let mut claims = 0;
    // Rounds until one hands out nothing: escalations make new work after people ran dry.
    let mut progress = true;
    while progress {
        progress = false;
        for (p, person) in people.iter().enumerate() {
            let work = match engine.claim(person, project).await {
                Ok(Some(w)) => w,
                Ok(None) => continue,
                Err(AnnotateError::Conflict(m)) if m.contains("paused") => continue,
                Err(e) => panic!("claim: {e}"),
            };
            claims += 1;
            progress = true;
            assert!(work.item.gold.is_none(), "gold answers are never shown");
            assert!(
                work.answers.is_empty(),
                "annotators never see other answers"
            );
            let i = index[&work.item.track_id];
            let genre = if rng.next() < ACCURACY[p] {
                truth(i).to_string()
            } else {
                let wrong: Vec<&str> = GENRES.iter().copied().filter(|g| *g != truth(i)).collect();
                wrong[(rng.next() * wrong.len() as f64) as usize % wrong.len()].to_string()
            };
            engine
                .submit(
                    person,
                    work.item.id,
                    &json!({"genre": genre}),
                    Some(3_000),
                    None,
                )
                .await
                .unwrap();
        }
        // Experts resolve what people could not agree on; QA reviews its sample.
        while let Some(w) = engine.claim(&expert, project).await.unwrap() {
            progress = true;
            let i = index[&w.item.track_id];
            engine
                .submit(
                    &expert,
                    w.item.id,
                    &json!({"genre": truth(i)}),
                    Some(9_000),
                    None,
                )
                .await
                .unwrap();
        }
        while let Some(w) = engine.claim(&qa, project).await.unwrap() {
            progress = true;
            let i = index[&w.item.track_id];
            let result = w.item.result.clone().unwrap_or(Json::Null);
            let verdict = if result["genre"] == truth(i) {
                (Verdict::Accept, None)
            } else {
                (Verdict::Fix, Some("wrong genre".to_string()))
            };
            let fix = json!({"genre": truth(i)});
            engine
                .submit(&qa, w.item.id, &fix, Some(5_000), Some(verdict))
                .await
                .unwrap();
        }
    }
    assert!(claims > ITEMS, "people did the work ({claims} claims)");

    // The bad annotator was paused by gold; the good ones were not.
    let annotators = store.annotators(project).await.unwrap();
    let paused: Vec<&AnnotatorRecord> = annotators
        .iter()
        .filter(|a| a.paused_at.is_some())
        .collect();
    assert_eq!(
        paused.len(),
        1,
        "exactly the bad annotator is paused: {paused:?}"
    );
    assert_eq!(paused[0].user_id, Some(people[5].user_id));

    // Quotas held: no item was answered by more people than it needed.
    let all = store.items(project, None, 0, 1_000).await.unwrap();
    let mut outcome = Outcome::new();
    let mut resolutions: BTreeMap<&str, usize> = BTreeMap::new();
    let mut correct = 0;
    for item in all.iter().filter(|i| i.state != ItemState::Gold) {
        assert_eq!(
            item.state,
            ItemState::Resolved,
            "item {} left in {:?}",
            item.id,
            item.state
        );
        let open: Vec<_> = store
            .annotations(item.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.stage == Stage::Open)
            .collect();
        assert!(
            open.len() as i64 <= 2 + item.extra,
            "item {} answered {} times",
            item.id,
            open.len()
        );
        let i = index[&item.track_id];
        let genre = item
            .result
            .as_ref()
            .and_then(|r| r["genre"].as_str())
            .map(str::to_string);
        if genre.as_deref() == Some(truth(i)) {
            correct += 1;
        }
        // The accepted label flowed back to the track as its reviewed genre.
        let reviews = store.track_reviews(item.track_id).await.unwrap();
        let reviewed: Vec<&str> = reviews.tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(reviewed, [genre.as_deref().unwrap()], "item {}", item.id);
        assert!(reviews
            .tags
            .iter()
            .all(|t| t.group == "genre" && t.project_id == project && t.item_id == item.id));
        *resolutions
            .entry(item.resolution.map_or("none", |r| r.as_str()))
            .or_default() += 1;
        outcome.insert(i, (genre, item.resolution));
    }
    // One `item.resolved` delivery per resolved item, carrying its final result (a QA fix
    // resolves an item already resolved once by review, so never twice).
    let outbox = store.deliveries(project, 10_000).await.unwrap();
    assert_eq!(outbox.len(), ITEMS);
    for row in &outbox {
        let id = row.payload["data"]["itemId"].as_i64().unwrap();
        let item = all.iter().find(|i| i.id == id).unwrap();
        assert_eq!(row.event, "item.resolved");
        assert_eq!(Some(&row.payload["data"]["result"]), item.result.as_ref());
    }
    let accuracy = correct as f64 / ITEMS as f64;
    println!("accepted-label accuracy {accuracy:.3}, resolutions {resolutions:?}, claims {claims}");
    assert!(accuracy >= 0.9, "accepted labels {accuracy:.3} right");
    assert!(
        resolutions.get("model").copied().unwrap_or(0) >= 40,
        "{resolutions:?}"
    );
    assert!(
        resolutions.get("consensus").copied().unwrap_or(0) >= 40,
        "{resolutions:?}"
    );
    assert!(
        resolutions.get("expert").copied().unwrap_or(0) >= 1,
        "{resolutions:?}"
    );
    let events = store.events(project, 10_000).await.unwrap();
    let kinds = |k: &str| events.iter().filter(|e| e.kind == k).count();
    assert!(kinds("escalated") >= 1);
    assert!(kinds("spot_check") >= 5);
    assert_eq!(kinds("paused"), 1);
    // Confident model answers are right 9 times in 11: below the 0.9 target, so the spot
    // checks raised the genre question's accept threshold, and said why.
    let moves: Vec<_> = events.iter().filter(|e| e.kind == "threshold").collect();
    assert!(!moves.is_empty(), "spot checks moved the threshold");
    assert!(moves
        .iter()
        .all(|m| m.detail["to"].as_f64() > m.detail["from"].as_f64()));
    assert!(
        events
            .iter()
            .any(|e| e.kind == "spot_check" && e.detail["agreed"] == false),
        "spot checks caught confident model mistakes"
    );
    c.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_workforce_sqlite_replays_the_same() {
    let first = simulate(&backbeat_store::testing::sqlite(), 7).await;
    let again = simulate(&backbeat_store::testing::sqlite(), 7).await;
    assert_eq!(first, again, "same seed, same outcome");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_workforce_postgres() {
    let Some(db) =
        backbeat_store::testing::postgres("workflow::simulated_workforce_postgres").await
    else {
        return;
    };
    simulate(&db, 7).await;
}

#[test]
fn thresholds_move_with_measured_accuracy() {
    use backbeat_annotate::engine::threshold::next_threshold;
    use backbeat_annotate::settings::Settings;
    let s = Settings::default(); // target 0.9, 20 spot checks
    assert_eq!(next_threshold(&s, 0.9, 0.5, 19), None, "too few checks");
    assert_eq!(
        next_threshold(&s, 0.9, 0.5, 20),
        Some(0.95),
        "below target: stricter"
    );
    assert_eq!(next_threshold(&s, 0.97, 0.5, 40), Some(0.99), "capped");
    assert_eq!(
        next_threshold(&s, 0.99, 0.5, 40),
        None,
        "already at the ceiling"
    );
    assert_eq!(next_threshold(&s, 0.9, 0.92, 40), None, "on target: kept");
    assert_eq!(
        next_threshold(&s, 0.9, 0.99, 40),
        Some(0.88),
        "well above target: looser"
    );
    let off = Settings {
        auto_threshold: false,
        ..Settings::default()
    };
    assert_eq!(next_threshold(&off, 0.9, 0.1, 400), None);
}
