//! The OpenAPI document: served, OpenAPI 3.1, covering every route; and schemathesis run
//! against a live server finds no 5xx and no response that violates the schema.

use std::process::Command;

use axum::http::StatusCode;

use crate::common::TestApp;

#[tokio::test]
async fn the_document_is_openapi_3_1_and_covers_the_api() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/artists",
        "/api/v1/artists/{id}",
        "/api/v1/albums/{id}",
        "/api/v1/tracks",
        "/api/v1/tracks/upload-url",
        "/api/v1/tracks/update-url/{id}",
        "/api/v1/tracks/{id}",
        "/api/v1/tracks/{id}/stream",
        "/api/v1/playlists/{id}",
        "/api/v1/search",
        "/blobs/{key}",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// The schemathesis command from the venv `scripts/setup.sh` makes, if present.
fn schemathesis() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME")?;
    let p = std::path::Path::new(&home).join(".cache/backbeat/api-venv/bin/schemathesis");
    p.exists().then_some(p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_errors_or_schema_violations() {
    let Some(st) = schemathesis() else {
        assert!(
            std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "schemathesis is required (BACKBEAT_REQUIRE_TOOLS=1) but ~/.cache/backbeat/api-venv has none; run scripts/setup.sh"
        );
        println!("SKIP: schemathesis not installed (scripts/setup.sh installs it)");
        return;
    };
    let app = TestApp::new().await;
    let user = app.user(backbeat_store::Role::Artist).await;
    let server = app.spawn().await;
    let base = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .args(["run", &format!("{base}/api/v1/openapi.json"), "--url", &base])
            .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
            .args(["--max-examples", "25", "--header", &format!("Authorization: Bearer {}", user.token)])
            .args(["--exclude-path-regex", "^/blobs/"])
            .output()
    })
    .await
    .unwrap()
    .expect("run schemathesis");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis failed:\n{text}");
}

/// The document's constraints, checked against the server: every value of a documented
/// enum is accepted and an undocumented one refused; a text of `maxLength` characters is
/// accepted and one more refused, as is an empty one where `minLength` says so; an address
/// the e-mail pattern admits is accepted. "Accepted" means no validation error on that field
/// (other fields or the state may still refuse the request).
mod constraints {
    use axum::http::StatusCode;
    use backbeat_store::Role;
    use serde_json::{json, Value};

    use crate::common::{unique_email, TestApp, TestResponse, TestUser};
    use crate::support::artist_with_album;

    /// Whether the answer refuses `field`: a 400 (it did not parse) or a 422 naming it.
    fn refuses(r: &TestResponse, field: &str) -> bool {
        match r.status {
            StatusCode::BAD_REQUEST => true,
            StatusCode::UNPROCESSABLE_ENTITY => r.json()["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["field"] == field)),
            _ => false,
        }
    }

    fn property<'a>(doc: &'a Value, schema: &str, field: &str) -> &'a Value {
        let p = &doc["components"]["schemas"][schema]["properties"][field];
        assert!(p.is_object(), "{schema}.{field} is not documented");
        p
    }

    /// A body request: `base` with `field` set to `value`.
    async fn send(
        app: &TestApp,
        user: Option<&TestUser>,
        (method, path): (&str, &str),
        base: &Value,
        field: &str,
        value: Value,
    ) -> TestResponse {
        let mut body = base.clone();
        body[field] = value;
        let call = match method {
            "post" => app.post(path),
            _ => app.patch(path),
        };
        match user {
            Some(u) => call.auth(u).json(body).await,
            None => call.json(body).await,
        }
    }

    #[tokio::test]
    async fn documented_enums_lengths_and_formats_are_what_the_server_enforces() {
        let app = TestApp::new().await;
        let a = app.user(Role::Artist).await;
        let (artist, album) = artist_with_album(&app, &a).await;
        let doc = app.get("/api/v1/openapi.json").await.json();

        // Query parameters with an enum, on every listing that documents them.
        let mut checked = 0;
        let mut bounds = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            let Some(params) = item["get"]["parameters"].as_array() else {
                continue;
            };
            if path.contains('{') {
                continue;
            }
            for p in params {
                let name = p["name"].as_str().unwrap();
                let extra = if path.ends_with("/search") {
                    "&q=x"
                } else {
                    ""
                };
                // Numeric bounds: the bound itself is accepted, one past it refused.
                if let Some(max) = p["schema"]["maximum"].as_u64() {
                    let r = app
                        .get(format!("{path}?{name}={max}{extra}"))
                        .auth(&a)
                        .await;
                    assert_eq!(
                        r.status,
                        StatusCode::OK,
                        "{path} {name}={max}: {}",
                        r.text()
                    );
                    let over = max + 1;
                    let r = app
                        .get(format!("{path}?{name}={over}{extra}"))
                        .auth(&a)
                        .await;
                    assert!(refuses(&r, name), "{path} {name}={over}: {}", r.status);
                    if let Some(min) = p["schema"]["minimum"].as_u64().filter(|m| *m > 0) {
                        let under = min - 1;
                        let r = app
                            .get(format!("{path}?{name}={under}{extra}"))
                            .auth(&a)
                            .await;
                        assert!(refuses(&r, name), "{path} {name}={under}: {}", r.status);
                    }
                    bounds += 1;
                }
                let Some(values) = p["schema"]["enum"].as_array() else {
                    continue;
                };
                let query = |v: &str| {
                    let extra = if path.ends_with("/search") {
                        "&q=x"
                    } else {
                        ""
                    };
                    format!("{path}?{name}={v}{extra}")
                };
                for v in values.iter().filter_map(Value::as_str) {
                    let r = app.get(query(v)).auth(&a).await;
                    assert_eq!(r.status, StatusCode::OK, "{path} {name}={v}: {}", r.text());
                }
                let r = app.get(query("bogus")).auth(&a).await;
                assert!(refuses(&r, name), "{path} {name}=bogus: {}", r.status);
                checked += 1;
            }
        }
        assert!(checked >= 7, "only {checked} enum parameters documented");
        assert!(bounds >= 8, "only {bounds} bounded parameters documented");

        // Search text: 1..=maxLength characters.
        let q = &doc["paths"]["/api/v1/search"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "q")
            .unwrap()["schema"];
        let max = q["maxLength"].as_u64().unwrap() as usize;
        let r = app
            .get(format!("/api/v1/search?q={}", "x".repeat(max)))
            .auth(&a)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = app
            .get(format!("/api/v1/search?q={}", "x".repeat(max + 1)))
            .auth(&a)
            .await;
        assert!(refuses(&r, "q"), "{}", r.status);

        // Body texts: (schema, field, endpoint, a body valid but for the field).
        let register = json!({"email": unique_email("c"), "password": "correct horse",
            "displayName": "C"});
        let texts: Vec<(&str, &str, (&str, String), Value)> = vec![
            (
                "ArtistBody",
                "name",
                ("post", "/api/v1/artists".into()),
                json!({}),
            ),
            (
                "NewAlbumBody",
                "title",
                ("post", "/api/v1/albums".into()),
                json!({"artistId": artist}),
            ),
            (
                "AlbumPatchBody",
                "title",
                ("patch", format!("/api/v1/albums/{album}")),
                json!({}),
            ),
            (
                "NewTrackBody",
                "title",
                ("post", "/api/v1/tracks".into()),
                json!({"albumId": album, "trackUrl": "http://127.0.0.1/x"}),
            ),
            (
                "NewPlaylistBody",
                "name",
                ("post", "/api/v1/playlists".into()),
                json!({}),
            ),
            (
                "NewPlaylistBody",
                "description",
                ("post", "/api/v1/playlists".into()),
                json!({"name": "P"}),
            ),
            (
                "RegisterRequest",
                "password",
                ("post", "/api/v1/auth/register".into()),
                register.clone(),
            ),
            (
                "RegisterRequest",
                "displayName",
                ("post", "/api/v1/auth/register".into()),
                register.clone(),
            ),
            (
                "CreateApiKeyRequest",
                "name",
                ("post", "/api/v1/users/me/api-keys".into()),
                json!({}),
            ),
        ];
        for (schema, field, (method, path), base) in &texts {
            let p = property(&doc, schema, field);
            let max = p["maxLength"]
                .as_u64()
                .unwrap_or_else(|| panic!("{schema}.{field}: {p}"));
            let min = p["minLength"].as_u64().unwrap_or(0);
            let user = (!path.contains("/auth/")).then_some(&a);
            let mut body = base.clone();
            if *schema == "RegisterRequest" {
                body["email"] = json!(unique_email("c"));
            }
            let at = (*method, path.as_str());
            let r = send(
                &app,
                user,
                at,
                &body,
                field,
                json!("é".repeat(max as usize)),
            )
            .await;
            assert!(
                !refuses(&r, field),
                "{schema}.{field} at maxLength: {}",
                r.text()
            );
            let r = send(
                &app,
                user,
                at,
                &body,
                field,
                json!("é".repeat(max as usize + 1)),
            )
            .await;
            assert!(
                refuses(&r, field),
                "{schema}.{field} over maxLength: {}",
                r.status
            );
            if min > 0 {
                let r = send(
                    &app,
                    user,
                    at,
                    &body,
                    field,
                    json!("é".repeat(min as usize - 1)),
                )
                .await;
                assert!(
                    refuses(&r, field),
                    "{schema}.{field} under minLength: {}",
                    r.status
                );
            }
        }

        // Body enums: every documented value accepted, another refused.
        let enums: Vec<(&str, &str, (&str, String), Value)> = vec![
            (
                "NewAlbumBody",
                "kind",
                ("post", "/api/v1/albums".into()),
                json!({"artistId": artist, "title": "K"}),
            ),
            (
                "AlbumPatchBody",
                "kind",
                ("patch", format!("/api/v1/albums/{album}")),
                json!({}),
            ),
            (
                "RegisterRequest",
                "role",
                ("post", "/api/v1/auth/register".into()),
                register.clone(),
            ),
        ];
        for (schema, field, (method, path), base) in &enums {
            let values = property(&doc, schema, field)["enum"]
                .as_array()
                .unwrap()
                .clone();
            let user = (!path.contains("/auth/")).then_some(&a);
            let at = (*method, path.as_str());
            for (i, v) in values.into_iter().enumerate() {
                let mut body = base.clone();
                if *schema == "RegisterRequest" {
                    body["email"] = json!(unique_email("c"));
                }
                if body.get("title").is_some() {
                    body["title"] = json!(format!("K{i}"));
                }
                let r = send(&app, user, at, &body, field, v.clone()).await;
                assert!(r.status.is_success(), "{schema}.{field}={v}: {}", r.text());
            }
            let r = send(&app, user, at, base, field, json!("admin")).await;
            assert!(
                refuses(&r, field) || *schema != "RegisterRequest",
                "{}",
                r.text()
            );
            let r = send(&app, user, at, base, field, json!("bogus")).await;
            assert!(refuses(&r, field), "{schema}.{field}=bogus: {}", r.status);
        }

        // Release years: both bounds accepted, one past either refused.
        let year = property(&doc, "NewAlbumBody", "releaseYear");
        let (min, max) = (
            year["minimum"].as_i64().unwrap(),
            year["maximum"].as_i64().unwrap(),
        );
        let at = ("post", "/api/v1/albums");
        // JSON Schema's `integer` includes a whole number written `1999.0`.
        let cases = [
            (json!(min), true),
            (json!(max), true),
            (json!(min - 1), false),
            (json!(max + 1), false),
            (json!(max as f64), true),
            (json!(max as f64 - 0.5), false),
        ];
        for (i, (y, ok)) in cases.into_iter().enumerate() {
            let base = json!({"artistId": artist, "title": format!("Y{i}")});
            let r = send(&app, Some(&a), at, &base, "releaseYear", y.clone()).await;
            assert_eq!(
                !refuses(&r, "releaseYear"),
                ok,
                "releaseYear {y}: {}",
                r.text()
            );
        }

        // Names: the documented pattern and the server agree on each.
        let name = property(&doc, "ArtistBody", "name");
        let pattern = regex::Regex::new(name["pattern"].as_str().unwrap()).unwrap();
        for candidate in [
            "Plain",
            " \u{200B}\u{200F}\u{FEFF} ",
            "\u{3164}",
            "\u{2800}",
            "a\u{202E}b",
            "a\u{2067}b",
            "a\u{1}b",
            "a\u{85}b",
            "a\u{2028}b",
            "\u{05E9}\u{05D9}\u{05E8}\u{200F}",
            "\u{1F469}\u{200D}\u{1F3A4}",
            "x\u{200B}y",
        ] {
            let base = json!({});
            let at = ("post", "/api/v1/artists");
            let r = send(&app, Some(&a), at, &base, "name", json!(candidate)).await;
            assert_eq!(
                pattern.is_match(candidate),
                !refuses(&r, "name"),
                "{candidate:?}: pattern and server disagree ({})",
                r.text()
            );
        }

        // E-mail addresses the documented pattern admits are accepted.
        let email = property(&doc, "RegisterRequest", "email");
        assert_eq!(email["format"], "email");
        let pattern = regex::Regex::new(email["pattern"].as_str().unwrap()).unwrap();
        let n = std::process::id();
        for candidate in [
            format!("plain{n}@example.org"),
            format!("a.b+tag{n}@sub.example.co"),
            format!("x{n}@b.c"),
            format!("x..{n}@example.org"),
            format!(".x{n}@example.org"),
            format!("x{n}@-a.org"),
            format!("x{n}@a_b.org"),
            format!("x{n}@b"),
            format!("\"q{n}\"@b.org"),
            format!("ü{n}@bücher.de"),
        ] {
            let mut body = register.clone();
            body["email"] = json!(candidate);
            let r = app.post("/api/v1/auth/register").json(body).await;
            assert_eq!(
                pattern.is_match(&candidate),
                !refuses(&r, "email"),
                "{candidate}: pattern and server disagree ({})",
                r.text()
            );
        }
    }
}
