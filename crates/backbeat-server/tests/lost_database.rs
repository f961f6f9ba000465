//! A database lost under a running server (PostgreSQL: its connections terminated and new
//! ones refused) is an outage, not a bug: requests answer `503 /problems/unavailable` with
//! `Retry-After`, never `500 /problems/internal`, and the server recovers by itself once the
//! database accepts connections again. Skips with a notice when PostgreSQL is not reachable,
//! unless `BACKBEAT_REQUIRE_SERVICES=1`.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use backbeat_store::Role;
use serde_json::json;
use sqlx::{AnyConnection, Connection, Executor};

use crate::common::{TestApp, TestResponse};

const TEST: &str = "lost_database::a_lost_database_answers_503_and_recovers";

/// The server's PostgreSQL, as an administrator.
fn admin_url() -> String {
    std::env::var("BACKBEAT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn admin(url: &str) -> Result<AnyConnection, String> {
    sqlx::any::install_default_drivers();
    match tokio::time::timeout(Duration::from_secs(5), AnyConnection::connect(url)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

async fn run(admin: &mut AnyConnection, sql: &str) {
    admin
        .execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database of this test, made accessible again and dropped when the guard goes, also when
/// the test panics (on a thread of its own: the test's runtime may be unwinding).
struct Database {
    admin_url: String,
    name: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let Ok(mut a) = admin(&url).await else { return };
                let _ = a
                    .execute(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true").as_str())
                    .await;
                let _ = a
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
                let _ = a.close().await;
            });
        })
        .join();
    }
}

async fn new_artist(app: &TestApp, user: &crate::common::TestUser, i: u32) -> TestResponse {
    app.post("/api/v1/artists")
        .auth(user)
        .json(json!({ "name": format!("Artist {i}") }))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_answers_503_and_recovers() {
    let admin_url = admin_url();
    let mut admin = match admin(&admin_url).await {
        Ok(a) => a,
        Err(e) => {
            assert!(
                std::env::var("BACKBEAT_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "{TEST}: PostgreSQL not reachable at {admin_url}: {e}"
            );
            println!("SKIP: {TEST}: PostgreSQL not reachable");
            return;
        }
    };
    let name = format!("backbeat_lost_{}", uuid::Uuid::new_v4().simple());
    run(&mut admin, &format!("CREATE DATABASE {name}")).await;
    let db = Database {
        admin_url: admin_url.clone(),
        name: name.clone(),
    };
    let (base, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    let url = format!("{base}/{name}");
    let app = TestApp::with_config(|c| {
        c.database_url = Some(url);
        c.workers = false;
    })
    .await;
    let user = app.user(Role::Artist).await;
    assert_eq!(new_artist(&app, &user, 0).await.status, StatusCode::CREATED);

    // Lost: every connection cut, new ones refused.
    run(
        &mut admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    )
    .await;
    run(
        &mut admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await;
    for i in 1..4 {
        let r = new_artist(&app, &user, i).await;
        let p = r.assert_problem(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(p["type"], "/problems/unavailable", "{p}");
        assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    }
    let r = app.get("/api/v1/artists?limit=5").auth(&user).await;
    r.assert_problem(StatusCode::SERVICE_UNAVAILABLE);
    app.get("/readyz")
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE);

    // Back: the server recovers by itself.
    run(
        &mut admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut i = 10;
    loop {
        let r = new_artist(&app, &user, i).await;
        if r.status == StatusCode::CREATED {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery: {} {}",
            r.status,
            r.text()
        );
        i += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let _ = admin.close().await;
    drop(app);
    drop(db);
}
