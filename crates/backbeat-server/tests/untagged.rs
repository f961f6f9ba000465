//! `serve` without the tagger's models (issue 13, item 8): `/readyz` names the unavailable
//! job and why, uploads are processed without tags and end `ready`, and the track's jobs list
//! shows `tag` as `unavailable` with the reason.

use axum::http::StatusCode;
use backbeat_store::Role;

use crate::common::TestApp;
use crate::support::{artist_with_album, create_track, fixture, processed};

#[tokio::test]
async fn without_the_taggers_models_tracks_are_ready_untagged_and_tag_says_why() {
    let models = tempfile::tempdir().unwrap();
    let app = TestApp::with_config(|c| c.models_dir = Some(models.path().to_path_buf())).await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let why = r.json()["unavailableJobs"]["tag"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(why.contains("MTT_musicnn.onnx"), "{}", r.text());
    assert!(why.contains("install-models.sh"), "{}", r.text());

    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let r = create_track(&app, &a, &album, "Untagged", fixture("chord.mp3")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let jobs = processed(&app, &a, &id).await;
    assert_eq!(jobs["status"], "ready", "{jobs:#}");
    let tag = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "tag")
        .unwrap()
        .clone();
    assert_eq!(tag["state"], "unavailable", "{jobs:#}");
    assert!(
        tag["error"]
            .as_str()
            .is_some_and(|e| e.contains("MTT_musicnn.onnx")),
        "{tag}"
    );
    let r = app
        .get(format!("/api/v1/tracks/{id}/analysis"))
        .auth(&a)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["tags"], serde_json::json!([]), "{}", r.text());
}
