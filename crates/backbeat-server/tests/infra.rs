//! Infrastructure: health, readiness, metrics, request ids, fallbacks, rate limits,
//! configuration layering and graceful shutdown.

use std::io::{Read as _, Write as _};
use std::net::IpAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use backbeat_catalog::accounts::tokens::now_secs;
use backbeat_server::config::Rate;
use backbeat_server::ratelimit::{Limiter, Subject};
use backbeat_store::Role;
use serde_json::json;

use crate::common::{unique_email, TestApp, TestConfig};

fn ip(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["status"], "ok");
    let res = app.get("/readyz").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["status"], "ok");
    assert_eq!(res.json()["unavailableJobs"], json!({}), "models installed");
    // HEAD works on GET routes.
    let res = app.at(Method::HEAD, "/healthz").await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::new().await;
    app.get("/healthz").await;
    let user = app.user(Role::Listener).await;
    let key = uuid::Uuid::now_v7();
    app.delete(format!("/api/v1/users/me/api-keys/{key}"))
        .auth(&user)
        .await;
    app.get("/api/v1/no/such/path").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res
        .header("content-type")
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = res.text();
    for needle in [
        r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        r#"http_requests_total{method="DELETE",route="/api/v1/users/me/api-keys/{id}",status="404"} 1"#,
        r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}"#,
        "# TYPE upload_bytes counter",
        "# TYPE blob_bytes_served counter",
        "# TYPE gc_blobs_deleted counter",
        "# TYPE cache_hits counter",
        "# TYPE cache_misses counter",
        "# TYPE search_queries counter",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    // The raw path never becomes a label.
    assert!(!text.contains(&key.to_string()));
    assert!(!text.contains("/api/v1/no/such/path"));
}

/// `/metrics` of a served app carries the pipeline's families: finished jobs by outcome,
/// durations, and the queue depth that `serve` keeps current.
#[tokio::test]
async fn metrics_include_the_pipeline() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = crate::support::artist_with_album(&app, &a).await;
    crate::support::track(&app, &a, &album).await;
    let server = app.spawn().await;
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = client
            .get(format!("{}/metrics", server.base_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("backbeat_queue_depth{") || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for needle in [
        r#"backbeat_jobs_finished_total{job="analyze",outcome="done"} 1"#,
        r#"backbeat_jobs_finished_total{job="summary",outcome="done"} 1"#,
        r#"backbeat_job_duration_seconds_count{job="downsample"} 1"#,
        r#"backbeat_queue_depth{job="analyze"} 0"#,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn request_id_is_generated_or_echoed() {
    let app = TestApp::new().await;
    let a = app.get("/healthz").await;
    let b = app.get("/healthz").await;
    let (a, b) = (
        a.header("x-request-id").unwrap(),
        b.header("x-request-id").unwrap(),
    );
    assert!(!a.is_empty());
    assert_ne!(a, b);
    let req = Request::get("/api/v1/users/me")
        .header("x-request-id", "client-chosen-42")
        .body(Body::empty())
        .unwrap();
    let res = app.send(req).await;
    res.assert_problem(StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("x-request-id"), Some("client-chosen-42"));
}

#[tokio::test]
async fn fallbacks_are_problem_documents() {
    let app = TestApp::new().await;
    // The API's own prefixes, a missing file and other methods never become the web app.
    for uri in [
        "/api/v1/nothing-here",
        "/api/nothing",
        "/rest/ping.view",
        "/favicon.ico",
        "/assets/main-GONE.js",
    ] {
        app.get(uri).await.assert_problem(StatusCode::NOT_FOUND);
    }
    app.post("/tracks/1")
        .await
        .assert_problem(StatusCode::NOT_FOUND);
    let res = app.delete("/api/v1/auth/login").await;
    res.assert_problem(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("POST"));
    app.post("/healthz")
        .await
        .assert_problem(StatusCode::METHOD_NOT_ALLOWED);
}

/// The web app embedded by build.rs: its page for every app path, its hashed files cached for
/// good and sent compressed, validators answered.
#[tokio::test]
async fn the_web_app_is_served_where_no_route_is() {
    let app = TestApp::new().await;
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    if !backbeat_server::web::built() {
        // Built without Node.js: the page says so (CI always builds the app).
        assert!(
            page.text().contains("without its web app"),
            "{}",
            page.text()
        );
        assert!(std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() != Ok("1"));
        return;
    }
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    for path in ["/annotate/0190", "/tracks/x/y", "/login?next=%2F"] {
        let other = app.get(path).await;
        assert_eq!(other.status, StatusCode::OK, "{path}");
        assert_eq!(other.body, page.body, "{path} is the app's page");
    }
    // The entry script named by the page: immutable, brotli or gzip as asked, 304 on its tag.
    let html = page.text();
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a script in the page");
    assert!(script.starts_with("/assets/"), "{script}");
    let plain = app.get(script).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    let br = app.get(script).header("accept-encoding", "gzip, br").await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(
        br.body.len() < plain.body.len() / 2,
        "{} vs {}",
        br.body.len(),
        plain.body.len()
    );
    let gz = app
        .get(script)
        .header("accept-encoding", "gzip, br;q=0")
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    let etag = plain.header("etag").expect("an etag").to_string();
    let again = app.get(script).header("if-none-match", &etag).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn api_responses_default_to_no_store() {
    let app = TestApp::new().await;
    let res = app.get("/api/v1/users/me").await;
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("cache-control"), Some("public, max-age=300"));
    assert!(res.json()["paths"]["/api/v1/auth/login"].is_object());
}

fn limited(f: impl FnOnce(&mut TestConfig)) -> impl FnOnce(&mut TestConfig) {
    move |c: &mut TestConfig| {
        c.http.rate_limits.enabled = true;
        c.http.rate_limits.read = Rate {
            per_second: 0.01,
            burst: 3,
        };
        c.http.rate_limits.auth = Rate {
            per_second: 0.01,
            burst: 100,
        };
        f(c);
    }
}

#[tokio::test]
async fn rate_limit_per_ip_answers_429_with_retry_after() {
    let app = TestApp::with_config(limited(|_| {})).await;
    for _ in 0..3 {
        let res = app
            .call_from(ip(1), Method::GET, "/api/v1/users/me", None, None)
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .call_from(ip(1), Method::GET, "/api/v1/users/me", None, None)
        .await;
    let p = res.assert_problem(StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((90..=100).contains(&retry), "retry after {retry} ({p})");
    // Another client is not affected; health checks are never limited.
    let res = app
        .call_from(ip(2), Method::GET, "/api/v1/users/me", None, None)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    for _ in 0..10 {
        let res = app
            .call_from(ip(1), Method::GET, "/healthz", None, None)
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn rate_limit_per_user_spans_addresses() {
    let app = TestApp::with_config(limited(|_| {})).await;
    let user = app.user(Role::Listener).await;
    for n in 0..3 {
        let res = app
            .call_from(
                ip(10 + n),
                Method::GET,
                "/api/v1/users/me",
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
    // A fresh address, but the user's budget is spent.
    let res = app
        .call_from(
            ip(20),
            Method::GET,
            "/api/v1/users/me",
            Some(&user.token),
            None,
        )
        .await;
    res.assert_problem(StatusCode::TOO_MANY_REQUESTS);
    assert!(res.header("retry-after").is_some());
    // Another user from that same address is fine.
    let other = app.user(Role::Listener).await;
    let res = app
        .call_from(
            ip(21),
            Method::GET,
            "/api/v1/users/me",
            Some(&other.token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn auth_class_is_stricter_and_counts_per_email_and_address() {
    let app = TestApp::with_config(|c| {
        c.http.rate_limits.enabled = true;
        c.http.rate_limits.read = Rate {
            per_second: 100.0,
            burst: 100,
        };
        c.http.rate_limits.auth = Rate {
            per_second: 0.01,
            burst: 2,
        };
    })
    .await;
    let login = |email: String| Some(json!({"email": email, "password": "whatever-it-is"}));
    let email = unique_email("limited");
    for _ in 0..2 {
        let res = app
            .call_from(
                ip(1),
                Method::POST,
                "/api/v1/auth/login",
                None,
                login(email.clone()),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .call_from(
            ip(1),
            Method::POST,
            "/api/v1/auth/login",
            None,
            login(unique_email("x")),
        )
        .await;
    res.assert_problem(StatusCode::TOO_MANY_REQUESTS);
    assert!(res.header("retry-after").is_some());
    // Reads from the same address still pass.
    let res = app
        .call_from(ip(1), Method::GET, "/api/v1/users/me", None, None)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

/// Someone guessing at an account from one address must not lock its owner out: the limit
/// is per (e-mail, address), under a ceiling per e-mail that only many addresses reach.
#[tokio::test]
async fn failed_logins_from_one_address_do_not_lock_the_account_out() {
    let app = TestApp::with_config(|c| {
        c.http.rate_limits.enabled = true;
        // Slow enough that nothing refills while the test runs (password hashing is slow
        // in debug builds).
        c.http.rate_limits.auth = Rate {
            per_second: 0.001,
            burst: 2,
        };
    })
    .await;
    // Registering counts as one attempt for the e-mail too.
    let owner = app.user(Role::Listener).await;
    let attempt = |password: &str| Some(json!({"email": owner.email, "password": password}));
    // The attacker spends their budget on the account, and is refused.
    for _ in 0..2 {
        let res = app
            .call_from(
                ip(66),
                Method::POST,
                "/api/v1/auth/login",
                None,
                attempt("guess"),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    app.call_from(
        ip(66),
        Method::POST,
        "/api/v1/auth/login",
        None,
        attempt("guess"),
    )
    .await
    .assert_problem(StatusCode::TOO_MANY_REQUESTS);
    // The owner, from their own address, signs in.
    let res = app
        .call_from(
            ip(7),
            Method::POST,
            "/api/v1/auth/login",
            None,
            attempt(&owner.password),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    // Many addresses together reach the account's ceiling (ten times the auth burst): 4
    // attempts so far (registration, two guesses, the owner's), then 16 more from fresh
    // addresses, then refused with Retry-After.
    for n in 0..16 {
        let res = app
            .call_from(
                ip(100 + n),
                Method::POST,
                "/api/v1/auth/login",
                None,
                attempt("guess"),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let res = app
        .call_from(
            ip(200),
            Method::POST,
            "/api/v1/auth/login",
            None,
            attempt("guess"),
        )
        .await;
    res.assert_problem(StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
}

#[tokio::test]
async fn forwarded_for_is_trusted_only_when_configured() {
    for trust in [false, true] {
        let app = TestApp::with_config(limited(|c| c.http.trust_forwarded_for = trust)).await;
        let mut statuses = Vec::new();
        for n in 0..4u8 {
            let req = Request::get("/api/v1/users/me")
                .header("x-forwarded-for", format!("203.0.113.9, 198.51.100.{n}"))
                .body(Body::empty())
                .unwrap();
            statuses.push(app.send(req).await.status);
        }
        let limited = statuses.contains(&StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited, !trust, "trust {trust}: {statuses:?}");
    }
}

#[test]
fn limiter_memory_is_bounded() {
    let l = Limiter::new(Rate {
        per_second: 100.0,
        burst: 10,
    });
    let start = l.now();
    for n in 0..200_000u32 {
        // Spread over 20 s: each client's bucket refills 0.1 s after its request.
        let t = start + u64::from(n) * 100_000;
        assert!(l
            .check_at(Subject::ip(IpAddr::from(n.to_be_bytes())), t)
            .is_ok());
    }
    let held = l.len();
    assert!(held < 70_000, "{held} of 200000 keys held");
    l.sweep_at(start + 30_000_000_000);
    assert!(l.is_empty());
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_request_in_flight() {
    let app = TestApp::new().await;
    let mut server = app.spawn().await;
    let ok = reqwest::get(format!("{}/healthz", server.base_url))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let addr = server.addr;
    let body = br#"{"email":"nobody@example.org","password":"not the password"}"#;
    // Send the head and half the body, start the shutdown, then send the rest.
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..10]).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.trigger_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!server.is_finished(), "stopped with a request in flight");
    // New connections are no longer served.
    let refused = reqwest::Client::new()
        .get(format!("{}/healthz", server.base_url))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "served after shutdown: {refused:?}");
    let response = tokio::task::spawn_blocking(move || {
        stream.write_all(&body[10..]).unwrap();
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("the server stops after draining")
        .unwrap();
}

#[tokio::test]
async fn panics_become_problem_documents() {
    // Handlers of this crate do not panic on purpose; check the panic layer on a route that
    // does, behind the same middleware stack.
    let app = TestApp::new().await;
    let router = axum::Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                if true {
                    panic!("kaboom");
                }
                "unreachable"
            }),
        )
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            backbeat_server::app::PanicResponse,
        ));
    let res =
        tower::ServiceExt::oneshot(router, Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains("kaboom"), "panic text leaked: {text}");
    assert!(text.contains("/problems/internal"));
    drop(app);
}

#[tokio::test]
async fn expired_access_token_is_refused() {
    let app = TestApp::with_config(|c| c.catalog.access_token_ttl_s = 1).await;
    let user = app.user(Role::Listener).await;
    let ok = app.get("/api/v1/users/me").auth(&user).await;
    assert_eq!(ok.status, StatusCode::OK);
    let issued = now_secs();
    while now_secs() < issued + 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.get("/api/v1/users/me")
        .auth(&user)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED);
}
