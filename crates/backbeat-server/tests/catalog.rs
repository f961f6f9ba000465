//! Artists, albums and playlists over HTTP: requires-auth, wrong role, golden path and bad
//! input for each endpoint, pagination and sorting, and other people's resources.

use axum::http::{Method, StatusCode};
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
        app.call(Method::POST, "/api/v1/artists", None, Some(body.clone()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/artists",
            Some(&l.token),
            Some(body.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .call(Method::POST, "/api/v1/artists", Some(&a.token), Some(body))
        .await;
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
            app.call(Method::POST, "/api/v1/artists", Some(&a.token), Some(bad))
                .await
                .status,
            StatusCode::BAD_REQUEST
        );
    }
    for bad in [
        json!({"name": ""}),
        json!({"name": "n".repeat(201)}),
        json!({"name": "a\u{0000}b"}),
    ] {
        let r = app
            .call(Method::POST, "/api/v1/artists", Some(&a.token), Some(bad))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "name");
    }
    // Reads: any signed-in user; unknown ids 404.
    assert_eq!(
        app.call(Method::GET, &uri, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(Method::GET, &uri, Some(&l.token), None)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/artists/{UNKNOWN}"),
            Some(&l.token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Changes: owners and admins only.
    let rename = json!({"name": "Nova Ensemble"});
    assert_eq!(
        app.call(Method::PATCH, &uri, Some(&b.token), Some(rename.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::PATCH, &uri, Some(&l.token), Some(rename.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .call(Method::PATCH, &uri, Some(&a.token), Some(rename))
        .await;
    assert_eq!(r.json()["name"], "Nova Ensemble");
    // Owners: add b, then b may change it; the last owner cannot leave.
    let owners = format!("{uri}/owners");
    assert_eq!(
        app.call(
            Method::POST,
            &owners,
            Some(&b.token),
            Some(json!({"userId": b.id}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .call(
            Method::POST,
            &owners,
            Some(&a.token),
            Some(json!({"userId": UNKNOWN})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call(
            Method::POST,
            &owners,
            Some(&a.token),
            Some(json!({"userId": b.id})),
        )
        .await;
    assert_eq!(r.json()["owners"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.call(
            Method::PATCH,
            &uri,
            Some(&b.token),
            Some(json!({"name": "B"}))
        )
        .await
        .status,
        StatusCode::OK
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("{owners}/{}", a.id),
            Some(&b.token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .call(
            Method::DELETE,
            &format!("{owners}/{}", b.id),
            Some(&b.token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Delete: admin may; then it is gone.
    assert_eq!(
        app.call(Method::DELETE, &uri, Some(&a.token), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .call(Method::DELETE, &uri, Some(&admin.token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.call(Method::GET, &uri, Some(&l.token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn deleting_an_artist_takes_albums_tracks_and_audio() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (artist, album) = artist_with_album(&app, &a).await;
    let t = track(&app, &a, &album).await;
    assert_eq!(crate::support::audio_blobs(&app).len(), 1);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/artists/{artist}"),
            Some(&a.token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(crate::support::blob_files(&app).is_empty());
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/api/v1/albums/{album}"),
            Some(&a.token),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/api/v1/tracks/{t}"),
            Some(&a.token),
            None
        )
        .await
        .status,
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
        app.call(Method::POST, "/api/v1/albums", None, Some(new.clone()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/albums",
            Some(&l.token),
            Some(new.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/albums",
            Some(&b.token),
            Some(new.clone())
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .call(Method::POST, "/api/v1/albums", Some(&a.token), Some(new))
        .await;
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
        let r = app
            .call(
                Method::POST,
                "/api/v1/albums",
                Some(&a.token),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(r.status, status, "{bad}: {}", r.text());
    }
    let uri = format!("/api/v1/albums/{album}");
    assert_eq!(
        app.call(Method::GET, &uri, Some(&l.token), None)
            .await
            .json()["title"],
        "First Light"
    );
    assert_eq!(
        app.call(
            Method::PATCH,
            &uri,
            Some(&b.token),
            Some(json!({"title": "x"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .call(
            Method::PATCH,
            &uri,
            Some(&a.token),
            Some(json!({"releaseYear": 2020, "kind": "single"})),
        )
        .await;
    assert_eq!(r.json()["releaseYear"], 2020);
    assert_eq!(r.json()["title"], "First Light");
    let r = app
        .call(
            Method::PATCH,
            &uri,
            Some(&a.token),
            Some(json!({"releaseYear": null})),
        )
        .await;
    assert!(r.json()["releaseYear"].is_null());
    assert_eq!(r.json()["kind"], "single");
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/albums?artistId={artist}&sort=name&order=desc"),
            Some(&l.token),
            None,
        )
        .await;
    let titles: Vec<_> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles, ["Second", "First Light"]);
    assert_eq!(
        app.call(Method::DELETE, &uri, Some(&b.token), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::DELETE, &uri, Some(&a.token), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, &uri, Some(&a.token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn listings_paginate_and_sort_without_overlap() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    for i in 0..25 {
        let r = app
            .call(
                Method::POST,
                "/api/v1/artists",
                Some(&a.token),
                Some(json!({"name": format!("Artist {:02}", (i * 7) % 25)})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    for offset in [0, 10, 20] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/artists?limit=10&offset={offset}&sort=name"),
                Some(&a.token),
                None,
            )
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
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/artists?{bad}"),
                Some(&a.token),
                None,
            )
            .await;
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
        .call(
            Method::GET,
            &format!("/api/v1/artists?ownerId={}", a.id),
            Some(&a.token),
            None,
        )
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
        app.call(Method::POST, "/api/v1/playlists", None, Some(body.clone()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/playlists",
            Some(&l.token),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json();
    assert_eq!(v["trackIds"], json!([t2, t1, t2]));
    assert_eq!(v["public"], false);
    let uri = format!("/api/v1/playlists/{}", v["id"].as_str().unwrap());
    // Someone else's private playlist does not exist for them.
    assert_eq!(
        app.call(Method::GET, &uri, Some(&m.token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::GET, "/api/v1/playlists", Some(&m.token), None)
            .await
            .json()["total"],
        0
    );
    let r = app
        .call(
            Method::PATCH,
            &uri,
            Some(&l.token),
            Some(json!({"public": true, "trackIds": [t1]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["trackIds"], json!([t1]));
    assert_eq!(
        app.call(Method::GET, &uri, Some(&m.token), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(
            Method::PATCH,
            &uri,
            Some(&m.token),
            Some(json!({"name": "mine"}))
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::DELETE, &uri, Some(&m.token), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A missing track refuses the whole change.
    let r = app
        .call(
            Method::PATCH,
            &uri,
            Some(&l.token),
            Some(json!({"name": "Evening", "trackIds": [t1, UNKNOWN]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.call(Method::GET, &uri, Some(&l.token), None).await;
    assert_eq!(r.json()["name"], "Morning");
    let r = app
        .call(
            Method::POST,
            "/api/v1/playlists",
            Some(&l.token),
            Some(json!({"name": "x", "trackIds": [UNKNOWN]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let many: Vec<_> = std::iter::repeat_n(t1.clone(), 10_001).collect();
    let r = app
        .call(
            Method::POST,
            "/api/v1/playlists",
            Some(&l.token),
            Some(json!({"name": "x", "trackIds": many})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Deleting a track takes it out of playlists.
    app.call(
        Method::DELETE,
        &format!("/api/v1/tracks/{t1}"),
        Some(&a.token),
        None,
    )
    .await;
    assert_eq!(
        app.call(Method::GET, &uri, Some(&l.token), None)
            .await
            .json()["trackIds"],
        json!([])
    );
    assert_eq!(
        app.call(Method::DELETE, &uri, Some(&l.token), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, &uri, Some(&l.token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
