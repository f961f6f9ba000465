//! Search over HTTP: kept in step with every create, rename and delete.

use axum::http::StatusCode;
use backbeat_store::Role;
use serde_json::json;

use crate::common::TestApp;
use crate::support::{artist_with_album, create_track, fixture};

fn titles(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_follows_writes_with_prefix_and_typos() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let l = app.user(Role::Listener).await;
    let (artist, album) = artist_with_album(&app, &a).await;
    let r = create_track(&app, &a, &album, "Midnight Symphony", fixture("chord.mp3")).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let q = |q: &str| format!("/api/v1/search?q={q}");
    assert_eq!(
        app.get(q("midnight")).await.status,
        StatusCode::UNAUTHORIZED
    );
    for query in ["midnight", "midni", "midnigth", "symphony%20midnight"] {
        let r = app.get(q(query)).auth(&l).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            titles(&r.json()).contains(&"Midnight Symphony".to_string()),
            "{query}: {}",
            r.text()
        );
    }
    let r = app
        .get("/api/v1/search?q=testers&type=artist")
        .auth(&l)
        .await;
    let v = r.json();
    assert_eq!(titles(&v), ["The Testers"]);
    assert_eq!(v["hits"][0]["type"], "artist");
    // Renaming the artist re-indexes its tracks, which carry its name.
    app.patch(format!("/api/v1/artists/{artist}"))
        .auth(&a)
        .json(json!({"name": "Zephyr"}))
        .await;
    let r = app.get("/api/v1/search?q=zephyr&type=track").auth(&l).await;
    assert_eq!(titles(&r.json()), ["Midnight Symphony"], "{}", r.text());
    // Deleting the album drops it and its tracks.
    app.delete(format!("/api/v1/albums/{album}")).auth(&a).await;
    let r = app.get(q("midnight")).auth(&l).await;
    assert_eq!(r.json()["total"], 0);
}

#[tokio::test]
async fn search_refuses_bad_parameters_and_survives_hostile_text() {
    let app = TestApp::new().await;
    let l = app.user(Role::Listener).await;
    for (query, status) in [
        ("", StatusCode::UNPROCESSABLE_ENTITY),
        ("q=", StatusCode::UNPROCESSABLE_ENTITY),
        ("q=%20%20", StatusCode::UNPROCESSABLE_ENTITY),
        ("q=a&limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("q=a&limit=101", StatusCode::UNPROCESSABLE_ENTITY),
        ("q=a&offset=5000", StatusCode::UNPROCESSABLE_ENTITY),
        ("q=a&type=song", StatusCode::BAD_REQUEST),
        ("q=a&limit=x", StatusCode::BAD_REQUEST),
        ("bpmMin=abc", StatusCode::BAD_REQUEST),
        ("reviewed=maybe", StatusCode::BAD_REQUEST),
        ("q=a&key=C%20major", StatusCode::OK),
        ("key=c%23m&tag=mood:happy&tagConfidence=0", StatusCode::OK),
        ("bpmMax=0&reviewed=false", StatusCode::OK),
    ] {
        let r = app.get(format!("/api/v1/search?{query}")).auth(&l).await;
        assert_eq!(r.status, status, "{query}: {}", r.text());
    }
    // Descriptor filters that cannot mean anything are refused naming the parameter.
    for (query, field) in [
        ("", "q"),
        ("bpmMin=100&bpmMax=50", "bpmMax"),
        ("bpmMin=NaN", "bpmMin"),
        ("bpmMax=inf", "bpmMax"),
        ("bpmMin=-1", "bpmMin"),
        ("key=H%20minor", "key"),
        ("key=", "key"),
        ("tag=rock", "tag"),
        ("tag=:rock", "tag"),
        ("tag=genre:ro%00ck", "tag"),
        ("reviewedTag=genre:", "reviewedTag"),
        ("tagConfidence=0.3", "q"),
        ("tag=a:b&tagConfidence=2", "tagConfidence"),
        ("bpmMin=1&type=album", "type"),
        ("q=&bpmMin=1", "q"),
    ] {
        let r = app.get(format!("/api/v1/search?{query}")).auth(&l).await;
        let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
    let long = "x".repeat(201);
    let r = app.get(format!("/api/v1/search?q={long}")).auth(&l).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for hostile in [
        "title%3Ax%20AND%20(",
        "*",
        "%22unclosed",
        "%E2%9C%93%F0%9F%8E%B5",
        "a~2^3",
        "-",
        "%5C",
    ] {
        let r = app
            .get(format!("/api/v1/search?q={hostile}"))
            .auth(&l)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{hostile}: {}", r.text());
    }
}
