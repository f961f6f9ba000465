//! An upload still under way when its slot is claimed (a track created from it, or the audio
//! replaced with it) or when that track is deleted: it must not land. The track keeps the
//! bytes it was checked on, nothing is left in the store, and the late PUT gets a 409.

use axum::http::{Method, StatusCode};
use backbeat_store::Role;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::common::{TestApp, TestResponse, TestUser};
use crate::protocol as api;
use crate::support::{
    artist_with_album, audio_blobs, blob_files, fixture, path_of, processed, raw, upload, SlowPut,
};

/// Asserts the answer a PUT to a used-up slot gets.
#[track_caller]
fn assert_used_up(r: &TestResponse) {
    let p = r.assert_problem(StatusCode::CONFLICT);
    assert_eq!(p["type"], "/problems/conflict", "{p}");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already used by a track")),
        "{p}"
    );
}

/// The bytes the track's stream serves, and their media type.
async fn streamed(app: &TestApp, user: &TestUser, id: &str) -> (Option<String>, Bytes) {
    let r = app.get(api::track_stream(id)).auth(user).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let url = path_of(r.json()["trackUrl"].as_str().expect("trackUrl"));
    let r = raw(app, Method::GET, &url, &[], vec![]).await;
    assert_eq!(r.status, StatusCode::OK);
    (r.header("content-type").map(str::to_string), r.body)
}

/// Begins a PUT of something that is not audio to `slot`'s upload URL, and leaves it under way.
async fn begin_late_put(app: &TestApp, slot: &Value, part: usize) -> SlowPut {
    let put = path_of(slot["uploadUrl"].as_str().expect("uploadUrl"));
    let junk = |b: u8| Bytes::from([&b"NOT AUDIO "[..], &vec![b; part]].concat());
    SlowPut::begin(app, &put, junk(b'x'), junk(b'y')).await
}

#[tokio::test]
async fn an_upload_that_ends_after_the_claim_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let mp3 = fixture("chord.mp3");
    let slot = upload(&app, &a, mp3.clone(), None).await;
    let late = begin_late_put(&app, &slot, 4096).await;
    let r = app
        .post(api::TRACKS)
        .auth(&a)
        .json(json!({"albumId": album, "title": "A", "trackUrl": slot["trackUrl"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    assert_used_up(&late.finish(Bytes::from_static(b" the end")).await);
    let jobs = processed(&app, &a, &id).await;
    assert_eq!(jobs["status"], "ready", "{jobs:#}");
    let (kind, bytes) = streamed(&app, &a, &id).await;
    assert_eq!(kind.as_deref(), Some("audio/mpeg"));
    assert!(
        bytes == mp3,
        "the stream serves other bytes than the checked upload"
    );
    assert_eq!(audio_blobs(&app).len(), 1, "{:?}", blob_files(&app));

    // Replacing the audio: the same race through an update URL.
    let flac = fixture("chord.flac");
    let slot = upload(&app, &a, flac.clone(), Some(&id)).await;
    let late = begin_late_put(&app, &slot, 4096).await;
    let r = app
        .patch(api::track(&id))
        .auth(&a)
        .json(json!({"trackUrl": slot["trackUrl"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_used_up(&late.finish(Bytes::from_static(b" the end")).await);
    let jobs = processed(&app, &a, &id).await;
    assert_eq!(jobs["status"], "ready", "{jobs:#}");
    let (kind, bytes) = streamed(&app, &a, &id).await;
    assert_eq!(kind.as_deref(), Some("audio/flac"));
    assert!(
        bytes == flac,
        "the stream serves other bytes than the checked upload"
    );
    assert_eq!(audio_blobs(&app).len(), 1, "{:?}", blob_files(&app));
}

#[tokio::test]
async fn an_upload_that_ends_after_the_track_is_deleted_leaves_nothing() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let slot = upload(&app, &a, fixture("chord.mp3"), None).await;
    // Over one part (1 MiB): the late body is staged as a multipart upload.
    let late = begin_late_put(&app, &slot, 1 << 20).await;
    let r = app
        .post(api::TRACKS)
        .auth(&a)
        .json(json!({"albumId": album, "title": "A", "trackUrl": slot["trackUrl"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    processed(&app, &a, &id).await;
    let r = app.delete(api::track(&id)).auth(&a).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_used_up(&late.finish(Bytes::from(vec![b'z'; 1 << 20])).await);
    assert!(blob_files(&app).is_empty(), "{:?}", blob_files(&app));
}
