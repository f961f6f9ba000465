//! Routing through an external model annotator on a real local HTTP endpoint: its confident
//! answers are accepted like a built-in model's (stored with who made them, the model version
//! and what they were derived from), tasks carry the audio URL the server hands out, and a
//! model that fails is logged while its items go on to people.

use std::sync::Arc;

use backbeat_annotate::engine::{Actor, Annotation, ItemsInput, ProjectInput};
use backbeat_annotate::schema::NoVocabularies;
use backbeat_store::annotation::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, AnnotationStore, Id, NewUser, Role};
use serde_json::{json, Value as Json};

use crate::models::server::{Reply, Server};
use crate::reports::track;

struct Setup {
    c: SqlCatalog,
    engine: Annotation,
    admin: Actor,
    _dir: tempfile::TempDir,
}

async fn setup(urls: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    let c = SqlCatalog::connect(&url).await.unwrap();
    let mut engine = Annotation::new(Arc::new(c.clone()), Arc::new(NoVocabularies));
    if urls {
        engine = engine.with_audio_urls(Arc::new(|track: Id| {
            Box::pin(async move { Some(format!("http://cdn.example/{track}?sig=s")) })
        }));
    }
    let u = c
        .create_user(NewUser {
            email: format!("{}@example.com", new_id().simple()),
            display_name: "Admin".into(),
            password_hash: "x".into(),
            role: Role::Admin,
        })
        .await
        .unwrap();
    Setup {
        c,
        engine,
        admin: Actor {
            user_id: u.id,
            admin: true,
        },
        _dir: dir,
    }
}

/// A project with the external model at `url` and `n` whole-track items; returns it and the
/// tracks.
async fn project(s: &Setup, url: &str, limits: Json, n: usize) -> (Id, Vec<Id>) {
    let p = s
        .engine
        .create_project(
            &s.admin,
            ProjectInput {
                name: "lab".into(),
                description: String::new(),
                schema: json!({"questions": [
                    {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "pop"]}
                ]}),
                settings: json!({"spotCheckShare": 0.0, "qaShare": 0.0}),
            },
        )
        .await
        .unwrap()
        .id;
    s.engine
        .add_model(
            &s.admin,
            p,
            "lab model",
            &json!({"kind": "http", "url": url, "limits": limits}),
        )
        .await
        .unwrap();
    let mut tracks = Vec::new();
    for _ in 0..n {
        tracks.push(track(&s.c).await.1);
    }
    let items = tracks
        .iter()
        .map(|t| NewItem {
            track_id: *t,
            start_ms: 0,
            end_ms: 0,
            gold: None,
        })
        .collect();
    s.engine
        .add_items(&s.admin, p, &ItemsInput::List(items))
        .await
        .unwrap();
    (p, tracks)
}

#[tokio::test]
async fn an_external_models_confident_answers_are_accepted() {
    let server = Server::start(vec![Reply::Json(json!({"predictions": [
        {"answers": {"genre": "jazz"}, "confidence": {"genre": 0.97}, "modelVersion": "lab-1"}
    ]}))])
    .await;
    let s = setup(true).await;
    let limits = json!({"batch_size": 1, "timeout_seconds": 5, "attempts": 1});
    let (p, tracks) = project(&s, &server.url, limits, 3).await;
    assert_eq!(s.engine.route_pending(p, 100).await.unwrap(), 3);
    assert_eq!(server.requests(), 3, "one request per batch of one");
    let mut audio: Vec<String> = (0..3)
        .map(|i| {
            server.body(i)["tasks"][0]["data"]["audio"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    audio.sort();
    let mut expected: Vec<String> = tracks
        .iter()
        .map(|t| format!("http://cdn.example/{t}?sig=s"))
        .collect();
    expected.sort();
    assert_eq!(audio, expected, "tasks carry the server's audio URLs");
    assert_eq!(
        server.body(0)["tasks"][0]["data"]["end"],
        183.0,
        "to the end of the track"
    );

    for item in s.c.items(p, None, 0, 10).await.unwrap() {
        assert_eq!(item.state, ItemState::Resolved, "{item:?}");
        assert_eq!(item.resolution, Some(Resolution::Model));
        assert_eq!(item.result, Some(json!({"genre": "jazz"})));
        let anns = s.c.annotations(item.id).await.unwrap();
        assert_eq!(anns.len(), 1);
        let a = &anns[0];
        assert_eq!(a.stage, Stage::Model);
        assert!(
            a.model_version.as_deref().unwrap().ends_with("@lab-1"),
            "{a:?}"
        );
        assert_eq!(a.derived_from, Some(json!({"endpoint": server.url})));
        assert_eq!(a.confidence, Some(json!({"genre": 0.97})));
    }
}

#[tokio::test]
async fn a_failing_external_model_is_logged_and_people_take_over() {
    let server = Server::start(vec![Reply::Status(503, "overloaded".into())]).await;
    let s = setup(false).await;
    let limits = json!({"timeout_seconds": 2, "attempts": 2, "backoff_ms": 1});
    let (p, tracks) = project(&s, &server.url, limits, 2).await;
    assert_eq!(s.engine.route_pending(p, 100).await.unwrap(), 2);
    assert_eq!(server.requests(), 2, "one batch, tried twice");
    assert_eq!(
        server.body(0)["tasks"][0]["data"]["audio"],
        format!("/api/v1/tracks/{}/stream", tracks[0]),
        "without a URL maker, tasks name the API's stream route"
    );
    for item in s.c.items(p, None, 0, 10).await.unwrap() {
        assert_eq!((item.state, item.needed), (ItemState::Open, 2), "{item:?}");
        assert!(s.c.annotations(item.id).await.unwrap().is_empty());
    }
    let failed = s.c.events_of(p, &["model_failed"], 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].detail["items"], 2);
    assert_eq!(failed[0].detail["name"], "lab model");
    assert!(
        failed[0].detail["error"].as_str().unwrap().contains("503"),
        "{:?}",
        failed[0].detail
    );
}
