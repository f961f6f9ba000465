//! Cost limits and per-account quotas over HTTP: audio refused by its decoded size before any
//! processing, the track and processing quotas with their problems, and `GET
//! /api/v1/users/me/quota`.

use axum::http::StatusCode;
use backbeat_store::Role;

use crate::common::TestApp;
use crate::protocol as api;
use crate::support::{artist_with_album, blob_files, create_track, fixture, upload_check_copies};

const QUOTA: &str = "/api/v1/users/me/quota";

#[tokio::test]
async fn audio_over_its_decoded_size_is_refused_naming_the_limit() {
    // chord.flac: 2 s of stereo at 44.1 kHz, 176,400 decoded samples, 40 kB.
    let app = TestApp::with_config(|c| c.catalog.max_decoded_samples = 100_000).await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let r = create_track(&app, &artist, &album, "big", fixture("chord.flac")).await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["type"], "/problems/audio-limit");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("max_decoded_samples = 100000"), "{detail}");
    assert!(blob_files(&app).is_empty(), "left {:?}", blob_files(&app));
    assert_eq!(upload_check_copies(&app), Vec::<String>::new());

    let app = TestApp::with_config(|c| c.catalog.max_channels = 1).await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let r = create_track(&app, &artist, &album, "stereo", fixture("chord.flac")).await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p["detail"].as_str().unwrap().contains("max_channels"),
        "{p}"
    );
}

#[tokio::test]
async fn quota_requires_auth_and_shows_usage_and_limits() {
    let app = TestApp::new().await;
    app.get(QUOTA)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let r = create_track(&app, &artist, &album, "one", fixture("chord.flac")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let bytes = fixture("chord.flac").len() as i64;
    let r = app.get(QUOTA).auth(&artist).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let q = r.json();
    assert_eq!(q["tracks"]["used"], 1);
    assert_eq!(q["tracks"]["limit"], 10_000);
    assert_eq!(q["storedBytes"]["used"], bytes);
    assert_eq!(q["processingSecondsToday"]["used"], 2);
    assert_eq!(q["processingSecondsToday"]["limit"], 24 * 3600);
    assert!(q["processingResetsAt"].as_str().unwrap().ends_with('Z'));
    // Exempt admins see no limits.
    let admin = app.user(Role::Admin).await;
    let q = app.get(QUOTA).auth(&admin).await.json();
    assert!(q["tracks"]["limit"].is_null(), "{q}");
}

#[tokio::test]
async fn the_track_quota_is_a_hard_403_until_a_track_is_deleted() {
    let app = TestApp::with_config(|c| c.catalog.quota.max_tracks = Some(1)).await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let r = create_track(&app, &artist, &album, "one", fixture("chord.flac")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let first = r.json()["id"].as_str().unwrap().to_string();
    let r = create_track(&app, &artist, &album, "two", fixture("chord.flac")).await;
    let p = r.assert_problem(StatusCode::FORBIDDEN);
    assert_eq!(p["type"], "/problems/quota-exceeded");
    assert!(
        p["detail"].as_str().unwrap().contains("1 of its 1 tracks"),
        "{p}"
    );
    // Deleting gives the track back.
    let r = app.delete(api::track(&first)).auth(&artist).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        app.get(QUOTA).auth(&artist).await.json()["tracks"]["used"],
        0
    );
    let r = create_track(&app, &artist, &album, "two", fixture("chord.flac")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Admins are exempt by default.
    let admin = app.user(Role::Admin).await;
    let (_, theirs) = artist_with_album(&app, &admin).await;
    for title in ["a", "b"] {
        let r = create_track(&app, &admin, &theirs, title, fixture("chord.flac")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
}

#[tokio::test]
async fn the_processing_quota_is_a_429_with_retry_after() {
    // Room for one 2-second track a day.
    let app = TestApp::with_config(|c| c.catalog.quota.max_processing_s_per_day = Some(3)).await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let r = create_track(&app, &artist, &album, "one", fixture("chord.flac")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = create_track(&app, &artist, &album, "two", fixture("chord.flac")).await;
    let p = r.assert_problem(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(p["type"], "/problems/rate-quota-exceeded");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    // Nothing was charged for the refused upload.
    let q = app.get(QUOTA).auth(&artist).await.json();
    assert_eq!(
        (
            q["tracks"]["used"].clone(),
            q["processingSecondsToday"]["used"].clone()
        ),
        (1.into(), 2.into())
    );
}

/// `seconds` of a quiet tone as FLAC (mono, 8 kHz), made by ffmpeg.
fn long_flac(seconds: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.flac");
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!(
            "sine=frequency=440:sample_rate=8000:duration={seconds}"
        ))
        .args(["-af", "volume=0.1", "-c:a", "flac", "-y"])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    std::fs::read(&path).unwrap()
}

#[tokio::test]
async fn a_long_upload_is_checked_by_sampling_its_start_and_end() {
    let app = TestApp::with_config(|c| c.workers = false).await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let flac = long_flac(1_200);
    // The end was read (seeked to, not decoded through): the duration is the whole file's.
    let r = create_track(&app, &artist, &album, "long", flac.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let ms = r.json()["audio"]["durationMs"].as_i64().unwrap();
    assert!((ms - 1_200_000).abs() < 50, "{ms}");
    // A copy cut short is still refused from its header's duration.
    let cut = flac[..flac.len() * 2 / 3].to_vec();
    let r = create_track(&app, &artist, &album, "cut", cut).await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap().contains("truncated"), "{p}");
}
