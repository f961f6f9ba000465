//! A simulated workforce end to end over the HTTP API: the tagger as a built-in model
//! annotator, six people of known accuracy (the last deliberately bad), an expert and a QA
//! analyst work through a 200-item project (180 items, 20 gold) — every action a request.
//! Checked: routing follows the model's confidence, quotas hold, disagreements reach the
//! expert, gold pauses the bad annotator (and only them), accepted labels are right and flow
//! back to the tracks, the metrics, agreement report, webhook outbox and export agree with
//! what happened; a replay with the same seed ends the same way.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use backbeat_store::annotation::{ItemState, Stage};
use backbeat_store::jobs::{JobStore as _, TrackAnalysis, TrackTag};
use backbeat_store::{AnnotationStore as _, Role};
use serde_json::{json, Value};

use crate::annotation::tracks;
use crate::common::{TestApp, TestUser};

const P: &str = "/api/v1/annotation";
const GENRES: [&str; 5] = ["rock", "jazz", "pop", "classical", "electronic"];
const ITEMS: usize = 180;
const GOLD: usize = 20;
/// Accuracy of each of the six annotators; the last is the deliberately bad one.
const ACCURACY: [f64; 6] = [0.95, 0.92, 0.9, 0.88, 0.85, 0.2];

/// SplitMix64: the simulation replays exactly.
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

/// The tagger's stored genre for track `i`: confident and right (45 %), confident and wrong
/// (10 %), or unsure (45 %).
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

/// Per track index: the accepted genre and how it was resolved.
type Outcome = BTreeMap<usize, (String, String)>;

async fn ok(r: crate::common::TestResponse, what: &str) -> Value {
    assert!(r.status.is_success(), "{what}: {} {}", r.status, r.text());
    if r.status == StatusCode::NO_CONTENT {
        Value::Null
    } else {
        r.json()
    }
}

async fn simulate(seed: u64) -> Outcome {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let track_ids = tracks(&app, &admin, ITEMS + GOLD).await;
    let index: BTreeMap<String, usize> = track_ids
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i))
        .collect();
    for (i, t) in track_ids.iter().enumerate() {
        let (tag, confidence) = model_tag(i);
        app.db
            .set_track_analysis(&TrackAnalysis {
                track_id: t.parse().unwrap(),
                bpm: Some(120.0),
                key: Some("A minor".into()),
                loudness_lufs: Some(-9.0),
                analysis: json!({"rhythm": {"bpm": 120.0, "confidence": 0.8}}),
                tags: vec![TrackTag {
                    group: "genre".into(),
                    tag: tag.into(),
                    confidence,
                }],
                updated_at: backbeat_store::now_millis(),
                source: None,
            })
            .await
            .unwrap();
    }

    let r = app
        .post(format!("{P}/projects"))
        .auth(&admin)
        .json(json!({
            "name": "Genre review",
            "schema": {"questions": [
                {"name": "genre", "type": "single_choice", "labels": GENRES}
            ]},
            "settings": {
                "seed": seed, "spotCheckShare": 0.25, "goldShare": 0.2, "qaShare": 0.1,
                "goldMinAnswers": 4, "goldPauseBelow": 0.6, "maxExtra": 1, "minSpotChecks": 8,
                "questions": {"genre": {"writeBack": "tags:genre"}},
                "webhook": {"url": "http://127.0.0.1:9/hook",
                            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
            }
        }))
        .await;
    let project = ok(r, "create").await["id"].as_str().unwrap().to_string();
    let pu = format!("{P}/projects/{project}");
    ok(
        app.post(format!("{pu}/models"))
            .auth(&admin)
            .json(
                json!({"name": "tagger", "config": {"kind": "builtin", "bindings": [
                {"question": "genre", "source": "tags:genre"}]}}),
            )
            .await,
        "model",
    )
    .await;
    let mut people: Vec<TestUser> = Vec::new();
    for _ in ACCURACY {
        let u = app.user(Role::Listener).await;
        ok(
            app.post(format!("{pu}/members"))
                .auth(&admin)
                .json(json!({"userId": u.id, "role": "annotator"}))
                .await,
            "member",
        )
        .await;
        people.push(u);
    }
    let expert = app.user(Role::Listener).await;
    let qa = app.user(Role::Listener).await;
    for (u, role) in [(&expert, "expert"), (&qa, "qa")] {
        ok(
            app.post(format!("{pu}/members"))
                .auth(&admin)
                .json(json!({"userId": u.id, "role": role}))
                .await,
            "member",
        )
        .await;
    }
    // Annotators may not manage the project.
    assert_eq!(
        app.post(format!("{pu}/items"))
            .auth(&people[0])
            .json(json!({"items": []}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let items: Vec<Value> = track_ids[..ITEMS]
        .iter()
        .map(|t| json!({"trackId": t}))
        .collect();
    let added = ok(
        app.post(format!("{pu}/items"))
            .auth(&admin)
            .json(json!({"items": items}))
            .await,
        "items",
    )
    .await;
    assert_eq!(added["added"], ITEMS);
    let gold: Vec<Value> = (ITEMS..ITEMS + GOLD)
        .map(|i| json!({"trackId": track_ids[i], "gold": {"genre": truth(i)}}))
        .collect();
    ok(
        app.post(format!("{pu}/items"))
            .auth(&admin)
            .json(json!({"items": gold}))
            .await,
        "gold",
    )
    .await;
    let mut routed = 0;
    loop {
        let r = ok(
            app.post(format!("{pu}/route?limit=50")).auth(&admin).await,
            "route",
        )
        .await;
        let n = r["routed"].as_u64().unwrap();
        if n == 0 {
            break;
        }
        routed += n;
    }
    assert_eq!(routed, ITEMS as u64, "every item routed once");

    // Routing follows the model's confidence: unsure items go to two people; confident ones
    // are accepted, a quarter of them spot-checked by one person.
    let pid = project.parse().unwrap();
    let stored = app.db.items(pid, None, 0, 1_000).await.unwrap();
    for item in stored.iter().filter(|i| i.state != ItemState::Gold) {
        let i = index[&item.track_id.to_string()];
        let (_, confidence) = model_tag(i);
        let v = ok(
            app.get(format!("{P}/items/{}", item.id)).auth(&admin).await,
            "item",
        )
        .await;
        let state = v["item"]["state"].as_str().unwrap();
        if confidence < 0.9 {
            assert_eq!(state, "open", "item {i}: {v}");
        } else if item.spot_check {
            assert_eq!(state, "open");
        } else {
            assert!(matches!(state, "resolved" | "review"), "item {i}: {v}");
            assert_eq!(v["item"]["resolution"], "model");
        }
    }

    // The workforce: each person in turn claims and answers until nobody has anything left.
    let mut rng = Rng(seed ^ 0x5EED);
    let mut claims = 0;
    let mut paused_seen = [false; 6];
    let mut progress = true;
    while progress {
        progress = false;
        for (p, person) in people.iter().enumerate() {
            let r = app.post(format!("{pu}/claim")).auth(person).await;
            let work = match r.status {
                StatusCode::OK => r.json(),
                StatusCode::NO_CONTENT => continue,
                StatusCode::CONFLICT => {
                    assert!(r.text().contains("paused"), "{}", r.text());
                    paused_seen[p] = true;
                    continue;
                }
                s => panic!("claim: {s} {}", r.text()),
            };
            claims += 1;
            progress = true;
            assert!(
                work["item"]["gold"].is_null(),
                "gold answers are never shown"
            );
            assert!(work["answers"].as_array().unwrap().is_empty());
            assert!(
                work["modelAnswers"].is_null(),
                "the model's answer is hidden"
            );
            let i = index[work["item"]["trackId"].as_str().unwrap()];
            let genre = if rng.next() < ACCURACY[p] {
                truth(i).to_string()
            } else {
                let wrong: Vec<&str> = GENRES.iter().copied().filter(|g| *g != truth(i)).collect();
                wrong[(rng.next() * wrong.len() as f64) as usize % wrong.len()].to_string()
            };
            let id = work["item"]["id"].as_i64().unwrap();
            ok(
                app.post(format!("{P}/items/{id}/answer"))
                    .auth(person)
                    .json(json!({"answers": {"genre": genre}, "leadMs": 3000}))
                    .await,
                "answer",
            )
            .await;
        }
        // Experts resolve what people could not agree on; QA reviews its sample.
        loop {
            let r = app.post(format!("{pu}/claim")).auth(&expert).await;
            if r.status == StatusCode::NO_CONTENT {
                break;
            }
            let w = ok(r, "expert claim").await;
            progress = true;
            assert!(!w["answers"].as_array().unwrap().is_empty(), "{w}");
            let i = index[w["item"]["trackId"].as_str().unwrap()];
            let id = w["item"]["id"].as_i64().unwrap();
            ok(
                app.post(format!("{P}/items/{id}/answer"))
                    .auth(&expert)
                    .json(json!({"answers": {"genre": truth(i)}, "leadMs": 9000}))
                    .await,
                "expert answer",
            )
            .await;
        }
        loop {
            let r = app.post(format!("{pu}/claim")).auth(&qa).await;
            if r.status == StatusCode::NO_CONTENT {
                break;
            }
            let w = ok(r, "qa claim").await;
            progress = true;
            let i = index[w["item"]["trackId"].as_str().unwrap()];
            let id = w["item"]["id"].as_i64().unwrap();
            let body = if w["item"]["result"]["genre"] == truth(i) {
                json!({"verdict": "accept", "leadMs": 5000})
            } else {
                json!({"verdict": "fix", "answers": {"genre": truth(i)},
                       "comment": "wrong genre", "leadMs": 5000})
            };
            ok(
                app.post(format!("{P}/items/{id}/review"))
                    .auth(&qa)
                    .json(body)
                    .await,
                "review",
            )
            .await;
        }
    }
    assert!(claims > ITEMS, "people did the work ({claims} claims)");

    // Gold paused the bad annotator, and only them.
    let members = ok(
        app.get(format!("{pu}/members")).auth(&admin).await,
        "members",
    )
    .await;
    let paused: Vec<&Value> = members
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["pausedAt"].is_null())
        .collect();
    assert_eq!(paused.len(), 1, "{paused:?}");
    assert_eq!(paused[0]["userId"], people[5].id.to_string());
    assert_eq!(paused_seen, [false, false, false, false, false, true]);

    // Everything resolved, quotas held, labels right and flowed back to the tracks.
    let status = ok(app.get(format!("{pu}/status")).auth(&admin).await, "status").await;
    assert_eq!(status["items"]["resolved"], ITEMS, "{status}");
    let all = app.db.items(pid, None, 0, 1_000).await.unwrap();
    let mut outcome = Outcome::new();
    let mut correct = 0;
    let mut human_answers = 0;
    for item in all.iter().filter(|i| i.state != ItemState::Gold) {
        let anns = app.db.annotations(item.id).await.unwrap();
        let open = anns.iter().filter(|a| a.stage == Stage::Open).count() as i64;
        assert!(
            open <= 2 + item.extra,
            "item {} answered {open} times",
            item.id
        );
        human_answers += anns.iter().filter(|a| a.stage != Stage::Model).count();
        let i = index[&item.track_id.to_string()];
        let genre = item.result.as_ref().unwrap()["genre"]
            .as_str()
            .unwrap()
            .to_string();
        if genre == truth(i) {
            correct += 1;
        }
        let reviews = app.db.track_reviews(item.track_id).await.unwrap();
        assert_eq!(reviews.tags.len(), 1);
        assert_eq!(reviews.tags[0].tag, genre);
        outcome.insert(i, (genre, item.resolution.unwrap().as_str().to_string()));
    }
    let accuracy = correct as f64 / ITEMS as f64;
    assert!(accuracy >= 0.9, "accepted labels {accuracy:.3} right");
    // A reviewed genre is visible in the track's analysis.
    let a = ok(
        app.get(format!("/api/v1/tracks/{}/analysis", track_ids[0]))
            .auth(&people[0])
            .await,
        "analysis",
    )
    .await;
    assert!(
        a["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["source"] == "reviewed" && t["tag"] == outcome[&0].0.as_str()),
        "{a}"
    );

    // The metrics say what happened.
    let m = ok(
        app.get(format!("{pu}/metrics")).auth(&admin).await,
        "metrics",
    )
    .await;
    let res = &m["project"]["resolutions"];
    let count = |how: &str| outcome.values().filter(|(_, r)| r == how).count() as u64;
    for how in ["model", "consensus", "expert", "qa"] {
        assert_eq!(res[how].as_u64().unwrap(), count(how), "{how}: {res}");
    }
    assert!(count("model") >= 40 && count("consensus") >= 40, "{res}");
    assert!(
        count("expert") >= 1,
        "disagreements reached the expert: {res}"
    );
    assert_eq!(m["project"]["itemsByState"]["resolved"], ITEMS);
    assert_eq!(
        m["project"]["answers"].as_u64().unwrap() as usize,
        human_answers + gold_answers(&app, &all).await,
        "every human answer counted, gold ones too"
    );
    let spot = m["project"]["spotChecks"]["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&spot));
    assert_eq!(m["project"]["medianLeadMs"], 3000.0);
    let bad = m["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["paused"] == true)
        .unwrap();
    assert!(bad["answers"].as_u64().unwrap() >= 4, "{bad}");
    // Annotators do not read the metrics.
    assert_eq!(
        app.get(format!("{pu}/metrics"))
            .auth(&people[0])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // And so do the Prometheus gauges.
    let prom = app.get("/metrics").await;
    assert_eq!(prom.status, StatusCode::OK);
    let prom = prom.text();
    let resolved_gauge =
        format!("annotation_items{{project=\"{project}\",state=\"resolved\"}} {ITEMS}");
    assert!(
        prom.contains(&resolved_gauge),
        "{resolved_gauge} not in /metrics"
    );
    assert!(prom.contains(&format!(
        "annotation_model_spot_check_accuracy{{project=\"{project}\"}}"
    )));
    let agreement = ok(
        app.get(format!("{pu}/agreement")).auth(&admin).await,
        "agreement",
    )
    .await;
    let genre = &agreement["questions"][0];
    assert_eq!(genre["question"], "genre");
    assert_eq!(genre["metric"], "alpha_nominal");
    assert!(genre["value"].as_f64().unwrap() > 0.5, "{genre}");

    // The item listing pages through the resolved items (admins only).
    let mut listed = 0;
    let mut after = 0;
    loop {
        let page = ok(
            app.get(format!("{pu}/items?state=resolved&limit=64&after={after}"))
                .auth(&admin)
                .await,
            "items",
        )
        .await;
        let page = page.as_array().unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.iter().all(|i| i["state"] == "resolved"));
        listed += page.len();
        after = last["id"].as_i64().unwrap();
    }
    assert_eq!(listed, ITEMS);
    assert_eq!(
        app.get(format!("{pu}/items")).auth(&people[0]).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = app.get(format!("{pu}/items?state=done")).auth(&admin).await;
    assert_eq!(
        bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["field"],
        "state"
    );

    // One webhook delivery per resolved item; the export holds every resolved item.
    let hooks = ok(
        app.get(format!("{pu}/webhooks?limit=1000"))
            .auth(&admin)
            .await,
        "webhooks",
    )
    .await;
    assert_eq!(hooks.as_array().unwrap().len(), ITEMS);
    let export = app
        .get(format!("{pu}/export?format=jsonl"))
        .auth(&admin)
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(
        export.headers["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    let lines: Vec<Value> = std::str::from_utf8(&export.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), ITEMS);
    for l in &lines {
        let i = index[l["trackId"].as_str().unwrap()];
        assert_eq!(l["result"]["genre"], outcome[&i].0.as_str());
    }
    outcome
}

/// Answers people gave to gold items (they count as answers in the metrics).
async fn gold_answers(app: &TestApp, all: &[backbeat_store::annotation::ItemRecord]) -> usize {
    let mut n = 0;
    for item in all.iter().filter(|i| i.state == ItemState::Gold) {
        n += app.db.annotations(item.id).await.unwrap().len();
    }
    n
}

#[tokio::test]
async fn a_simulated_workforce_over_http() {
    let first = simulate(7).await;
    let again = simulate(7).await;
    assert_eq!(first, again, "the same seed ends the same way");
}
