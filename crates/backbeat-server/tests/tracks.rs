//! The track flow: upload URL → PUT → create (probe) → read → change → stream → delete, with
//! every refusal the issue lists, and checks that refused or deleted audio leaves nothing.

use axum::http::{Method, StatusCode};
use backbeat_store::Role;
use futures_util::FutureExt as _;
use serde_json::json;

use crate::common::TestApp;
use crate::protocol as api;
use crate::support::{
    artist_with_album, audio_blobs, blob_files, create_track, derived, fixture, path_of, processed,
    raw, track, upload, upload_check_copies,
};

#[tokio::test]
async fn upload_url_requires_auth_and_an_artist() {
    let app = TestApp::new().await;
    let r = app.get(api::UPLOAD_URL).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let listener = app.user(Role::Listener).await;
    let r = app.get(api::UPLOAD_URL).auth(&listener).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let artist = app.user(Role::Artist).await;
    let r = app.get(api::UPLOAD_URL).auth(&artist).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let url = v["uploadUrl"].as_str().unwrap();
    assert!(
        url.contains("/blobs/audio/") && url.contains("sig=") && url.contains("max="),
        "{url}"
    );
    assert!(v["trackUrl"]
        .as_str()
        .unwrap()
        .ends_with(&url[url.find("/blobs/").unwrap()..url.find('?').unwrap()]));
    assert!(v["maxBytes"].as_u64().unwrap() > 0);
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn every_fixture_format_becomes_a_ready_track() {
    let app = TestApp::new().await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    for (file, codec) in [
        ("chord.mp3", "mp3"),
        ("chord.flac", "flac"),
        ("chord_s16.wav", "pcm_s16le"),
        ("chord.ogg", "vorbis"),
        ("chord.opus", "opus"),
        ("chord_aac.m4a", "aac"),
        ("chord_alac.m4a", "alac"),
    ] {
        let r = create_track(&app, &artist, &album, file, fixture(file)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{file}: {}", r.text());
        assert_eq!(upload_check_copies(&app), Vec::<String>::new(), "{file}");
        let t = r.json();
        // Probed (it decodes), then processed by the pipeline, which makes it ready.
        assert_eq!(t["status"], "processing", "{file}");
        assert_eq!(t["audio"]["codec"], codec, "{file}");
        let ms = t["audio"]["durationMs"].as_i64().unwrap();
        assert!((1900..=2100).contains(&ms), "{file}: {ms} ms");
        assert!(r.headers.contains_key("location"));
        let id = t["id"].as_str().unwrap();
        let uri = api::track(id);
        // Read once while processing, so the status below comes past a cached copy.
        let cached = app.get(&uri).auth(&artist).await;
        assert_eq!(cached.status, StatusCode::OK);
        let jobs = processed(&app, &artist, id).await;
        assert_eq!(jobs["status"], "ready", "{file}: {jobs:#}");
        let names: Vec<&str> = jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["job"].as_str().unwrap())
            .collect();
        // Parents before children.
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert_eq!(names.len(), 7, "{names:?}");
        assert!(at("downsample") < at("peaks"), "{names:?}");
        assert!(
            at("downsample") < at("analyze")
                && at("analyze") < at("summary")
                && at("downsample") < at("transcode"),
            "{names:?}"
        );
        assert!(
            at("downsample") < at("tag") && at("tag") < at("summary"),
            "{names:?}"
        );
        assert!(at("probe") < at("summary"), "{names:?}");
        for j in jobs["jobs"].as_array().unwrap() {
            assert_eq!(j["state"], "done", "{file}: {jobs:#}");
            assert_eq!(
                (j["attempts"].as_u64(), j["completions"].as_u64()),
                (Some(1), Some(1))
            );
            assert!(j["error"].is_null(), "{file}: {jobs:#}");
        }
        let now = app.get(&uri).auth(&artist).await;
        assert_eq!(
            now.json()["status"],
            "ready",
            "{file}: the cache kept the old status"
        );
        let a = app.get(format!("{uri}/analysis")).auth(&artist).await;
        assert_eq!(a.status, StatusCode::OK, "{file}: {}", a.text());
        let a = a.json();
        assert_eq!(a["key"], "C major", "{file}: {a:#}");
        assert!(a["loudnessLufs"].as_f64().unwrap() < 0.0, "{file}: {a:#}");
        assert!(a["analysis"]["rhythm"].is_object(), "{file}: {a:#}");
        // Tagged in the same run: raw probabilities and the embedding in the analysis, the
        // grouped tags (at least the vocals verdict) as rows.
        let tags = &a["analysis"]["tags"];
        assert_eq!(
            tags["raw"]["MTT_musicnn"].as_array().map(Vec::len),
            Some(50),
            "{file}"
        );
        assert_eq!(
            tags["embedding"].as_array().map(Vec::len),
            Some(400),
            "{file}"
        );
        assert!(
            a["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["group"] == "vocals"),
            "{file}: {a:#}"
        );
        waveform_is_served_by_range(&app, &artist, id, ms).await;
    }
}

/// The track's peaks: the documented header, and any window by one range request.
async fn waveform_is_served_by_range(
    app: &TestApp,
    user: &crate::common::TestUser,
    id: &str,
    duration_ms: i64,
) {
    use backbeat_audio::peaks::Peaks;
    let r = app
        .get(format!("{}/peaks", api::track(id)))
        .auth(user)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["sampleRate"], 22_050, "{doc}");
    assert_eq!(doc["samplesPerPixel"], 256, "{doc}");
    let pixels = doc["pixels"].as_u64().unwrap();
    let expected = (duration_ms as f64 / 1000.0 * 22_050.0 / 256.0).ceil() as u64;
    assert!(pixels.abs_diff(expected) <= 2, "{pixels} vs {expected}");
    assert_eq!(doc["bytes"].as_u64().unwrap(), 20 + 4 * pixels);
    let url = crate::support::path_of(doc["url"].as_str().unwrap());
    let whole = app.get(&url).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text());
    let peaks = Peaks::from_dat(&whole.body).expect("a .dat file");
    assert_eq!(peaks.len() as u64, pixels);
    // The fixtures are a loud chord: the middle pixels swing well both ways.
    let (lo, hi) = peaks.pixel(pixels as usize / 2).unwrap();
    assert!(lo < -3000 && hi > 3000, "{lo} {hi}");
    // Pixels 10 and 11 alone, as a player scrolled to them fetches them.
    let part = app.get(&url).header("range", "bytes=60-67").await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&part.body[..], &whole.body[60..68]);
    // The overview: the whole track in at most `pixels` pixels, each the extremes of a whole
    // number of stored ones.
    let overview = |q: &str| {
        app.get(format!("{}/peaks/overview{q}", api::track(id)))
            .auth(user)
    };
    let small = overview("?pixels=7").await;
    assert_eq!(small.status, StatusCode::OK, "{}", small.text());
    assert_eq!(
        small.header("content-type"),
        Some("application/octet-stream")
    );
    let small = Peaks::from_dat(&small.body).expect("a .dat overview");
    let k = (pixels as usize).div_ceil(7);
    assert_eq!(small.samples_per_pixel as usize, 256 * k);
    assert!(small.len() <= 7 && small.len() >= 6, "{}", small.len());
    for (i, chunk) in peaks.data.chunks(2 * k).enumerate() {
        let lo = chunk.iter().step_by(2).min().copied().unwrap();
        let hi = chunk.iter().skip(1).step_by(2).max().copied().unwrap();
        assert_eq!(small.pixel(i), Some((lo, hi)), "overview pixel {i}");
    }
    let default = Peaks::from_dat(&overview("").await.body).expect("the default overview");
    assert!(default.len() <= 1024 && default.len() as u64 >= pixels.min(1024) / 2);
    for bad in ["?pixels=0", "?pixels=4097", "?pixels=18446744073709551615"] {
        let p = overview(bad)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], "pixels", "{bad}: {p}");
    }
    for bad in [
        "?pixels=-1",
        "?pixels=abc",
        "?pixels=99999999999999999999999",
    ] {
        overview(bad).await.assert_problem(StatusCode::BAD_REQUEST);
    }
    let unknown = app
        .get(format!(
            "{}/peaks",
            api::track(uuid::Uuid::new_v4().to_string())
        ))
        .auth(user)
        .await;
    unknown.assert_problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn processing_state_is_for_owners_and_analysis_for_everyone_signed_in() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let b = app.user(Role::Artist).await;
    let l = app.user(Role::Listener).await;
    let admin = app.user(Role::Admin).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let id = track(&app, &a, &album).await;
    let jobs = api::track_jobs(&id);
    let analysis = api::track_analysis(&id);
    assert_eq!(app.get(&jobs).await.status, StatusCode::UNAUTHORIZED);
    for (who, expect) in [
        (&b, StatusCode::FORBIDDEN),
        (&l, StatusCode::FORBIDDEN),
        (&admin, StatusCode::OK),
    ] {
        assert_eq!(app.get(&jobs).auth(who).await.status, expect);
    }
    assert_eq!(app.get(&analysis).await.status, StatusCode::UNAUTHORIZED);
    for who in [&a, &b, &l, &admin] {
        assert_eq!(app.get(&analysis).auth(who).await.status, StatusCode::OK);
    }
    let missing = uuid::Uuid::new_v4();
    for uri in [api::track_jobs(missing), api::track_analysis(missing)] {
        assert_eq!(
            app.get(&uri).auth(&admin).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        app.get("/api/v1/tracks/not-a-uuid/jobs")
            .auth(&a)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A job that fails for good fails the track, with the job's own words as the reason; the
/// other tracks are not held up.
#[tokio::test]
async fn a_failing_job_fails_the_track_with_its_reason() {
    let jobs_toml = r#"
[[job]]
name = "picky"
version = 1
inputs = ["probe.probe.json"]
outputs = ["verdict.txt"]
command = ["sh", "-c", "echo 'picky: refusing this track' >&2; exit 1"]
timeout_secs = 30
"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jobs.toml");
    std::fs::write(&file, jobs_toml).unwrap();
    let app = TestApp::with_config(|c| c.jobs_file = Some(file)).await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let r = create_track(&app, &a, &album, "Refused", fixture("chord.flac")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let jobs = processed(&app, &a, &id).await;
    assert_eq!(jobs["status"], "failed", "{jobs:#}");
    let picky = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "picky")
        .expect("the external job is listed");
    assert_eq!(picky["state"], "failed", "{jobs:#}");
    assert!(
        picky["error"]
            .as_str()
            .unwrap()
            .contains("picky: refusing this track"),
        "{jobs:#}"
    );
    let r = app.get(api::track(&id)).auth(&a).await;
    assert_eq!(r.json()["status"], "failed");
}

#[tokio::test]
async fn read_serves_etag_and_not_modified() {
    let app = TestApp::new().await;
    let artist = app.user(Role::Artist).await;
    let listener = app.user(Role::Listener).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let id = track(&app, &artist, &album).await;
    let uri = api::track(&id);
    assert_eq!(app.get(&uri).await.status, StatusCode::UNAUTHORIZED);
    let r = app.get(&uri).auth(&listener).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["title"], "Chord Study");
    assert_eq!(r.json()["albumId"], album.as_str());
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    let r = app
        .get(&uri)
        .auth(&listener)
        .header("if-none-match", &etag)
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    // Unknown and malformed ids.
    let r = app
        .get("/api/v1/tracks/0190f5a0-0000-7000-8000-000000000000")
        .auth(&listener)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/tracks/not-a-uuid").auth(&listener).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A change is visible at once (the cache is invalidated on write).
    let r = app
        .patch(&uri)
        .auth(&artist)
        .json(json!({"title": "  Renamed  "}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app.get(&uri).auth(&listener).await;
    assert_eq!(r.json()["title"], "Renamed");
    assert_ne!(r.headers["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn non_audio_empty_and_truncated_uploads_get_422_and_leave_nothing() {
    let app = TestApp::new().await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let mp3 = fixture("chord.mp3");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text",
            b"this is not audio, it is a shopping list\n".repeat(50),
            "not a recognised audio file",
        ),
        ("empty", Vec::new(), "empty"),
        ("truncated mp3", mp3[..mp3.len() / 2].to_vec(), "truncated"),
        (
            "png header",
            [&b"\x89PNG\r\n\x1a\n"[..], &[0u8; 2000][..]].concat(),
            "not a recognised audio file",
        ),
    ];
    for (name, bytes, expect) in cases {
        let r = create_track(&app, &artist, &album, name, bytes).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.text()
        );
        assert_eq!(r.headers["content-type"], "application/problem+json");
        let detail = r.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        assert!(detail.contains(expect), "{name}: {detail}");
        assert!(
            blob_files(&app).is_empty(),
            "{name}: left {:?}",
            blob_files(&app)
        );
        assert_eq!(upload_check_copies(&app), Vec::<String>::new(), "{name}");
    }
    let r = app.get(api::album_tracks(&album)).auth(&artist).await;
    assert_eq!(r.json()["total"], 0);
}

#[tokio::test]
async fn create_refuses_bad_fields_and_other_peoples_things() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let b = app.user(Role::Artist).await;
    let (_, album_a) = artist_with_album(&app, &a).await;
    let (_, album_b) = artist_with_album(&app, &b).await;
    let slot = upload(&app, &a, fixture("chord.mp3"), None).await;
    let url = slot["trackUrl"].clone();
    let post = |body: serde_json::Value, token: String| {
        let app = &app;
        async move { app.post(api::TRACKS).token(&token).json(body).await }
    };
    // Missing fields, wrong types, unknown fields: 400.
    for body in [
        json!({"title": "x", "trackUrl": url}),
        json!({"albumId": 5, "title": "x", "trackUrl": url}),
        json!({"albumId": album_a, "title": "x", "trackUrl": url, "extra": 1}),
        json!([]),
    ] {
        assert_eq!(
            post(body.clone(), a.token.clone()).await.status,
            StatusCode::BAD_REQUEST,
            "{body}"
        );
    }
    // Invalid values: 422 naming the field.
    for (body, field) in [
        (
            json!({"albumId": album_a, "title": "   ", "trackUrl": url}),
            "title",
        ),
        (
            json!({"albumId": album_a, "title": "x".repeat(201), "trackUrl": url}),
            "title",
        ),
        (
            json!({"albumId": album_a, "title": "x", "trackUrl": "http://elsewhere.example/blobs/audio/x"}),
            "trackUrl",
        ),
        (
            json!({"albumId": album_a, "title": "x", "trackUrl": format!("{}/../../etc/passwd", url.as_str().unwrap())}),
            "trackUrl",
        ),
        (
            json!({"albumId": "0190f5a0-0000-7000-8000-000000000000", "title": "x", "trackUrl": url}),
            "albumId",
        ),
    ] {
        let r = post(body, a.token.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text()
        );
        assert_eq!(r.json()["errors"][0]["field"], field);
    }
    // Someone else's album: 403. Someone else's upload: 422 (it is not theirs to name).
    let r = post(
        json!({"albumId": album_b, "title": "x", "trackUrl": url}),
        a.token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post(
        json!({"albumId": album_b, "title": "x", "trackUrl": url}),
        b.token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The golden path, then the same upload again: already used.
    let r = post(
        json!({"albumId": album_a, "title": "x", "trackUrl": url}),
        a.token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = post(
        json!({"albumId": album_a, "title": "y", "trackUrl": url}),
        a.token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A slot nothing was uploaded to.
    let r = app.get(api::UPLOAD_URL).auth(&a).await;
    let empty = r.json()["trackUrl"].clone();
    let r = post(
        json!({"albumId": album_a, "title": "x", "trackUrl": empty}),
        a.token.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("nothing has been uploaded"));
    // A listener cannot create tracks at all.
    let l = app.user(Role::Listener).await;
    assert_eq!(
        post(
            json!({"albumId": album_a, "title": "x", "trackUrl": url}),
            l.token
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn signed_put_refuses_oversize_tampering_and_reuse() {
    let app = TestApp::with_config(|c| c.catalog.max_upload_bytes = 40_000).await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let r = app.get(api::UPLOAD_URL).auth(&a).await;
    let slot = r.json();
    let put = path_of(slot["uploadUrl"].as_str().unwrap());
    // Declared too large: refused before reading.
    let len = 50_000.to_string();
    let r = raw(
        &app,
        Method::PUT,
        &put,
        &[("content-length", &len)],
        vec![0u8; 50_000],
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(blob_files(&app).is_empty());
    // A tampered signature or key.
    let tampered = put.replace("sig=", "sig=A");
    assert_eq!(
        raw(&app, Method::PUT, &tampered, &[], vec![1, 2, 3])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let other_key = put.replacen("/blobs/audio/", "/blobs/audio/0", 1);
    assert_eq!(
        raw(&app, Method::PUT, &other_key, &[], vec![1, 2, 3])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // After a track claims the key, the still-valid URL no longer writes.
    let small = fixture("chord_8k_mono.wav");
    assert!(small.len() <= 40_000, "fixture is {} bytes", small.len());
    assert_eq!(
        raw(&app, Method::PUT, &put, &[], small.clone())
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .post(api::TRACKS)
        .auth(&a)
        .json(json!({"albumId": album, "title": "t", "trackUrl": slot["trackUrl"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // 409, not 403: the signature is still good, the slot is used up — the same answer a PUT
    // that was already under way when the track was created gets (tests/upload_race.rs).
    let r = raw(&app, Method::PUT, &put, &[], vec![0u8; 100]).await;
    let p = r.assert_problem(StatusCode::CONFLICT);
    assert_eq!(p["type"], "/problems/conflict");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already used by a track")),
        "{p}"
    );
}

#[tokio::test]
async fn replacing_audio_deletes_the_old_blob() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let id = track(&app, &a, &album).await;
    let before = audio_blobs(&app);
    assert_eq!(before.len(), 1);
    let other = app.user(Role::Artist).await;
    let uri = api::update_url(&id);
    assert_eq!(
        app.get(&uri).auth(&other).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&uri).await.status, StatusCode::UNAUTHORIZED);
    let slot = upload(&app, &a, fixture("chord.flac"), Some(&id)).await;
    let r = app
        .patch(api::track(&id))
        .auth(&a)
        .json(json!({"trackUrl": slot["trackUrl"]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["audio"]["codec"], "flac");
    // The new audio goes through the whole graph again, though every output existed.
    assert_eq!(r.json()["status"], "processing");
    let jobs = processed(&app, &a, &id).await;
    assert_eq!(jobs["status"], "ready", "{jobs:#}");
    for j in jobs["jobs"].as_array().unwrap() {
        assert_eq!(j["state"], "done", "{jobs:#}");
        assert_eq!(j["completions"], 2, "{jobs:#}");
    }
    let probe = derived(&app, &id, "probe", "probe.json").await;
    assert!(probe.contains("\"flac\""), "{probe}");
    let after = audio_blobs(&app);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, before);
    // A refused replacement changes nothing.
    let slot = upload(&app, &a, b"not audio".to_vec(), Some(&id)).await;
    let r = app
        .patch(api::track(&id))
        .auth(&a)
        .json(json!({"trackUrl": slot["trackUrl"], "title": "new"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(api::track(&id)).auth(&a).await;
    assert_eq!(r.json()["audio"]["codec"], "flac");
    assert_eq!(r.json()["title"], "Chord Study");
    assert_eq!(audio_blobs(&app), after);
}

#[tokio::test]
async fn patch_metadata_checks_owners_of_both_albums() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let b = app.user(Role::Artist).await;
    let admin = app.user(Role::Admin).await;
    let (_, album_a) = artist_with_album(&app, &a).await;
    let (_, album_b) = artist_with_album(&app, &b).await;
    let id = track(&app, &a, &album_a).await;
    let uri = api::track(&id);
    assert_eq!(
        app.patch(&uri).json(json!({"title": "x"})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.patch(&uri)
            .auth(&b)
            .json(json!({"title": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .patch(&uri)
        .auth(&a)
        .json(json!({"albumId": album_b}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.patch(&uri).auth(&a).json(json!({"title": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .patch(&uri)
        .auth(&admin)
        .json(json!({"albumId": album_b, "title": "Moved"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["albumId"], album_b.as_str());
    // Now b owns it and a does not.
    assert_eq!(
        app.patch(&uri)
            .auth(&a)
            .json(json!({"title": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.patch(&uri)
            .auth(&b)
            .json(json!({"title": "x"}))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn stream_hands_out_a_working_signed_url() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let l = app.user(Role::Listener).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let id = track(&app, &a, &album).await;
    let uri = api::track_stream(&id);
    assert_eq!(app.get(&uri).await.status, StatusCode::UNAUTHORIZED);
    let unknown = "/api/v1/tracks/0190f5a0-0000-7000-8000-000000000000/stream";
    assert_eq!(
        app.get(unknown).auth(&l).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app.get(&uri).auth(&l).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["albumId"], album.as_str());
    assert_eq!(v["title"], "Chord Study");
    let bytes = raw(
        &app,
        Method::GET,
        &path_of(v["trackUrl"].as_str().unwrap()),
        &[],
        vec![],
    )
    .await;
    assert_eq!(bytes.status, StatusCode::OK);
    assert_eq!(bytes.body.as_ref(), fixture("chord.mp3").as_slice());
    assert_eq!(bytes.headers["content-type"], "audio/mpeg");
    // A track that is not ready streams only to its owners and admins.
    let tid = id.parse().unwrap();
    let patch = backbeat_store::TrackPatch {
        status: Some(backbeat_store::TrackStatus::Processing),
        ..Default::default()
    };
    app.state
        .catalog
        .parts()
        .stores
        .library
        .update_track(tid, patch)
        .await
        .unwrap();
    app.state.catalog.parts().cache.tracks.invalidate(&tid);
    assert_eq!(app.get(&uri).auth(&l).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&uri).auth(&a).await.status, StatusCode::OK);
}

#[tokio::test]
async fn delete_removes_metadata_blob_and_derived_artifacts() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let b = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let id = track(&app, &a, &album).await;
    // The pipeline's outputs (probe, downsample, analyze) are there next to the audio.
    let files = blob_files(&app);
    let derived = files.iter().filter(|f| f.starts_with("derived/")).count();
    assert!(derived >= 6, "{files:?}");
    assert_eq!(audio_blobs(&app).len(), 1);
    let uri = api::track(&id);
    assert_eq!(app.delete(&uri).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.delete(&uri).auth(&b).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.delete(&uri).auth(&a).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["id"], id.as_str());
    assert!(blob_files(&app).is_empty(), "{:?}", blob_files(&app));
    assert_eq!(app.get(&uri).auth(&a).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.delete(&uri).auth(&a).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app.get("/api/v1/search?q=chord").auth(&a).await;
    assert_eq!(r.json()["total"], 0, "{}", r.text());
}

#[tokio::test]
async fn unclaimed_uploads_are_collected_after_their_url_expires() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let kept = track(&app, &a, &album).await;
    upload(&app, &a, fixture("chord.mp3"), None).await;
    assert_eq!(audio_blobs(&app).len(), 2);
    let state = app.state.clone();
    // Not yet: the URL is still valid.
    state.catalog.gc().run_once().await.unwrap();
    assert_eq!(audio_blobs(&app).len(), 2);
    let later = backbeat_store::now_millis()
        + state.catalog.config().upload_url_ttl_s as i64 * 1000
        + backbeat_catalog::gc::UPLOAD_GRACE_MS
        + 1000;
    let deleted = state.catalog.gc().run_once_at(later).await.unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(audio_blobs(&app).len(), 1);
    // The claimed track's audio is untouched and still streams.
    let r = app.get(api::track_stream(&kept)).auth(&a).await;
    let bytes = raw(
        &app,
        Method::GET,
        &path_of(r.json()["trackUrl"].as_str().unwrap()),
        &[],
        vec![],
    )
    .await;
    assert_eq!(bytes.status, StatusCode::OK);
}

/// `serve` scaled out: the same live processing with the jobs on NATS JetStream (a fresh
/// stream, deleted afterwards). Skips with a notice when NATS is not reachable, unless
/// `BACKBEAT_REQUIRE_SERVICES=1`.
#[tokio::test]
async fn uploads_are_processed_through_jetstream_too() {
    let url =
        std::env::var("BACKBEAT_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let addr = url.trim_start_matches("nats://").to_string();
    let reachable = tokio::net::TcpStream::connect(&addr).await.is_ok();
    if !reachable {
        assert!(
            std::env::var("BACKBEAT_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "NATS not reachable at {url}"
        );
        println!("SKIP: uploads_are_processed_through_jetstream_too: NATS not reachable");
        return;
    }
    let stream = format!("BBTEST_SERVER_{}", uuid::Uuid::new_v4().simple());
    let body = async {
        let app = TestApp::with_config(|c| {
            c.jetstream = Some((url.clone(), stream.clone()));
        })
        .await;
        assert_eq!(app.state.catalog.pipeline().queue.kind(), "jetstream");
        let a = app.user(Role::Artist).await;
        let (_, album) = artist_with_album(&app, &a).await;
        let id = track(&app, &a, &album).await;
        let jobs = processed(&app, &a, &id).await;
        for j in jobs["jobs"].as_array().unwrap() {
            let outcome = (j["state"].as_str(), j["completions"].as_u64());
            assert_eq!(outcome, (Some("done"), Some(1)), "{jobs:#}");
        }
    };
    // The stream is deleted whether the body passed or panicked.
    let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    let q = backbeat_pipeline::queue::jetstream::JetStreamQueue::connect(
        &url,
        &stream,
        backbeat_pipeline::QueueConfig::default(),
    )
    .await
    .unwrap();
    q.delete_stream().await.unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
