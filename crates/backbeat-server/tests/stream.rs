//! `GET /api/v1/tracks/{id}/stream`: the ladder's URLs and how its files are served (types,
//! caching, ranges, CORS), and on-demand progressive transcodes. Real ffmpeg; without it the
//! tests print `SKIP` unless `BACKBEAT_REQUIRE_TOOLS=1`.

use axum::http::{Method, StatusCode};
use backbeat_store::testing::have_tools;
use backbeat_store::Role;
use serde_json::Value;

use crate::common::{TestApp, TestUser};
use crate::support::{artist_with_album, path_of, raw, track};

/// A ready track (its ladder made) and its owner.
async fn ready_track() -> (TestApp, TestUser, String) {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let id = track(&app, &a, &album).await;
    (app, a, id)
}

async fn document(app: &TestApp, user: &TestUser, id: &str, query: &str) -> Value {
    let r = app
        .get(format!("/api/v1/tracks/{id}/stream{query}"))
        .auth(user)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn the_ladder_is_served_with_its_types_caching_ranges_and_cors() {
    if !have_tools(&["ffmpeg"]) {
        return;
    }
    let (app, a, id) = ready_track().await;
    let doc = document(&app, &a, &id, "").await;
    let hls = path_of(doc["hlsUrl"].as_str().expect("hlsUrl"));
    let dash = path_of(doc["dashUrl"].as_str().expect("dashUrl"));
    assert!(doc["loudness"]["gainDb"].is_f64(), "{doc}");
    assert_eq!(doc["loudness"]["targetLufs"], -14.0);
    assert!(!doc["renditions"].as_array().unwrap().is_empty(), "{doc}");
    assert_eq!(doc["normalized"], false);

    let master = raw(&app, Method::GET, &hls, &[], vec![]).await;
    assert_eq!(master.status, StatusCode::OK);
    assert_eq!(
        master.headers["content-type"],
        "application/vnd.apple.mpegurl"
    );
    assert_eq!(master.headers["cache-control"], "public, max-age=60");
    assert_eq!(master.headers["access-control-allow-origin"], "*");
    let text = String::from_utf8(master.body.to_vec()).unwrap();
    assert!(text.starts_with("#EXTM3U"), "{text}");
    let mpd = raw(&app, Method::HEAD, &dash, &[], vec![]).await;
    assert_eq!(mpd.status, StatusCode::OK);
    assert_eq!(mpd.headers["content-type"], "application/dash+xml");

    // A media playlist, then its init and first segment: immutable, ranged, typed.
    let dir = &hls[..hls.rfind('/').unwrap() + 1];
    let media = text
        .lines()
        .find(|l| l.ends_with(".m3u8"))
        .expect("a variant");
    let playlist = raw(&app, Method::GET, &format!("{dir}{media}"), &[], vec![]).await;
    let playlist = String::from_utf8(playlist.body.to_vec()).unwrap();
    let init = playlist
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-MAP:URI=\""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("EXT-X-MAP");
    let segment = playlist
        .lines()
        .find(|l| l.ends_with(".m4s"))
        .expect("a segment");
    for file in [init, segment] {
        let url = format!("{dir}{file}");
        let r = raw(&app, Method::GET, &url, &[], vec![]).await;
        assert_eq!(r.status, StatusCode::OK, "{url}");
        assert_eq!(r.headers["content-type"], "audio/mp4");
        assert_eq!(
            r.headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = r.headers["etag"].to_str().unwrap().to_string();
        let part = raw(&app, Method::GET, &url, &[("range", "bytes=4-11")], vec![]).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.body.as_ref(), &r.body[4..12]);
        let again = raw(&app, Method::GET, &url, &[("if-none-match", &etag)], vec![]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    }
    // A PUT through a ladder grant is refused (grants are read-only).
    let put = raw(&app, Method::PUT, &hls, &[], b"#EXTM3U".to_vec()).await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn on_demand_transcodes_stream_then_come_from_the_cache_with_ranges() {
    if !have_tools(&["ffmpeg"]) {
        return;
    }
    let (app, a, id) = ready_track().await;
    let url = format!("/api/v1/tracks/{id}/stream?format=mp3&bitrate=128");
    let first = app.get(&url).auth(&a).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.header("content-type"), Some("audio/mpeg"));
    assert!(first.body.len() > 1000);
    assert_eq!(&first.body[..3], b"ID3", "an MP3 with its tags");
    // Complete now: from the cache, with a length and ranges.
    let second = app.get(&url).auth(&a).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body, first.body);
    assert_eq!(
        second.header("content-length"),
        Some(first.body.len().to_string().as_str())
    );
    let part = app.get(&url).auth(&a).header("range", "bytes=10-19").await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body.as_ref(), &first.body[10..20]);
    // Normalised audio is another entry; so is Opus.
    let n = app.get(format!("{url}&normalize=true")).auth(&a).await;
    assert_eq!(n.status, StatusCode::OK);
    assert_ne!(n.body, first.body);
    let o = app
        .get(format!("/api/v1/tracks/{id}/stream?format=opus"))
        .auth(&a)
        .await;
    assert_eq!(o.status, StatusCode::OK);
    assert_eq!(o.header("content-type"), Some("audio/ogg"));
    assert_eq!(&o.body[..4], b"OggS");
}

#[tokio::test]
async fn bad_on_demand_requests_are_refused_with_the_reason() {
    if !have_tools(&["ffmpeg"]) {
        return;
    }
    let (app, a, id) = ready_track().await;
    let r = app
        .get(format!("/api/v1/tracks/{id}/stream?format=wav"))
        .auth(&a)
        .await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.to_string().contains("mp3, opus, aac"), "{p}");
    let r = app
        .get(format!(
            "/api/v1/tracks/{id}/stream?format=mp3&bitrate=1000"
        ))
        .auth(&a)
        .await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.to_string().contains("320"), "{p}");
    let r = app
        .get(format!("/api/v1/tracks/{id}/stream?format=mp3&bitrate=-5"))
        .auth(&a)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = app
        .get(format!("/api/v1/tracks/{id}/stream?bitrate=128"))
        .auth(&a)
        .await;
    let p = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.to_string().contains("format"), "{p}");
    // Unauthenticated: 401, as for the document.
    let r = app
        .get(format!("/api/v1/tracks/{id}/stream?format=mp3"))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
