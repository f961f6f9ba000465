//! Artists, albums and playlists over HTTP: requires-auth, wrong role, golden path and bad
//! input for each endpoint, pagination and sorting, and other people's resources.

use axum::http::StatusCode;
use backbeat_store::Role;
use serde_json::json;

use crate::common::TestApp;
use crate::support::{artist_with_album, track};

const UNKNOWN: &str = "0190f5a0-0000-7000-8000-000000000000";

#[tokio::test]
async fn artists_crud_and_ownership() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let b = app.user(Role::Artist).await;
    let l = app.user(Role::Listener).await;
    let admin = app.user(Role::Admin).await;
    let body = json!({"name": "  Nova  "});
    assert_eq!(
        app.post("/api/v1/artists").json(body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/v1/artists")
            .auth(&l)
            .json(body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app.post("/api/v1/artists").auth(&a).json(body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json();
    assert_eq!(v["name"], "Nova");
    assert_eq!(v["owners"], json!([a.id.to_string()]));
    assert!(v["createdAt"].as_str().unwrap().ends_with('Z'));
    let uri = format!("/api/v1/artists/{}", v["id"].as_str().unwrap());
    // Bad input.
    for bad in [
        json!({}),
        json!({"name": 5}),
        json!({"name": "x", "genre": "pop"}),
    ] {
        assert_eq!(
            app.post("/api/v1/artists").auth(&a).json(bad).await.status,
            StatusCode::BAD_REQUEST
        );
    }
    for bad in [
        json!({"name": ""}),
        json!({"name": "n".repeat(201)}),
        json!({"name": "a\u{0000}b"}),
    ] {
        let r = app.post("/api/v1/artists").auth(&a).json(bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "name");
    }
    // Reads: any signed-in user; unknown ids 404.
    assert_eq!(app.get(&uri).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&uri).auth(&l).await.status, StatusCode::OK);
    let r = app.get(format!("/api/v1/artists/{UNKNOWN}")).auth(&l).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Changes: owners and admins only.
    let rename = json!({"name": "Nova Ensemble"});
    assert_eq!(
        app.patch(&uri).auth(&b).json(rename.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.patch(&uri).auth(&l).json(rename.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.patch(&uri).auth(&a).json(rename).await;
    assert_eq!(r.json()["name"], "Nova Ensemble");
    // Owners: add b, then b may change it; the last owner cannot leave.
    let owners = format!("{uri}/owners");
    assert_eq!(
        app.post(&owners)
            .auth(&b)
            .json(json!({"userId": b.id}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post(&owners)
        .auth(&a)
        .json(json!({"userId": UNKNOWN}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(&owners)
        .auth(&a)
        .json(json!({"userId": b.id}))
        .await;
    assert_eq!(r.json()["owners"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.patch(&uri)
            .auth(&b)
            .json(json!({"name": "B"}))
            .await
            .status,
        StatusCode::OK
    );
    let r = app.delete(format!("{owners}/{}", a.id)).auth(&b).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.delete(format!("{owners}/{}", b.id)).auth(&b).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Delete: admin may; then it is gone.
    assert_eq!(
        app.delete(&uri).auth(&a).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.delete(&uri).auth(&admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.get(&uri).auth(&l).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_an_artist_takes_albums_tracks_and_audio() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (artist, album) = artist_with_album(&app, &a).await;
    let t = track(&app, &a, &album).await;
    assert_eq!(crate::support::audio_blobs(&app).len(), 1);
    let r = app
        .delete(format!("/api/v1/artists/{artist}"))
        .auth(&a)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(crate::support::blob_files(&app).is_empty());
    assert_eq!(
        app.get(format!("/api/v1/albums/{album}"))
            .auth(&a)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(format!("/api/v1/tracks/{t}")).auth(&a).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn albums_crud_checks_the_artist_owner() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let b = app.user(Role::Artist).await;
    let l = app.user(Role::Listener).await;
    let (artist, album) = artist_with_album(&app, &a).await;
    let new = json!({"artistId": artist, "title": "Second", "kind": "ep", "releaseYear": 2024});
    assert_eq!(
        app.post("/api/v1/albums").json(new.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/v1/albums")
            .auth(&l)
            .json(new.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/v1/albums")
            .auth(&b)
            .json(new.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app.post("/api/v1/albums").auth(&a).json(new).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["kind"], "ep");
    assert_eq!(r.json()["releaseYear"], 2024);
    for (bad, status) in [
        (
            json!({"artistId": artist, "title": "x", "kind": "boxset"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"artistId": "nope", "title": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"artistId": artist, "title": "x", "releaseYear": 99999}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"artistId": UNKNOWN, "title": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"artistId": artist, "title": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = app.post("/api/v1/albums").auth(&a).json(bad.clone()).await;
        assert_eq!(r.status, status, "{bad}: {}", r.text());
    }
    let uri = format!("/api/v1/albums/{album}");
    assert_eq!(app.get(&uri).auth(&l).await.json()["title"], "First Light");
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
        .json(json!({"releaseYear": 2020, "kind": "single"}))
        .await;
    assert_eq!(r.json()["releaseYear"], 2020);
    assert_eq!(r.json()["title"], "First Light");
    let r = app
        .patch(&uri)
        .auth(&a)
        .json(json!({"releaseYear": null}))
        .await;
    assert!(r.json()["releaseYear"].is_null());
    assert_eq!(r.json()["kind"], "single");
    let r = app
        .get(format!(
            "/api/v1/albums?artistId={artist}&sort=name&order=desc"
        ))
        .auth(&l)
        .await;
    let titles: Vec<_> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles, ["Second", "First Light"]);
    assert_eq!(
        app.delete(&uri).auth(&b).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.delete(&uri).auth(&a).await.status, StatusCode::OK);
    assert_eq!(app.get(&uri).auth(&a).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listings_paginate_and_sort_without_overlap() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    for i in 0..25 {
        let r = app
            .post("/api/v1/artists")
            .auth(&a)
            .json(json!({"name": format!("Artist {:02}", (i * 7) % 25)}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    for offset in [0, 10, 20] {
        let r = app
            .get(format!(
                "/api/v1/artists?limit=10&offset={offset}&sort=name"
            ))
            .auth(&a)
            .await;
        let v = r.json();
        assert_eq!(v["total"], 25);
        assert_eq!(v["limit"], 10);
        seen.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap().to_string()),
        );
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    sorted.dedup();
    assert_eq!(sorted.len(), 25);
    for bad in [
        "limit=0",
        "limit=201",
        "offset=-1",
        "sort=colour",
        "order=up",
        "limit=abc",
    ] {
        let r = app.get(format!("/api/v1/artists?{bad}")).auth(&a).await;
        assert!(
            matches!(
                r.status,
                StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{bad}: {}",
            r.status
        );
    }
    let r = app
        .get(format!("/api/v1/artists?ownerId={}", a.id))
        .auth(&a)
        .await;
    assert_eq!(r.json()["total"], 25);
}

#[tokio::test]
async fn playlists_are_private_until_public_and_keep_order() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let l = app.user(Role::Listener).await;
    let m = app.user(Role::Listener).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let t1 = track(&app, &a, &album).await;
    let t2 = track(&app, &a, &album).await;
    let body = json!({"name": "Morning", "trackIds": [t2, t1, t2]});
    assert_eq!(
        app.post("/api/v1/playlists")
            .json(body.clone())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = app.post("/api/v1/playlists").auth(&l).json(body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json();
    assert_eq!(v["trackIds"], json!([t2, t1, t2]));
    assert_eq!(v["public"], false);
    let uri = format!("/api/v1/playlists/{}", v["id"].as_str().unwrap());
    // Someone else's private playlist does not exist for them.
    assert_eq!(app.get(&uri).auth(&m).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/playlists").auth(&m).await.json()["total"],
        0
    );
    let r = app
        .patch(&uri)
        .auth(&l)
        .json(json!({"public": true, "trackIds": [t1]}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["trackIds"], json!([t1]));
    assert_eq!(app.get(&uri).auth(&m).await.status, StatusCode::OK);
    assert_eq!(
        app.patch(&uri)
            .auth(&m)
            .json(json!({"name": "mine"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&uri).auth(&m).await.status,
        StatusCode::FORBIDDEN
    );
    // A missing track refuses the whole change.
    let r = app
        .patch(&uri)
        .auth(&l)
        .json(json!({"name": "Evening", "trackIds": [t1, UNKNOWN]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(&uri).auth(&l).await;
    assert_eq!(r.json()["name"], "Morning");
    let r = app
        .post("/api/v1/playlists")
        .auth(&l)
        .json(json!({"name": "x", "trackIds": [UNKNOWN]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let many: Vec<_> = std::iter::repeat_n(t1.clone(), 10_001).collect();
    let r = app
        .post("/api/v1/playlists")
        .auth(&l)
        .json(json!({"name": "x", "trackIds": many}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Deleting a track takes it out of playlists.
    app.delete(format!("/api/v1/tracks/{t1}")).auth(&a).await;
    assert_eq!(app.get(&uri).auth(&l).await.json()["trackIds"], json!([]));
    assert_eq!(app.delete(&uri).auth(&l).await.status, StatusCode::OK);
    assert_eq!(app.get(&uri).auth(&l).await.status, StatusCode::NOT_FOUND);
}
