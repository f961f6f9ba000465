//! `/api/v1/annotation`: the whole workflow over HTTP (two annotators disagree, the expert
//! resolves, QA accepts), answers that do not fit the schema (422 naming the field), answers
//! without a lease (409), a schema change orphaning labels (409 naming them), every endpoint's
//! role checks, and 100,000 items in one request.

use std::time::Instant;

use axum::http::StatusCode;
use backbeat_store::{AlbumKind, AudioFacts, NewTrack, Role, TrackStatus, Upload};
use serde_json::{json, Value};

use crate::common::{TestApp, TestUser};

const P: &str = "/api/v1/annotation";

fn project_uri(id: &str) -> String {
    format!("{P}/projects/{id}")
}

fn item_uri(id: i64, what: &str) -> String {
    if what.is_empty() {
        format!("{P}/items/{id}")
    } else {
        format!("{P}/items/{id}/{what}")
    }
}

/// `n` tracks made through the stores (the pipeline is not what these tests are about);
/// owned by `owner`.
pub(crate) async fn tracks(app: &TestApp, owner: &TestUser, n: usize) -> Vec<String> {
    let stores = &app.state.catalog.parts().stores;
    let artist = stores
        .library
        .create_artist("Annotated", owner.id)
        .await
        .unwrap();
    let album = stores
        .library
        .create_album(artist.id, "Items", AlbumKind::Album, None)
        .await
        .unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let now = backbeat_store::now_millis();
        let key = format!("audio/{}", uuid::Uuid::new_v4());
        stores
            .uploads
            .create_upload(Upload {
                key: key.clone(),
                user_id: owner.id,
                max_bytes: 50_000_000,
                expires_at: now + 3_600_000,
                created_at: now,
            })
            .await
            .unwrap();
        stores
            .uploads
            .lock_upload(&key, "lock", now + 3_600_000, now)
            .await
            .unwrap();
        let t = stores
            .library
            .create_track(NewTrack {
                album_id: album.id,
                title: format!("t{i}"),
                upload_key: key,
                lock_token: "lock".into(),
                uploader: owner.id,
                audio: AudioFacts {
                    container: "mp3".into(),
                    codec: "mp3".into(),
                    duration_ms: 183_000,
                    sample_rate: 44_100,
                    channels: 2,
                    bytes: 2_930_000,
                },
                status: TrackStatus::Ready,
            })
            .await
            .unwrap();
        out.push(t.id.to_string());
    }
    out
}

fn genre_schema() -> Value {
    json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "pop"]}
    ]})
}

/// A project made by `admin`; returns its id.
async fn project(app: &TestApp, admin: &TestUser, schema: Value, settings: Value) -> String {
    let r = app
        .post(format!("{P}/projects"))
        .auth(admin)
        .json(json!({"name": "Genres", "schema": schema, "settings": settings}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let p = r.json();
    assert_eq!(p["schemaVersion"], 1);
    p["id"].as_str().unwrap().to_string()
}

async fn member(app: &TestApp, admin: &TestUser, project: &str, user: &TestUser, role: &str) {
    let r = app
        .post(format!("{}/members", project_uri(project)))
        .auth(admin)
        .json(json!({"userId": user.id, "role": role}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["role"], role);
}

async fn claim(app: &TestApp, user: &TestUser, project: &str) -> Option<Value> {
    let r = app
        .post(format!("{}/claim", project_uri(project)))
        .auth(user)
        .await;
    match r.status {
        StatusCode::OK => Some(r.json()),
        StatusCode::NO_CONTENT => None,
        s => panic!("claim: {s} {}", r.text()),
    }
}

async fn answer(
    app: &TestApp,
    user: &TestUser,
    item: i64,
    answers: Value,
) -> crate::common::TestResponse {
    app.post(item_uri(item, "answer"))
        .auth(user)
        .json(json!({"answers": answers, "leadMs": 1500}))
        .await
}

#[tokio::test]
async fn disagreement_goes_to_the_expert_then_qa() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let a1 = app.user(Role::Listener).await;
    let a2 = app.user(Role::Listener).await;
    let expert = app.user(Role::Listener).await;
    let qa = app.user(Role::Listener).await;
    let track = tracks(&app, &admin, 1).await.remove(0);
    // No extra annotator after disagreement (straight to the expert), every resolved item
    // reviewed, no gold.
    let id = project(
        &app,
        &admin,
        genre_schema(),
        json!({"maxExtra": 0, "qaShare": 1.0, "goldShare": 0.0}),
    )
    .await;
    member(&app, &admin, &id, &a1, "annotator").await;
    member(&app, &admin, &id, &a2, "annotator").await;
    member(&app, &admin, &id, &expert, "expert").await;
    member(&app, &admin, &id, &qa, "qa").await;
    let r = app
        .get(format!("{}/members", project_uri(&id)))
        .auth(&admin)
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 4);

    let r = app
        .post(format!("{}/items", project_uri(&id)))
        .auth(&admin)
        .json(json!({"items": [{"trackId": track, "start": 0, "end": 30}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json(), json!({"added": 1, "duplicates": 0}));

    // Both annotators get the item; nobody gets it twice, and nobody a third time.
    let w1 = claim(&app, &a1, &id).await.expect("work for a1");
    let w2 = claim(&app, &a2, &id).await.expect("work for a2");
    let item = w1["item"]["id"].as_i64().unwrap();
    assert_eq!(w2["item"]["id"], item);
    assert_eq!(w1["questions"], json!(["genre"]));
    assert_eq!(w1["item"]["end"], 30.0);
    assert!(w1["answers"].as_array().unwrap().is_empty());
    assert!(claim(&app, &a1, &id).await.is_none());

    let r = answer(&app, &a1, item, json!({"genre": "rock"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Before the item resolves, a1 sees only their own answer and no result.
    let v = app.get(item_uri(item, "")).auth(&a1).await.json();
    assert_eq!(v["annotations"].as_array().unwrap().len(), 1);
    assert!(v["item"]["result"].is_null(), "{v}");
    let r = answer(&app, &a2, item, json!({"genre": "jazz"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "expert", "{}", r.text());
    let v = app.get(item_uri(item, "")).auth(&a2).await.json();
    let mine = v["annotations"].as_array().unwrap();
    assert_eq!(mine.len(), 1, "{v}");
    assert_eq!(mine[0]["answers"]["genre"], "jazz");

    // The expert sees both answers and decides.
    let we = claim(&app, &expert, &id)
        .await
        .expect("work for the expert");
    assert_eq!(we["item"]["id"], item);
    assert_eq!(we["answers"].as_array().unwrap().len(), 2, "{we}");
    let v = app.get(item_uri(item, "")).auth(&expert).await.json();
    assert_eq!(v["annotations"].as_array().unwrap().len(), 2, "{v}");
    let r = answer(&app, &expert, item, json!({"genre": "rock"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "review");
    // Still under review: the annotators see no result yet.
    let v = app.get(item_uri(item, "")).auth(&a2).await.json();
    assert!(v["item"]["result"].is_null(), "{v}");

    // QA accepts; a verdict that is not one is refused first.
    let wq = claim(&app, &qa, &id).await.expect("work for QA");
    assert_eq!(wq["item"]["id"], item);
    let r = app
        .post(item_uri(item, "review"))
        .auth(&qa)
        .json(json!({"verdict": "maybe"}))
        .await;
    assert_eq!(
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["field"],
        "verdict"
    );
    let r = app
        .post(item_uri(item, "review"))
        .auth(&qa)
        .json(json!({"verdict": "accept", "comment": "fine"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "resolved");

    // Resolved: the annotator sees the result, and still only their own answer.
    let v = app.get(item_uri(item, "")).auth(&a2).await.json();
    assert_eq!(v["item"]["state"], "resolved");
    assert_eq!(v["item"]["result"]["genre"], "rock", "{v}");
    assert_eq!(v["item"]["resolution"], "expert");
    assert_eq!(v["annotations"].as_array().unwrap().len(), 1);
    let all = app.get(item_uri(item, "")).auth(&admin).await.json();
    assert_eq!(all["annotations"].as_array().unwrap().len(), 4, "{all}");

    let s = app
        .get(format!("{}/status", project_uri(&id)))
        .auth(&a1)
        .await
        .json();
    assert_eq!(s["total"], 1);
    assert_eq!(s["items"]["resolved"], 1, "{s}");
    let ev = app
        .get(format!("{}/events", project_uri(&id)))
        .auth(&admin)
        .await;
    assert_eq!(ev.status, StatusCode::OK);
    assert!(!ev.json().as_array().unwrap().is_empty(), "{}", ev.text());
    assert_eq!(
        app.get(format!("{}/events", project_uri(&id)))
            .auth(&qa)
            .await
            .status,
        StatusCode::OK
    );
    // Everyone is done.
    assert!(claim(&app, &a1, &id).await.is_none());
    assert!(claim(&app, &qa, &id).await.is_none());
}

fn rich_schema() -> Value {
    json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "pop"]},
        {"name": "bpm", "type": "number", "min": 30, "max": 300, "required": false},
        {"name": "sections", "type": "regions", "labels": ["verse", "chorus"], "required": false}
    ]})
}

/// The problem's field names, after checking it is a 422.
#[track_caller]
fn fields(r: &crate::common::TestResponse) -> Vec<String> {
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    p["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {p}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn answers_that_do_not_fit_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let a1 = app.user(Role::Listener).await;
    let a2 = app.user(Role::Listener).await;
    let track = tracks(&app, &admin, 1).await.remove(0);
    let id = project(
        &app,
        &admin,
        rich_schema(),
        json!({"overlap": 1, "goldShare": 0.0}),
    )
    .await;
    member(&app, &admin, &id, &a1, "annotator").await;
    member(&app, &admin, &id, &a2, "annotator").await;
    let r = app
        .post(format!("{}/items", project_uri(&id)))
        .auth(&admin)
        .json(json!({"items": [{"trackId": track, "start": 10, "end": 20}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let w = claim(&app, &a1, &id).await.expect("work");
    let item = w["item"]["id"].as_i64().unwrap();

    let cases = [
        ("wrong type", json!({"genre": 5}), "genre"),
        ("unknown label", json!({"genre": "polka"}), "genre"),
        ("missing required", json!({}), "genre"),
        (
            "region outside the window",
            json!({"genre": "rock", "sections": [{"start": 25, "end": 30, "label": "verse"}]}),
            "sections",
        ),
        (
            "end before start",
            json!({"genre": "rock", "sections": [{"start": 15, "end": 12, "label": "verse"}]}),
            "sections",
        ),
        (
            "a NaN string",
            json!({"genre": "rock", "bpm": "NaN"}),
            "bpm",
        ),
        ("out of range", json!({"genre": "rock", "bpm": 1000}), "bpm"),
        (
            "unknown question",
            json!({"genre": "rock", "mood": "sad"}),
            "mood",
        ),
        ("not an object", json!(["rock"]), "answers"),
    ];
    for (what, answers, field) in cases {
        let r = answer(&app, &a1, item, answers).await;
        let f = fields(&r);
        assert!(
            f.iter().any(|x| x.contains(field)),
            "{what}: expected a field naming {field}, got {f:?}"
        );
    }
    // A negative lead time, a body that is not JSON, a wrong shape.
    let r = app
        .post(item_uri(item, "answer"))
        .auth(&a1)
        .json(json!({"answers": {"genre": "rock"}, "leadMs": -5}))
        .await;
    assert_eq!(fields(&r), ["leadMs"]);
    let r = crate::support::raw(
        &app,
        axum::http::Method::POST,
        &item_uri(item, "answer"),
        &[
            ("authorization", &format!("Bearer {}", a1.token)),
            ("content-type", "application/json"),
        ],
        b"{\"answers\": {\"genre\": \"ro".to_vec(),
    )
    .await;
    r.assert_problem(StatusCode::BAD_REQUEST);

    // Someone else's lease: 409; so is answering twice.
    let r = answer(&app, &a2, item, json!({"genre": "rock"})).await;
    r.assert_problem(StatusCode::CONFLICT);
    let r = answer(&app, &a1, item, json!({"genre": "rock", "bpm": 120, "sections": [{"start": 11, "end": 19, "label": "chorus"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = answer(&app, &a1, item, json!({"genre": "rock"})).await;
    r.assert_problem(StatusCode::CONFLICT);
    // No lease to give back, renew or flag as a stranger; an item that does not exist.
    app.post(item_uri(item, "skip"))
        .auth(&a1)
        .await
        .assert_problem(StatusCode::CONFLICT);
    app.post(item_uri(item, "renew"))
        .auth(&a1)
        .await
        .assert_problem(StatusCode::CONFLICT);
    app.post(item_uri(item, "flag"))
        .auth(&a2)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.post(item_uri(999_999, "answer"))
        .auth(&a1)
        .json(json!({"answers": {}}))
        .await
        .assert_problem(StatusCode::NOT_FOUND);

    // Bad items: a window with end before start, a track that does not exist, both forms.
    for body in [
        json!({"items": [{"trackId": track, "start": 20, "end": 10}]}),
        json!({"items": [{"trackId": track, "start": -1}]}),
        json!({"items": [{"trackId": uuid::Uuid::new_v4()}]}),
        json!({"items": [{"trackId": track, "gold": {"genre": "polka"}}]}),
        json!({"items": [], "selection": {}}),
    ] {
        let r = app
            .post(format!("{}/items", project_uri(&id)))
            .auth(&admin)
            .json(body.clone())
            .await;
        assert!(!fields(&r).is_empty(), "{body}");
    }
}

#[tokio::test]
async fn skip_postpone_renew_and_flag() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let a1 = app.user(Role::Listener).await;
    let qa = app.user(Role::Listener).await;
    let ts = tracks(&app, &admin, 2).await;
    let id = project(
        &app,
        &admin,
        genre_schema(),
        json!({"overlap": 1, "goldShare": 0.0, "qaShare": 0.0}),
    )
    .await;
    member(&app, &admin, &id, &a1, "annotator").await;
    member(&app, &admin, &id, &qa, "qa").await;
    let items: Vec<Value> = ts.iter().map(|t| json!({"trackId": t})).collect();
    app.post(format!("{}/items", project_uri(&id)))
        .auth(&admin)
        .json(json!({"items": items}))
        .await;
    let first = claim(&app, &a1, &id).await.unwrap()["item"]["id"]
        .as_i64()
        .unwrap();
    let r = app.post(item_uri(first, "renew")).auth(&a1).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["leaseUntil"].is_string());
    let r = app.post(item_uri(first, "skip")).auth(&a1).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let second = claim(&app, &a1, &id).await.unwrap()["item"]["id"]
        .as_i64()
        .unwrap();
    assert_ne!(first, second, "a skipped item never comes back");
    let r = app.post(item_uri(second, "postpone")).auth(&a1).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let again = claim(&app, &a1, &id).await.unwrap()["item"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        again, second,
        "a postponed item comes back when nothing fresh is left"
    );
    let r = answer(&app, &a1, second, json!({"genre": "pop"})).await;
    assert_eq!(r.json()["state"], "resolved", "{}", r.text());
    let r = app
        .post(item_uri(second, "flag"))
        .auth(&a1)
        .json(json!({"comment": "the intro is jazz"}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let long = "x".repeat(2001);
    let r = app
        .post(item_uri(second, "flag"))
        .auth(&a1)
        .json(json!({"comment": long}))
        .await;
    assert_eq!(fields(&r), ["comment"]);
    let ev = app
        .get(format!("{}/events?limit=10", project_uri(&id)))
        .auth(&admin)
        .await
        .json();
    let flagged = ev
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "flagged")
        .unwrap_or_else(|| panic!("no flag event: {ev}"));
    assert_eq!(flagged["detail"]["comment"], "the intro is jazz");
    assert_eq!(flagged["itemId"], second);
    let v = app.get(item_uri(second, "")).auth(&admin).await.json();
    assert_eq!(v["item"]["flagged"], true);
}

#[tokio::test]
async fn a_schema_change_orphaning_labels_is_refused_naming_them() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let a1 = app.user(Role::Listener).await;
    let track = tracks(&app, &admin, 1).await.remove(0);
    let id = project(
        &app,
        &admin,
        genre_schema(),
        json!({"overlap": 1, "goldShare": 0.0}),
    )
    .await;
    member(&app, &admin, &id, &a1, "annotator").await;
    app.post(format!("{}/items", project_uri(&id)))
        .auth(&admin)
        .json(json!({"items": [{"trackId": track}]}))
        .await;
    let item = claim(&app, &a1, &id).await.unwrap()["item"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        answer(&app, &a1, item, json!({"genre": "rock"}))
            .await
            .status,
        StatusCode::OK
    );

    let without_rock = json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["jazz", "pop"]}
    ]});
    let r = app
        .at(
            axum::http::Method::PUT,
            format!("{}/schema", project_uri(&id)),
        )
        .auth(&admin)
        .json(json!({"expectedVersion": 1, "schema": without_rock}))
        .await;
    let p = r.assert_problem(StatusCode::CONFLICT);
    assert_eq!(p["type"], "/problems/orphans");
    let orphans = p["orphans"].as_array().unwrap_or_else(|| panic!("{p}"));
    assert!(
        orphans
            .iter()
            .any(|o| o["question"] == "genre" && o["label"] == "rock"),
        "{p}"
    );
    // A stale version is a conflict too; a widening change passes.
    let wider = json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "pop", "folk"]}
    ]});
    let r = app
        .at(
            axum::http::Method::PUT,
            format!("{}/schema", project_uri(&id)),
        )
        .auth(&admin)
        .json(json!({"expectedVersion": 7, "schema": wider.clone()}))
        .await;
    r.assert_problem(StatusCode::CONFLICT);
    let r = app
        .at(
            axum::http::Method::PUT,
            format!("{}/schema", project_uri(&id)),
        )
        .auth(&admin)
        .json(json!({"expectedVersion": 1, "schema": wider}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["schemaVersion"], 2);
    // Settings patch keeps the other keys; bad settings name the field.
    let r = app
        .patch(project_uri(&id))
        .auth(&admin)
        .json(json!({"settings": {"overlap": 3}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["settings"]["overlap"], 3);
    assert_eq!(r.json()["settings"]["goldShare"], 0.0);
    let r = app
        .patch(project_uri(&id))
        .auth(&admin)
        .json(json!({"settings": {"qaShare": 2}}))
        .await;
    assert!(fields(&r).iter().any(|f| f.contains("qaShare")));
    // A bad schema on create names the field inside it.
    let r = app
        .post(format!("{P}/projects"))
        .auth(&admin)
        .json(json!({"name": "x", "schema": {"questions": [{"name": "g", "type": "single_choice", "labels": []}]}}))
        .await;
    assert!(
        fields(&r).iter().any(|f| f.starts_with("schema")),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn every_endpoint_checks_roles() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let ann = app.user(Role::Listener).await;
    let other = app.user(Role::Listener).await;
    let outsider = app.user(Role::Artist).await;
    let ts = tracks(&app, &admin, 2).await;
    let id = project(
        &app,
        &admin,
        genre_schema(),
        json!({"overlap": 2, "goldShare": 1.0}),
    )
    .await;
    member(&app, &admin, &id, &ann, "annotator").await;
    member(&app, &admin, &id, &other, "annotator").await;
    let r = app
        .post(format!("{}/items", project_uri(&id)))
        .auth(&admin)
        .json(json!({"items": [
            {"trackId": ts[0], "gold": {"genre": "jazz"}},
            {"trackId": ts[1]}
        ]}))
        .await;
    assert_eq!(r.json()["added"], 2, "{}", r.text());

    // Gold first (goldShare 1): the annotator never sees the gold answer.
    let w = claim(&app, &ann, &id).await.expect("work");
    assert_eq!(w["item"]["state"], "gold", "{w}");
    assert!(w["item"].get("gold").is_none_or(Value::is_null), "{w}");
    let gold_item = w["item"]["id"].as_i64().unwrap();
    let v = app.get(item_uri(gold_item, "")).auth(&ann).await.json();
    assert!(v["item"].get("gold").is_none_or(Value::is_null), "{v}");
    let v = app.get(item_uri(gold_item, "")).auth(&admin).await.json();
    assert_eq!(v["item"]["gold"]["genre"], "jazz", "{v}");
    assert_eq!(
        answer(&app, &ann, gold_item, json!({"genre": "jazz"}))
            .await
            .status,
        StatusCode::OK
    );

    // Both annotators on the plain item; before it resolves, neither reads the other's.
    let w = claim(&app, &ann, &id).await.expect("work");
    let item = w["item"]["id"].as_i64().unwrap();
    assert_eq!(
        answer(&app, &ann, item, json!({"genre": "rock"}))
            .await
            .status,
        StatusCode::OK
    );
    let w = claim(&app, &other, &id).await.expect("work");
    let w = if w["item"]["id"] == gold_item {
        assert_eq!(
            answer(&app, &other, gold_item, json!({"genre": "pop"}))
                .await
                .status,
            StatusCode::OK
        );
        claim(&app, &other, &id).await.expect("work")
    } else {
        w
    };
    assert_eq!(w["item"]["id"], item);
    let v = app.get(item_uri(item, "")).auth(&other).await.json();
    assert!(v["annotations"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["item"]["result"].is_null());

    // What an annotator may not do.
    let p = project_uri(&id);
    let denied = [
        (
            "POST",
            format!("{P}/projects"),
            Some(json!({"name": "x", "schema": genre_schema()})),
        ),
        (
            "POST",
            format!("{p}/items"),
            Some(json!({"items": [{"trackId": ts[0]}]})),
        ),
        (
            "POST",
            format!("{p}/members"),
            Some(json!({"userId": outsider.id, "role": "qa"})),
        ),
        ("GET", format!("{p}/members"), None),
        (
            "POST",
            format!("{p}/models"),
            Some(json!({"name": "m", "config": {}})),
        ),
        (
            "PATCH",
            p.clone(),
            Some(json!({"settings": {"overlap": 1}})),
        ),
        (
            "PUT",
            format!("{p}/schema"),
            Some(json!({"expectedVersion": 1, "schema": genre_schema()})),
        ),
        ("GET", format!("{p}/events"), None),
        ("POST", format!("{p}/route"), None),
    ];
    for (method, uri, body) in &denied {
        let mut call = app.at(method.parse().unwrap(), uri.clone()).auth(&ann);
        if let Some(b) = body {
            call = call.json(b.clone());
        }
        call.await.assert_problem(StatusCode::FORBIDDEN);
    }
    // What a non-member may not do (on top of the above).
    let outside = [
        ("GET", p.clone()),
        ("POST", format!("{p}/claim")),
        ("GET", format!("{p}/status")),
        ("GET", item_uri(item, "")),
        ("POST", item_uri(item, "skip")),
        ("POST", item_uri(item, "postpone")),
        ("POST", item_uri(item, "renew")),
        ("POST", item_uri(item, "flag")),
    ];
    for (method, uri) in &outside {
        app.at(method.parse().unwrap(), uri.clone())
            .auth(&outsider)
            .await
            .assert_problem(StatusCode::FORBIDDEN);
    }
    for (uri, body) in [
        (
            item_uri(item, "answer"),
            json!({"answers": {"genre": "rock"}}),
        ),
        (item_uri(item, "review"), json!({"verdict": "accept"})),
    ] {
        app.post(uri)
            .auth(&outsider)
            .json(body)
            .await
            .assert_problem(StatusCode::FORBIDDEN);
    }
    // An annotator giving a verdict is not QA.
    app.post(item_uri(item, "review"))
        .auth(&other)
        .json(json!({"verdict": "accept"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    // Lists show members only their projects; anonymous callers nothing.
    let mine = app.get(format!("{P}/projects")).auth(&ann).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let theirs = app
        .get(format!("{P}/projects"))
        .auth(&outsider)
        .await
        .json();
    assert!(theirs.as_array().unwrap().is_empty());
    app.get(format!("{P}/projects"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.post(format!("{p}/claim"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    // A project that does not exist is 404 for an admin.
    app.get(project_uri(&uuid::Uuid::new_v4().to_string()))
        .auth(&admin)
        .await
        .assert_problem(StatusCode::NOT_FOUND);
    // Members can be added only as people with a role.
    let r = app
        .post(format!("{p}/members"))
        .auth(&admin)
        .json(json!({"userId": outsider.id, "role": "model"}))
        .await;
    assert_eq!(fields(&r), ["role"]);
}

/// 100,000 items (10 tracks × 10,000 windows) in one request; the time is printed.
#[tokio::test]
async fn a_hundred_thousand_items_in_one_request() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let ts = tracks(&app, &admin, 10).await;
    let id = project(&app, &admin, genre_schema(), json!({})).await;
    let items: Vec<Value> = (0..100_000)
        .map(|i| {
            let w = (i / 10) as f64;
            json!({"trackId": ts[i % 10], "start": w, "end": w + 1.0})
        })
        .collect();
    let body = json!({"items": items});
    let bytes = serde_json::to_vec(&body).unwrap().len();
    let started = Instant::now();
    let r = app
        .post(format!("{}/items", project_uri(&id)))
        .auth(&admin)
        .json(body)
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json(), json!({"added": 100_000, "duplicates": 0}));
    eprintln!(
        "annotation: 100,000 items ({:.1} MB of JSON) added in {:.2} s",
        bytes as f64 / 1e6,
        took.as_secs_f64()
    );
    let s = app
        .get(format!("{}/status", project_uri(&id)))
        .auth(&admin)
        .await
        .json();
    assert_eq!(s["total"], 100_000);
    assert_eq!(s["items"]["open"], 100_000);
    // The raised limit is this route's only: a 2 MB project body is still too large.
    let r = app
        .post(format!("{P}/projects"))
        .auth(&admin)
        .json(json!({"name": "big", "schema": genre_schema(), "description": "x".repeat(2 << 20)}))
        .await;
    r.assert_problem(StatusCode::PAYLOAD_TOO_LARGE);
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test]
async fn resolved_labels_flow_back_to_the_track() {
    use backbeat_store::jobs::{JobStore, TrackAnalysis, TrackTag};
    use backbeat_store::AnnotationStore;

    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let a1 = app.user(Role::Listener).await;
    let a2 = app.user(Role::Listener).await;
    let track = tracks(&app, &admin, 1).await.remove(0);
    let track_id: uuid::Uuid = track.parse().unwrap();
    // What the pipeline stored: 200 BPM, C major, the tagger says rock.
    app.db
        .set_track_analysis(&TrackAnalysis {
            track_id,
            bpm: Some(200.0),
            key: Some("C major".into()),
            loudness_lufs: Some(-9.0),
            analysis: json!({}),
            tags: vec![TrackTag {
                group: "genre".into(),
                tag: "rock".into(),
                confidence: 0.8,
            }],
            updated_at: backbeat_store::now_millis(),
            source: None,
        })
        .await
        .unwrap();
    let schema = json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "pop"]},
        {"name": "bpm", "type": "number", "min": 30, "max": 300, "distance": "bpm"},
        {"name": "key", "type": "key"}
    ]});
    let write_back = json!({
        "genre": {"writeBack": "tags:genre"}, "bpm": {"writeBack": "bpm"},
        "key": {"writeBack": "key"}
    });
    // A target that does not fit its question, or is no target, is refused by name.
    for (question, target) in [("genre", "bpm"), ("bpm", "tempo"), ("key", "tags:")] {
        let r = app
            .post(format!("{P}/projects"))
            .auth(&admin)
            .json(json!({"name": "bad", "schema": schema,
                         "settings": {"questions": {question: {"writeBack": target}}}}))
            .await;
        let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            p["errors"][0]["field"],
            format!("settings.questions.{question}.writeBack"),
            "{p}"
        );
    }
    let bad_secret = app
        .post(format!("{P}/projects"))
        .auth(&admin)
        .json(json!({"name": "bad", "schema": schema,
                     "settings": {"webhook": {"url": "ftp://x", "secret": "hunter2"}}}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad_secret["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["settings.webhook.url", "settings.webhook.secret"],
        "{bad_secret}"
    );

    let id = project(
        &app,
        &admin,
        schema,
        json!({"qaShare": 0.0, "goldShare": 0.0, "questions": write_back,
               "webhook": {"url": "http://127.0.0.1:9/hook", "secret": SECRET}}),
    )
    .await;
    member(&app, &admin, &id, &a1, "annotator").await;
    member(&app, &admin, &id, &a2, "annotator").await;
    // The secret is shown to nobody, the webhook not even to members; sending the redacted
    // value back keeps the secret.
    let p = app.get(project_uri(&id)).auth(&admin).await.json();
    assert_eq!(p["settings"]["webhook"]["secret"], "whsec_********", "{p}");
    let p = app.get(project_uri(&id)).auth(&a1).await.json();
    assert!(p["settings"].get("webhook").is_none(), "{p}");
    assert_eq!(p["settings"]["qaShare"], 0.0);
    let listed = app.get(format!("{P}/projects")).auth(&a1).await.json();
    assert!(listed[0]["settings"].get("webhook").is_none(), "{listed}");
    let r = app
        .patch(project_uri(&id))
        .auth(&admin)
        .json(
            json!({"settings": {"webhook": {"url": "http://127.0.0.1:9/other",
                                              "secret": "whsec_********"}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let stored = app.db.project(id.parse().unwrap()).await.unwrap();
    assert_eq!(stored.settings["webhook"]["secret"], SECRET);
    assert_eq!(
        stored.settings["webhook"]["url"],
        "http://127.0.0.1:9/other"
    );

    // A window and the whole track; both people agree on both.
    let r = app
        .post(format!("{}/items", project_uri(&id)))
        .auth(&admin)
        .json(json!({"items": [{"trackId": track, "start": 0, "end": 30}, {"trackId": track}]}))
        .await;
    assert_eq!(r.json()["added"], 2, "{}", r.text());
    for who in [&a1, &a2, &a1, &a2] {
        let w = claim(&app, who, &id).await.expect("work");
        let item = w["item"]["id"].as_i64().unwrap();
        // The window's answer (`pop`) must not become the track's genre.
        let genre = if w["item"]["end"].is_null() {
            "jazz"
        } else {
            "pop"
        };
        let r = answer(
            &app,
            who,
            item,
            json!({"genre": genre, "bpm": 64.0, "key": {"tonic": "A", "mode": "minor"}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let s = app
        .get(format!("{}/status", project_uri(&id)))
        .auth(&admin)
        .await
        .json();
    assert_eq!(s["items"]["resolved"], 2, "{s}");

    let a = app
        .get(format!("/api/v1/tracks/{track}/analysis"))
        .auth(&a1)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = a.json();
    assert_eq!(a["bpm"], 200.0, "the analysis's own value stays");
    let reviewed: Vec<(String, Value)> = a["reviewed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["field"].as_str().unwrap().to_string(), r["value"].clone()))
        .collect();
    assert_eq!(
        reviewed,
        [
            ("bpm".to_string(), json!(64.0)),
            ("key".to_string(), json!("A minor"))
        ]
    );
    assert!(a["reviewed"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["source"] == "reviewed" && r["projectId"] == id.as_str()));
    let tags: Vec<(&str, &str, &str)> = a["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["group"].as_str().unwrap(),
                t["tag"].as_str().unwrap(),
                t["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tags,
        [("genre", "rock", "tagger"), ("genre", "jazz", "reviewed")]
    );

    // Selections see the reviewed values: by reviewed tag, and by the reviewed BPM.
    let other = project(&app, &admin, genre_schema(), json!({})).await;
    for (selection, expected) in [
        (json!({"reviewedTag": {"group": "genre", "tag": "jazz"}}), 1),
        (json!({"reviewedTag": {"group": "genre", "tag": "pop"}}), 0),
        (
            json!({"bpm": {"min": 60, "max": 70}, "trackIds": [track]}),
            1,
        ),
        (json!({"reviewed": false, "trackIds": [track]}), 0),
        (json!({"key": "Am", "trackIds": [track]}), 1),
        (json!({"key": "C major", "trackIds": [track]}), 0),
        (
            json!({"tagged": {"group": "genre", "tag": "rock"}, "trackIds": [track]}),
            0,
        ),
        (
            json!({"tagged": {"group": "genre", "tag": "jazz"}, "trackIds": [track]}),
            1,
        ),
    ] {
        let r = app
            .post(format!("{}/items", project_uri(&other)))
            .auth(&admin)
            .json(json!({"selection": selection}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let got = r.json();
        assert_eq!(
            got["added"].as_u64().unwrap() + got["duplicates"].as_u64().unwrap(),
            expected,
            "{selection}"
        );
    }

    for (selection, field) in [
        (json!({"key": "H minor"}), "selection.key"),
        (
            json!({"reviewedTag": {"group": "genre\u{0}", "tag": "rock"}}),
            "selection.reviewedTag",
        ),
        (json!({"bpm": {"min": 90, "max": 60}}), "selection.bpm"),
        (
            json!({"tagged": {"group": "genre", "tag": "rock", "minConfidence": 1.5}}),
            "selection.tagged.minConfidence",
        ),
    ] {
        let p = app
            .post(format!("{}/items", project_uri(&other)))
            .auth(&admin)
            .json(json!({"selection": selection}))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], field, "{selection}: {p}");
    }

    // Search filters see them too: people's key, genre and BPM replace the pipeline's.
    let parts = app.state.catalog.parts();
    parts.index.rebuild(&*parts.stores.docs).await.unwrap();
    for (filter, expected) in [
        ("key=a%20minor", 1),
        ("key=C%20major", 0),
        ("tag=genre:rock", 0),
        ("tag=genre:jazz", 1),
        ("reviewedTag=genre:jazz", 1),
        ("bpmMin=60&bpmMax=70", 1),
        ("bpmMin=190", 0),
        ("reviewed=false", 0),
        ("q=t0&tag=genre:jazz&type=track", 1),
        ("q=t0&key=C%20major", 0),
    ] {
        let r = app.get(format!("/api/v1/search?{filter}")).auth(&a1).await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.text());
        let v = r.json();
        assert_eq!(v["total"], expected, "{filter}: {v}");
        if expected == 1 {
            assert_eq!(v["hits"][0]["id"], track.as_str(), "{filter}: {v}");
            assert_eq!(v["hits"][0]["type"], "track");
            assert_eq!(v["hits"][0]["artistName"], "Annotated");
        }
    }
    let by_words = app
        .get("/api/v1/search?q=t0&bpmMax=100")
        .auth(&a1)
        .await
        .json();
    assert!(
        by_words["hits"][0]["score"].as_f64().unwrap() > 0.0,
        "words keep their relevance: {by_words}"
    );

    // One `item.resolved` delivery per resolved item, listed for admins only.
    let hooks = app
        .get(format!("{}/webhooks", project_uri(&id)))
        .auth(&admin)
        .await;
    assert_eq!(hooks.status, StatusCode::OK, "{}", hooks.text());
    let hooks = hooks.json();
    let hooks = hooks.as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    for h in hooks {
        assert_eq!(h["event"], "item.resolved");
        assert_eq!(h["state"], "pending");
        assert_eq!(h["payload"]["data"]["trackId"], track.as_str());
        assert!(h["id"].as_str().unwrap().starts_with("msg_"));
    }
    assert_eq!(
        app.get(format!("{}/webhooks", project_uri(&id)))
            .auth(&a1)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_selection_by_search_words() {
    use backbeat_store::AnnotationStore as _;
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let ids = tracks(&app, &admin, 3).await;
    // The tracks were written through the stores: index them as a reindex would.
    let parts = app.state.catalog.parts();
    parts.index.rebuild(&*parts.stores.docs).await.unwrap();
    let id = project(&app, &admin, genre_schema(), json!({})).await;
    let add = |selection: Value| {
        app.post(format!("{}/items", project_uri(&id)))
            .auth(&admin)
            .json(json!({"selection": selection}))
    };
    // Titles are t0, t1, t2: the words find one track.
    let r = add(json!({"query": "t1"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json(), json!({"added": 1, "duplicates": 0}));
    let v = app
        .db
        .items(id.parse().unwrap(), None, 0, 10)
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].track_id.to_string(), ids[1]);
    // With a list too, only tracks in both.
    let r = add(json!({"query": "t2", "trackIds": [ids[0]]})).await;
    assert_eq!(
        r.json(),
        json!({"added": 0, "duplicates": 0}),
        "{}",
        r.text()
    );
    let r = add(json!({"query": "t2", "trackIds": [ids[2]]})).await;
    assert_eq!(
        r.json(),
        json!({"added": 1, "duplicates": 0}),
        "{}",
        r.text()
    );
    // Words that find nothing add nothing (not every track).
    let r = add(json!({"query": "nothing-called-this"})).await;
    assert_eq!(
        r.json(),
        json!({"added": 0, "duplicates": 0}),
        "{}",
        r.text()
    );
    let p = add(json!({"query": "   "}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "selection.query", "{p}");
}
