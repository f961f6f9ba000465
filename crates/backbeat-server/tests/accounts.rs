//! Accounts: register, login, refresh, logout, the caller's account, API keys and roles.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use backbeat_catalog::accounts::tokens::{now_secs, Claims};
use backbeat_store::Role;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::common::{unique_email, TestApp};

const REGISTER: &str = "/api/v1/auth/register";
const LOGIN: &str = "/api/v1/auth/login";
const REFRESH: &str = "/api/v1/auth/refresh";
const LOGOUT: &str = "/api/v1/auth/logout";
const ME: &str = "/api/v1/users/me";
const KEYS: &str = "/api/v1/users/me/api-keys";

fn registration(email: &str) -> Value {
    json!({"email": email, "password": "s3cret-enough", "displayName": "  Ada Lovelace "})
}

fn assert_token_response(body: &Value, email: &str) {
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 900);
    assert!(body["accessToken"].as_str().unwrap().split('.').count() == 3);
    // `<family>.<secret>`: 32 hex digits, a dot, 32 random bytes in base64url.
    assert_eq!(body["refreshToken"].as_str().unwrap().len(), 32 + 1 + 43);
    assert_eq!(body["user"]["email"], email);
}

#[tokio::test]
async fn register_golden_path() {
    let app = TestApp::new().await;
    let email = unique_email("Reg").to_uppercase();
    let res = app.post(REGISTER).json(registration(&email)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let body = res.json();
    assert_token_response(&body, &email.to_lowercase());
    let user = &body["user"];
    assert_eq!(user["displayName"], "Ada Lovelace");
    assert_eq!(user["role"], "listener");
    let created = user["createdAt"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert!(user.get("passwordHash").is_none() && user.get("password_hash").is_none());
    // The access token works.
    let me = app
        .call(Method::GET, ME, body["accessToken"].as_str(), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json(), *user);
    assert_eq!(me.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn register_as_artist_but_never_admin() {
    let app = TestApp::new().await;
    let mut body = registration(&unique_email("artist"));
    body["role"] = json!("artist");
    let res = app.post(REGISTER).json(body.clone()).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["user"]["role"], "artist");

    body["email"] = json!(unique_email("admin"));
    body["role"] = json!("admin");
    let p = app
        .post(REGISTER)
        .json(body.clone())
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "role");
    body["role"] = json!("superuser");
    app.post(REGISTER)
        .json(body)
        .await
        .assert_problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn register_taken_email_conflicts_case_insensitively() {
    let app = TestApp::new().await;
    let email = unique_email("dup");
    let res = app.post(REGISTER).json(registration(&email)).await;
    assert_eq!(res.status, StatusCode::CREATED);
    app.post(REGISTER)
        .json(registration(&email.to_uppercase()))
        .await
        .assert_problem(StatusCode::CONFLICT);
}

#[tokio::test]
async fn register_bad_input() {
    let app = TestApp::new().await;
    let ok = registration(&unique_email("bad"));
    // Each field wrong: 422 naming the field.
    for (field, value, wire) in [
        ("email", json!("not-an-email"), "email"),
        ("email", json!("a@b"), "email"),
        ("password", json!("short"), "password"),
        ("password", json!("x".repeat(257)), "password"),
        ("displayName", json!("   "), "displayName"),
        ("displayName", json!("n".repeat(101)), "displayName"),
    ] {
        let mut body = ok.clone();
        body[field] = value;
        let p = app
            .post(REGISTER)
            .json(body)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], wire, "{p}");
    }
    // Several wrong fields are all reported.
    let p = app
        .post(REGISTER)
        .json(json!({"email": "x", "password": "y", "displayName": ""}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), 3);
    // Missing fields and wrong types: 400.
    for body in [
        json!({"email": "a@example.org", "password": "long enough"}),
        json!({"email": 5, "password": "long enough", "displayName": "A"}),
        json!([1, 2]),
    ] {
        app.post(REGISTER)
            .json(body)
            .await
            .assert_problem(StatusCode::BAD_REQUEST);
    }
    // Not JSON at all.
    let req = Request::post(REGISTER)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{nope"))
        .unwrap();
    app.send(req).await.assert_problem(StatusCode::BAD_REQUEST);
    // Oversized body (> 64 KiB).
    let mut big = ok.clone();
    big["displayName"] = json!("x".repeat(70 * 1024));
    app.post(REGISTER)
        .json(big)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn login_golden_path_and_wrong_credentials() {
    let app = TestApp::new().await;
    let user = app.user(Role::Artist).await;
    let res = app
        .post(LOGIN)
        .json(
            json!({"email": format!("  {}", user.email.to_uppercase()), "password": user.password}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    assert_token_response(&body, &user.email);
    assert_eq!(body["user"]["role"], "artist");

    for (email, password) in [
        (user.email.as_str(), "wrong password"),
        ("nobody@example.org", user.password.as_str()),
    ] {
        let res = app
            .post(LOGIN)
            .json(json!({"email": email, "password": password}))
            .await;
        res.assert_problem(StatusCode::UNAUTHORIZED);
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    }
    app.post(LOGIN)
        .json(json!({"email": user.email}))
        .await
        .assert_problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn refresh_rotates_and_old_token_is_refused() {
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    let first = user.refresh_token.clone().unwrap();
    let res = app.post(REFRESH).json(json!({"refreshToken": first})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    assert_token_response(&body, &user.email);
    let second = body["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    // The new one works.
    let res = app
        .post(REFRESH)
        .json(json!({"refreshToken": second}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    // One use only (a replay also revokes the chain: see the next test).
    app.post(REFRESH)
        .json(json!({"refreshToken": first}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    // Garbage and missing.
    app.post(REFRESH)
        .json(json!({"refreshToken": "garbage"}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.post(REFRESH)
        .json(json!({}))
        .await
        .assert_problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_revokes_the_whole_sign_in() {
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    // The same account signed in elsewhere: a sign-in of its own.
    let other = app
        .post(LOGIN)
        .json(json!({"email": user.email, "password": user.password}))
        .await
        .json();
    let first = user.refresh_token.clone().unwrap();
    let res = app.post(REFRESH).json(json!({"refreshToken": first})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    let (second, access) = (
        body["refreshToken"].as_str().unwrap().to_string(),
        body["accessToken"].as_str().unwrap().to_string(),
    );
    assert_eq!(app.get(ME).token(&access).await.status, StatusCode::OK);

    // The rotated-away token comes back: someone holds a copy. Refused, and the whole chain
    // with it: the newer refresh token and the access tokens already handed out.
    app.post(REFRESH)
        .json(json!({"refreshToken": first}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.post(REFRESH)
        .json(json!({"refreshToken": second}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.get(ME)
        .token(&access)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.get(ME)
        .token(&user.token)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    // The other sign-in was not replayed: its refresh token still works (its access token
    // was revoked with the user's others, and a refresh brings a new one).
    let res = app
        .post(REFRESH)
        .json(json!({"refreshToken": other["refreshToken"]}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let fresh = res.json()["accessToken"].as_str().unwrap().to_string();
    assert_eq!(app.get(ME).token(&fresh).await.status, StatusCode::OK);
    // Signing in again works as usual.
    let res = app
        .post(LOGIN)
        .json(json!({"email": user.email, "password": user.password}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_token_from_before_families_still_rotates() {
    use backbeat_catalog::accounts::tokens::{random_secret, secret_hash};
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    // A bare secret, as refresh tokens were before they named their family.
    let legacy = random_secret().unwrap();
    app.state
        .catalog
        .parts()
        .stores
        .accounts
        .create_session(
            user.id,
            uuid::Uuid::now_v7(),
            &secret_hash(&legacy),
            backbeat_store::now_millis() + 60_000,
        )
        .await
        .unwrap();
    let res = app
        .post(REFRESH)
        .json(json!({"refreshToken": legacy}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let next = res.json()["refreshToken"].as_str().unwrap().to_string();
    assert_eq!(next.len(), 32 + 1 + 43);
    // The successor belongs to a family: replaying it after its rotation revokes the chain.
    let res = app.post(REFRESH).json(json!({"refreshToken": next})).await;
    let last = res.json()["refreshToken"].as_str().unwrap().to_string();
    app.post(REFRESH)
        .json(json!({"refreshToken": next}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.post(REFRESH)
        .json(json!({"refreshToken": last}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn auth_bodies_refuse_unknown_fields() {
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    let mut register = registration(&unique_email("extra"));
    register["isAdmin"] = json!(true);
    let login = json!({"email": user.email, "password": user.password, "remember": true});
    let refresh = json!({"refreshToken": user.refresh_token, "scope": "all"});
    for (uri, body, field) in [
        (REGISTER, register, "isAdmin"),
        (LOGIN, login, "remember"),
        (REFRESH, refresh.clone(), "scope"),
        (LOGOUT, refresh, "scope"),
    ] {
        let p = app
            .post(uri)
            .json(body)
            .await
            .assert_problem(StatusCode::BAD_REQUEST);
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("unknown field") && detail.contains(field),
            "{uri}: {p}"
        );
    }
    // Nothing was done: the refresh token still works once.
    let res = app
        .post(REFRESH)
        .json(json!({"refreshToken": user.refresh_token}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

#[tokio::test]
async fn expired_refresh_token_is_refused() {
    let app = TestApp::with_config(|c| c.catalog.refresh_token_ttl_s = 1).await;
    let user = app.user(Role::Listener).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.post(REFRESH)
        .json(json!({"refreshToken": user.refresh_token.unwrap()}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    let refresh = user.refresh_token.clone().unwrap();
    let res = app
        .post(LOGOUT)
        .json(json!({"refreshToken": refresh}))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.body.is_empty());
    app.post(REFRESH)
        .json(json!({"refreshToken": refresh}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    // Idempotent; missing field is malformed.
    let again = app
        .post(LOGOUT)
        .json(json!({"refreshToken": refresh}))
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    app.post(LOGOUT)
        .json(json!({"token": refresh}))
        .await
        .assert_problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn me_requires_auth() {
    let app = TestApp::new().await;
    let res = app.get(ME).await;
    res.assert_problem(StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    for bad in ["", "garbage", "a.b.c", "bbk_unknownkey"] {
        app.get(ME)
            .token(bad)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED);
    }
    // Not a bearer scheme.
    let req = Request::get(ME)
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
        .body(Body::empty())
        .unwrap();
    app.send(req).await.assert_problem(StatusCode::UNAUTHORIZED);
}

/// Re-encodes a token's payload with `f` applied, keeping the original signature.
fn with_payload(token: &str, f: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    f(&mut payload);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

#[tokio::test]
async fn tampered_tokens_are_refused() {
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    let ok = app.get(ME).auth(&user).await;
    assert_eq!(ok.status, StatusCode::OK);

    let parts: Vec<&str> = user.token.split('.').collect();
    let mut forged = vec![
        // Escalate the role, keep the signature.
        with_payload(&user.token, |p| p["role"] = json!("admin")),
        // Extend the expiry.
        with_payload(&user.token, |p| {
            p["exp"] = json!(p["exp"].as_i64().unwrap() + 3600)
        }),
        // alg none, no signature.
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        ),
        // alg HS512 header with the HS256 signature.
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#),
            parts[1],
            parts[2]
        ),
        // Signature dropped.
        format!("{}.{}", parts[0], parts[1]),
    ];
    // A flipped character in each of the three parts.
    for i in [5, parts[0].len() + 10, user.token.len() - 5] {
        let mut b = user.token.clone().into_bytes();
        b[i] = if b[i] == b'x' { b'y' } else { b'x' };
        forged.push(String::from_utf8(b).unwrap());
    }
    for token in forged {
        app.get(ME)
            .token(&token)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn expired_and_foreign_tokens_are_refused() {
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    let now = now_secs();
    let claims = |iat: i64, exp: i64, iss: &str| Claims {
        iss: iss.into(),
        sub: user.id,
        role: Role::Listener,
        exp,
        iat,
        nbf: None,
        jti: "t".into(),
        epoch: 0,
    };
    let valid = app
        .state
        .catalog
        .accounts()
        .tokens()
        .sign(&claims(now, now + 60, "backbeat"));
    assert_eq!(app.get(ME).token(&valid).await.status, StatusCode::OK);
    for c in [
        claims(now - 120, now - 1, "backbeat"),
        claims(now, now + 60, "someone-else"),
        claims(now + 3600, now + 7200, "backbeat"),
    ] {
        let token = app.state.catalog.accounts().tokens().sign(&c);
        app.get(ME)
            .token(&token)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED);
    }
    // A token from another server (other secret) is refused.
    let other = TestApp::new().await;
    let foreign = other
        .state
        .catalog
        .accounts()
        .tokens()
        .sign(&claims(now, now + 60, "backbeat"));
    app.get(ME)
        .token(&foreign)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_keys_golden_path_then_stop_after_delete() {
    let app = TestApp::new().await;
    let user = app.user(Role::Artist).await;
    let res = app
        .post(KEYS)
        .auth(&user)
        .json(json!({"name": " ci script "}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let created = res.json();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("bbk_"));
    assert_eq!(created["apiKey"]["name"], "ci script");
    let key_id = created["apiKey"]["id"].as_str().unwrap().to_string();

    // The key authenticates as the user, twice (the second from the cache).
    for _ in 0..2 {
        let me = app.get(ME).token(&secret).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["id"], user.id.to_string());
    }
    let list = app.get(KEYS).auth(&user).await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], key_id.as_str());
    assert!(items[0].get("secret").is_none());

    // Another user cannot see or delete it.
    let other = app.user(Role::Listener).await;
    let theirs = app.get(KEYS).auth(&other).await;
    assert_eq!(theirs.json()["items"], json!([]));
    app.delete(format!("{KEYS}/{key_id}"))
        .auth(&other)
        .await
        .assert_problem(StatusCode::NOT_FOUND);

    let del = app.delete(format!("{KEYS}/{key_id}")).auth(&user).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    app.get(ME)
        .token(&secret)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    app.delete(format!("{KEYS}/{key_id}"))
        .auth(&user)
        .await
        .assert_problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_keys_require_auth_and_valid_input() {
    let app = TestApp::new().await;
    let user = app.user(Role::Listener).await;
    let id = uuid::Uuid::now_v7();
    for (method, uri) in [
        (Method::POST, KEYS.to_string()),
        (Method::GET, KEYS.to_string()),
        (Method::DELETE, format!("{KEYS}/{id}")),
    ] {
        app.call(method, &uri, None, Some(json!({"name": "x"})))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED);
    }
    for name in [json!(""), json!("   "), json!("k".repeat(101))] {
        app.post(KEYS)
            .auth(&user)
            .json(json!({ "name": name }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY);
    }
    for body in [json!({}), json!({"name": 7})] {
        app.post(KEYS)
            .auth(&user)
            .json(body)
            .await
            .assert_problem(StatusCode::BAD_REQUEST);
    }
    // Unknown and malformed ids.
    app.delete(format!("{KEYS}/{id}"))
        .auth(&user)
        .await
        .assert_problem(StatusCode::NOT_FOUND);
    app.delete(format!("{KEYS}/not-a-uuid"))
        .auth(&user)
        .await
        .assert_problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn set_role_admin_only() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let listener = app.user(Role::Listener).await;
    let artist = app.user(Role::Artist).await;
    let uri = format!("/api/v1/users/{}/role", listener.id);
    let body = Some(json!({"role": "artist"}));

    app.call(Method::PUT, &uri, None, body.clone())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
    for who in [&listener, &artist] {
        app.call(Method::PUT, &uri, Some(&who.token), body.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN);
    }
    let res = app
        .call(Method::PUT, &uri, Some(&admin.token), body.clone())
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["role"], "artist");
    assert_eq!(res.json()["id"], listener.id.to_string());
    // A refresh picks up the new role.
    let refreshed = app
        .post(REFRESH)
        .json(json!({"refreshToken": listener.refresh_token.clone().unwrap()}))
        .await;
    assert_eq!(refreshed.json()["user"]["role"], "artist");

    // Bad input, unknown user, own role.
    app.at(Method::PUT, &uri)
        .auth(&admin)
        .json(json!({"role": "god"}))
        .await
        .assert_problem(StatusCode::BAD_REQUEST);
    let unknown = format!("/api/v1/users/{}/role", uuid::Uuid::now_v7());
    app.call(Method::PUT, &unknown, Some(&admin.token), body.clone())
        .await
        .assert_problem(StatusCode::NOT_FOUND);
    app.call(
        Method::PUT,
        "/api/v1/users/nope/role",
        Some(&admin.token),
        body.clone(),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND);
    let own = format!("/api/v1/users/{}/role", admin.id);
    app.at(Method::PUT, &own)
        .auth(&admin)
        .json(json!({"role": "listener"}))
        .await
        .assert_problem(StatusCode::CONFLICT);
}

#[tokio::test]
async fn admin_token_from_the_store_works() {
    let app = TestApp::new().await;
    let admin = app.user(Role::Admin).await;
    let me = app.get(ME).auth(&admin).await;
    assert_eq!(me.json()["role"], "admin");
    // And the admin can log in with the password.
    let res = app
        .post(LOGIN)
        .json(json!({"email": admin.email, "password": admin.password}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
}
