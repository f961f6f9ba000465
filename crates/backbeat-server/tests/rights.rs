//! Rights follow the current role, at once: a demoted owner loses every write, an old access
//! token stops working when its user's role changes or the user is gone, and listeners
//! cannot be made owners (issue 13, item 3, and the deleted user's `401` of item 8).

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use backbeat_catalog::accounts::current::USER_TTL;
use backbeat_store::Role;
use serde_json::json;

use crate::common::{TestApp, TestUser};
use crate::protocol::{track, track_jobs, update_url, TRACKS};
use crate::support::{artist_with_album, fixture, path_of, raw};

const REFRESH: &str = "/api/v1/auth/refresh";
const ME: &str = "/api/v1/users/me";

/// Sets `user`'s role as `admin` through the API.
async fn set_role(app: &TestApp, admin: &TestUser, user: &TestUser, role: &str) {
    let r = app
        .at(Method::PUT, format!("/api/v1/users/{}/role", user.id))
        .auth(admin)
        .json(json!({ "role": role }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// `user` after a token refresh: a new access token carrying the current role and epoch.
async fn refreshed(app: &TestApp, user: &TestUser) -> TestUser {
    let r = app
        .post(REFRESH)
        .json(json!({"refreshToken": user.refresh_token.clone().unwrap()}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    TestUser {
        token: body["accessToken"].as_str().unwrap().to_string(),
        refresh_token: body["refreshToken"].as_str().map(str::to_string),
        role: Role::parse(body["user"]["role"].as_str().unwrap()).unwrap(),
        ..user.clone()
    }
}

/// Polls `GET /users/me` with `token` until it is refused; returns how long that took.
/// Panics if it is still accepted well past [`USER_TTL`].
async fn refused_after(app: &TestApp, token: &str) -> Duration {
    let start = Instant::now();
    loop {
        let r = app.get(ME).token(token).await;
        if r.status == StatusCode::UNAUTHORIZED {
            return start.elapsed();
        }
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            start.elapsed() < USER_TTL + Duration::from_secs(3),
            "a revoked token still works {:?} later",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The test catalog's database, for changes no API makes (deleting an account).
async fn database(app: &TestApp) -> sqlx::AnyPool {
    let url = std::env::var("BACKBEAT_TEST_SERVER_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}",
            app.dir.path().join("catalog.db").to_string_lossy()
        )
    });
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&url)
        .await
        .expect("the test database")
}

#[tokio::test]
async fn a_demoted_artist_loses_every_owner_right_at_once() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let artist = app.user(Role::Artist).await;
    let (artist_id, album) = artist_with_album(&app, &artist).await;
    let id = crate::support::track(&app, &artist, &album).await;
    // An update URL handed out while still an artist, used after the demotion.
    let slot = app.get(update_url(&id)).auth(&artist).await.json();

    set_role(&app, &admin, &artist, "listener").await;
    // The token from before the demotion is refused outright: no waiting for its expiry.
    app.get(ME)
        .auth(&artist)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    let listener = refreshed(&app, &artist).await;
    assert_eq!(listener.role, Role::Listener);

    // Still a reader.
    assert_eq!(
        app.get(track(&id)).auth(&listener).await.status,
        StatusCode::OK
    );
    // Every owner right is gone: metadata, audio replacement (new slot, or a slot uploaded
    // before), job states, deletion; the album and the artist too.
    app.patch(track(&id))
        .auth(&listener)
        .json(json!({"title": "Mine Still"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.patch(track(&id))
        .auth(&listener)
        .json(json!({"albumId": album}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.get(update_url(&id))
        .auth(&listener)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    // The signed PUT itself needs no account (the bytes land in the slot, unclaimed, and are
    // collected after it expires); claiming them for the track is the owner right.
    let put = raw(
        &app,
        Method::PUT,
        &path_of(slot["uploadUrl"].as_str().unwrap()),
        &[],
        fixture("chord_s16.wav"),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    app.patch(track(&id))
        .auth(&listener)
        .json(json!({"trackUrl": slot["trackUrl"]}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.get(track_jobs(&id))
        .auth(&listener)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.delete(track(&id))
        .auth(&listener)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.patch(format!("/api/v1/albums/{album}"))
        .auth(&listener)
        .json(json!({"title": "Renamed"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.delete(format!("/api/v1/albums/{album}"))
        .auth(&listener)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.patch(format!("/api/v1/artists/{artist_id}"))
        .auth(&listener)
        .json(json!({"name": "Renamed"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.delete(format!("/api/v1/artists/{artist_id}"))
        .auth(&listener)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    // Nothing changed.
    let t = app.get(track(&id)).auth(&admin).await.json();
    assert_eq!(
        (t["title"].as_str(), t["status"].as_str()),
        (Some("Chord Study"), Some("ready")),
        "{t}"
    );

    // Promoted again, the owner has the rights back (the owners list was kept).
    set_role(&app, &admin, &listener, "artist").await;
    let artist = refreshed(&app, &listener).await;
    let r = app
        .patch(track(&id))
        .auth(&artist)
        .json(json!({"title": "Mine Again"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn a_demoted_users_api_key_follows_the_current_role() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let artist = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &artist).await;
    let r = app
        .post("/api/v1/users/me/api-keys")
        .auth(&artist)
        .json(json!({"name": "ci"}))
        .await;
    let key = r.json()["secret"].as_str().unwrap().to_string();
    let rename = json!({"title": "By Key"});
    let uri = format!("/api/v1/albums/{album}");
    assert_eq!(
        app.patch(&uri)
            .token(&key)
            .json(rename.clone())
            .await
            .status,
        StatusCode::OK
    );
    set_role(&app, &admin, &artist, "listener").await;
    app.patch(&uri)
        .token(&key)
        .json(rename)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    assert_eq!(app.get(ME).token(&key).await.json()["role"], "listener");
}

#[tokio::test]
async fn a_role_change_made_elsewhere_reaches_old_tokens_within_the_user_ttl() {
    let app = TestApp::new().await;
    let artist = app.user(Role::Artist).await;
    assert_eq!(app.get(ME).auth(&artist).await.status, StatusCode::OK);
    // Through the store, as another replica (whose cache this one does not share) would.
    app.state
        .catalog
        .parts()
        .stores
        .accounts
        .set_user_role(artist.id, Role::Listener)
        .await
        .expect("demote");
    let took = refused_after(&app, &artist.token).await;
    assert!(took <= USER_TTL + Duration::from_millis(500), "{took:?}");
    // The refreshed token carries the new role.
    let listener = refreshed(&app, &artist).await;
    assert_eq!(app.get(ME).auth(&listener).await.json()["role"], "listener");
    app.post("/api/v1/artists")
        .auth(&listener)
        .json(json!({"name": "Not Any More"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_deleted_users_token_gets_401_for_writes_at_once_and_reads_within_the_user_ttl() {
    let app = TestApp::new().await;
    let gone = app.user(Role::Artist).await;
    assert_eq!(app.get(ME).auth(&gone).await.status, StatusCode::OK);
    let db = database(&app).await;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(gone.id.to_string())
        .execute(&db)
        .await
        .expect("deleting the account");
    db.close().await;
    // The account is still cached as it was, but a write names it: 401, not a field error.
    app.post("/api/v1/artists")
        .auth(&gone)
        .json(json!({"name": "Ghost"}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.get("/api/v1/tracks/upload-url")
        .auth(&gone)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    // And every request within the cache's life.
    let start = Instant::now();
    loop {
        let r = app.get("/api/v1/artists").auth(&gone).await;
        if r.status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            start.elapsed() < USER_TTL + Duration::from_millis(500),
            "a deleted user's token still reads {:?} later",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn listeners_cannot_be_made_owners_and_demoted_owners_cannot_remove_the_others() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let owner = app.user(Role::Artist).await;
    let listener = app.user(Role::Listener).await;
    let (artist_id, album) = artist_with_album(&app, &owner).await;
    let id = crate::support::track(&app, &owner, &album).await;
    let owners = format!("/api/v1/artists/{artist_id}/owners");

    // A listener as co-owner is refused, naming the field and why.
    let p = app
        .post(&owners)
        .auth(&owner)
        .json(json!({"userId": listener.id}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "userId", "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("listener"),
        "{p}"
    );
    let a = app
        .get(format!("/api/v1/artists/{artist_id}"))
        .auth(&owner)
        .await;
    assert_eq!(a.json()["owners"], json!([owner.id.to_string()]));

    // An artist co-owner, later demoted, stays in the list with no rights.
    let co = app.user(Role::Artist).await;
    let r = app
        .post(&owners)
        .auth(&owner)
        .json(json!({"userId": co.id}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    set_role(&app, &admin, &co, "listener").await;
    let co = refreshed(&app, &co).await;
    app.patch(track(&id))
        .auth(&co)
        .json(json!({"title": "Hijacked"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.delete(format!("{owners}/{}", owner.id))
        .auth(&co)
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    app.post(&owners)
        .auth(&co)
        .json(json!({"userId": listener.id}))
        .await
        .assert_problem(StatusCode::FORBIDDEN);
    let upload_slot = app.get(crate::protocol::UPLOAD_URL).auth(&co).await;
    upload_slot.assert_problem(StatusCode::FORBIDDEN);
    let created = app
        .post(TRACKS)
        .auth(&co)
        .json(json!({"albumId": album, "title": "x", "trackUrl": "http://127.0.0.1:8080/blobs/audio/x"}))
        .await;
    created.assert_problem(StatusCode::FORBIDDEN);
    // The original owner still owns it, and may remove the demoted one.
    let r = app.delete(format!("{owners}/{}", co.id)).auth(&owner).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["owners"], json!([owner.id.to_string()]));
    let t = app.get(track(&id)).auth(&owner).await.json();
    assert_eq!(t["title"], "Chord Study");
}
