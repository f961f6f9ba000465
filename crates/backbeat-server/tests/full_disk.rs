//! A full disk under the data directory (a small tmpfs, filled while the pipeline works):
//! writes answer `507 /problems/insufficient-storage`, never `500`; `/readyz` says not ready;
//! an upload is refused before its body; and once space is back everything resumes by itself
//! — writes, readiness, and the tracks that were processing reach `ready` (their jobs wait the
//! outage out instead of using up their tries).

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;
use crate::support::{artist_with_album, fixture, path_of, processed, raw, upload};
use backbeat_store::testing::Tmpfs;

const TEST: &str = "full_disk::a_full_disk_answers_507_and_everything_resumes_once_space_is_back";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_507_and_everything_resumes_once_space_is_back() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let Some(fs) = Tmpfs::mount(TEST, dir.path(), 64 << 20) else {
        return;
    };
    // One delivery per job: a job that counted a full disk as a failed try would fail its
    // track at once; it must wait the outage out instead.
    let app = TestApp::in_dir(dir, |c| c.max_deliver = Some(1)).await;
    let user = app.user(backbeat_store::Role::Artist).await;
    let (_, album) = artist_with_album(&app, &user).await;
    // An upload slot for later, and a track whose jobs start now.
    let slot = app.get("/api/v1/tracks/upload-url").auth(&user).await;
    assert_eq!(slot.status, StatusCode::OK, "{}", slot.text());
    let slot = slot.json();
    let first = upload(&app, &user, fixture("chord.mp3"), None).await;
    let r = app
        .post("/api/v1/tracks")
        .auth(&user)
        .json(json!({"albumId": album, "title": "Before", "trackUrl": first["trackUrl"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let before = r.json()["id"].as_str().expect("track id").to_string();

    let filler = fs.fill();

    let ready = app.get("/readyz").await;
    ready.assert_problem(StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.header("retry-after").is_some());

    let audio = fixture("chord.mp3");
    let len = audio.len().to_string();
    let uri = path_of(slot["uploadUrl"].as_str().expect("uploadUrl"));
    let put = raw(
        &app,
        Method::PUT,
        &uri,
        &[("content-length", &len)],
        audio.clone(),
    )
    .await;
    let p = put.assert_problem(StatusCode::INSUFFICIENT_STORAGE);
    assert_eq!(p["type"], "/problems/insufficient-storage", "{p}");

    // A metadata write may still fit in the database's write-ahead log; if not, it is a 507.
    for i in 0..20 {
        let r = app
            .post("/api/v1/artists")
            .auth(&user)
            .json(json!({"name": format!("Artist {i} {}", "x".repeat(180))}))
            .await;
        if r.status != StatusCode::CREATED {
            let p = r.assert_problem(StatusCode::INSUFFICIENT_STORAGE);
            assert_eq!(p["type"], "/problems/insufficient-storage", "{p}");
        }
    }
    // Let the pipeline run into the full disk for a while.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;

    filler.free();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.get("/readyz").await.status != StatusCode::OK {
        assert!(
            std::time::Instant::now() < deadline,
            "not ready 30 s after space came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let put = raw(&app, Method::PUT, &uri, &[("content-length", &len)], audio).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let r = app
        .post("/api/v1/tracks")
        .auth(&user)
        .json(json!({"albumId": album, "title": "After", "trackUrl": slot["trackUrl"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let after = r.json()["id"].as_str().expect("track id").to_string();
    for id in [before, after] {
        let jobs = processed(&app, &user, &id).await;
        assert_eq!(jobs["status"], "ready", "track {id}: {jobs:#}");
    }
    drop(app);
    drop(fs);
}
