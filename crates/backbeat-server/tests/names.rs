//! Names and titles that show nothing, or that reorder the text around them, are refused
//! with a 422 naming the field, on every resource that takes one.

use axum::http::StatusCode;
use backbeat_store::Role;
use serde_json::{json, Value};

use crate::common::{unique_email, TestApp, TestResponse};
use crate::protocol as api;
use crate::support::artist_with_album;

/// Only zero-width and bidi characters, with spaces around them.
const INVISIBLE: &str = " \u{200B}\u{200C}\u{200D}\u{200E}\u{200F}\u{2060}\u{FEFF} ";
/// A right-to-left override inside an otherwise fine name.
const OVERRIDE: &str = "evil\u{202E}3pm.exe";

/// Asserts a 422 with one error on `field` whose message contains `says`.
#[track_caller]
fn assert_refused(r: &TestResponse, field: &str, says: &str) {
    let p: Value = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["type"], "/problems/validation", "{p}");
    let errors = p["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["field"] == field
            && e["message"].as_str().is_some_and(|m| m.contains(says))),
        "{p}"
    );
}

#[tokio::test]
async fn invisible_or_bidi_override_names_are_refused_everywhere() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (artist, album) = artist_with_album(&app, &a).await;
    for (value, says) in [(INVISIBLE, "visible"), (OVERRIDE, "bidirectional")] {
        let r = app
            .post("/api/v1/artists")
            .auth(&a)
            .json(json!({"name": value}))
            .await;
        assert_refused(&r, "name", says);
        let r = app
            .post("/api/v1/albums")
            .auth(&a)
            .json(json!({"artistId": artist, "title": value}))
            .await;
        assert_refused(&r, "title", says);
        let r = app
            .patch(format!("/api/v1/albums/{album}"))
            .auth(&a)
            .json(json!({"title": value}))
            .await;
        assert_refused(&r, "title", says);
        let r = app
            .post("/api/v1/playlists")
            .auth(&a)
            .json(json!({"name": value}))
            .await;
        assert_refused(&r, "name", says);
        let r = app
            .post(api::TRACKS)
            .auth(&a)
            .json(json!({"albumId": album, "title": value, "trackUrl": "http://x/y"}))
            .await;
        assert_refused(&r, "title", says);
        let r = app
            .post("/api/v1/auth/register")
            .json(json!({
                "email": unique_email("names"), "password": "correct horse",
                "displayName": value,
            }))
            .await;
        assert_refused(&r, "displayName", says);
    }
    // Marks and joiners inside a real name stay allowed.
    let r = app
        .post("/api/v1/artists")
        .auth(&a)
        .json(json!({"name": "\u{05E9}\u{05D9}\u{05E8} \u{1F469}\u{200D}\u{1F3A4}\u{200F}"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}
