//! The harness every server test uses: a fresh application over a temporary data directory
//! (SQLite catalog, local blobs, search index; rate limits off unless a test turns them on;
//! `BACKBEAT_TEST_SERVER_DATABASE_URL` swaps the catalog for another database),
//! driven through `tower::ServiceExt::oneshot` without sockets — or served on a real port
//! with [`TestApp::spawn`] for tests that need a real HTTP client.

#![allow(dead_code)] // Each test module uses its own part of the harness.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use backbeat_catalog::accounts::password;
use backbeat_server::config::HttpConfig;
use backbeat_server::state::AppState;
use backbeat_store::{NewUser, Role};
use bytes::Bytes;
use serde_json::{json, Value};
use tower::ServiceExt as _;

/// The peer address requests come from unless a test says otherwise.
pub const DEFAULT_PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));

/// What a test may change before its application is assembled: the sections the binary's
/// configuration would fill.
#[derive(Debug, Clone)]
pub struct TestConfig {
    pub http: HttpConfig,
    pub catalog: backbeat_catalog::CatalogConfig,
    /// Default: SQLite in the test's data directory.
    pub database_url: Option<String>,
    /// External jobs added to the built-in graph.
    pub jobs_file: Option<std::path::PathBuf>,
    /// Run pipeline workers in the test process.
    pub workers: bool,
    /// A JetStream queue (`nats://…` URL and stream) instead of the embedded one.
    pub jetstream: Option<(String, String)>,
    /// Deliveries after which a failing job is dead-lettered (default: the engine's).
    pub max_deliver: Option<u32>,
    /// The tagger's models folder (default: the installed models).
    pub models_dir: Option<std::path::PathBuf>,
}

impl Default for TestConfig {
    fn default() -> Self {
        Self {
            http: HttpConfig::default(),
            catalog: backbeat_catalog::CatalogConfig::default(),
            database_url: None,
            jobs_file: None,
            workers: true,
            jetstream: None,
            max_deliver: None,
            models_dir: None,
        }
    }
}

/// A fresh application with its own data directory.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    /// Pipeline workers in this process, as `serve` runs them (unless the config says not).
    pub workers: Option<backbeat_pipeline::Workers>,
    /// Deleted when the app is dropped.
    pub dir: tempfile::TempDir,
    /// The database behind the stores, for tests that set up what the pipeline would write.
    pub db: backbeat_store::sql::SqlCatalog,
}

/// A response, body collected.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A registered user and a valid access token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub password: String,
    pub role: Role,
    /// An access token (JWT).
    pub token: String,
    /// A refresh token (admins made through the store have none).
    pub refresh_token: Option<String>,
}

/// A server listening on a real port (see [`TestApp::spawn`]).
pub struct Spawned {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Spawned {
    /// Triggers a graceful shutdown without waiting for it.
    pub fn trigger_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Shuts down gracefully and waits until the server has stopped.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.trigger_shutdown();
        Ok(self.handle.await??)
    }

    /// `true` once the server task has finished.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

/// A unique e-mail address for this test process.
pub fn unique_email(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}@example.org", std::process::id())
}

impl TestApp {
    /// An application with the test defaults (rate limits off).
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    /// An application with the test defaults changed by `f` (which may turn limits back on).
    pub async fn with_config(f: impl FnOnce(&mut TestConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temporary data directory");
        Self::in_dir(dir, f).await
    }

    /// Like [`TestApp::with_config`], with `dir` as the data directory (e.g. a small file
    /// system mounted there).
    pub async fn in_dir(dir: tempfile::TempDir, f: impl FnOnce(&mut TestConfig)) -> Self {
        let mut config = TestConfig::default();
        config.http.rate_limits.enabled = false;
        // Run the same suite on another database (e.g. a PostgreSQL one made for the run);
        // every test uses unique e-mail addresses, so tests can share it.
        if let Ok(url) = std::env::var("BACKBEAT_TEST_SERVER_DATABASE_URL") {
            config.database_url = Some(url);
        }
        f(&mut config);
        config.http.validate().expect("test configuration is valid");
        let workers_on = config.workers;
        let http = config.http.clone();
        let (catalog, db) = crate::wiring::open_catalog(config, dir.path())
            .await
            .expect("opening the catalog");
        // As the binary's wiring does, without the tagger's vocabularies (the server crate
        // does not depend on the tagger): schemas here name their labels.
        let annotation = backbeat_annotate::engine::Annotation::new(
            std::sync::Arc::new(db.clone()),
            std::sync::Arc::new(backbeat_annotate::schema::NoVocabularies),
        );
        let workers =
            workers_on.then(|| backbeat_pipeline::Workers::start(catalog.pipeline().clone()));
        let state = AppState::new(catalog, annotation, http);
        let router = backbeat_server::router(state.clone());
        Self {
            state,
            router,
            workers,
            dir,
            db,
        }
    }

    /// Sends a request from [`DEFAULT_PEER`] (adds `ConnectInfo` unless the request has one).
    pub async fn send(&self, mut req: Request<Body>) -> TestResponse {
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(DEFAULT_PEER, 40_000)));
        }
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router is infallible");
        TestResponse::read(res).await
    }

    /// A request with an optional bearer token and JSON body, from [`DEFAULT_PEER`].
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        self.call_from(DEFAULT_PEER, method, uri, token, body).await
    }

    /// Like [`TestApp::call`] from another client address (for per-IP limits).
    pub async fn call_from(
        &self,
        peer: IpAddr,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut req = request(method, uri, token, body);
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(peer, 40_000)));
        self.send(req).await
    }

    /// A new user of `role` with a valid access token. Listeners and artists register through
    /// the API; admins (who cannot self-register) are created through the store.
    pub async fn user(&self, role: Role) -> TestUser {
        let email = unique_email(role.as_str());
        let password = "correct horse battery".to_string();
        if role == Role::Admin {
            let hash = password::hash(password.clone()).await.expect("hashing");
            let user = self
                .state
                .catalog
                .parts()
                .stores
                .accounts
                .create_user(NewUser {
                    email: email.clone(),
                    display_name: "Admin".into(),
                    password_hash: hash,
                    role,
                })
                .await
                .expect("creating an admin");
            let token = self
                .state
                .catalog
                .accounts()
                .tokens()
                .issue_access(
                    user.id,
                    role,
                    user.token_epoch,
                    backbeat_catalog::accounts::tokens::now_secs(),
                )
                .expect("issuing a token");
            return TestUser {
                id: user.id,
                email,
                password,
                role,
                token,
                refresh_token: None,
            };
        }
        let res = self
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({
                    "email": email, "password": password,
                    "displayName": format!("Test {}", role.as_str()), "role": role.as_str(),
                })),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "register: {}", res.text());
        let body = res.json();
        TestUser {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            email,
            password,
            role,
            token: body["accessToken"].as_str().unwrap().to_string(),
            refresh_token: body["refreshToken"].as_str().map(str::to_string),
        }
    }

    /// Serves this application on `127.0.0.1:<free port>` (with a graceful-shutdown handle).
    pub async fn spawn(&self) -> Spawned {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a free port");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = self.state.clone();
        // As `backbeat serve` does: the queue-depth gauge is kept current next to the server.
        let depth = tokio::spawn(backbeat_pipeline::workers::poll_depth(
            state.catalog.pipeline().clone(),
        ));
        let handle = tokio::spawn(async move {
            let served = backbeat_server::serve::serve_on(listener, state, async {
                let _ = rx.await;
            })
            .await;
            depth.abort();
            served
        });
        Spawned {
            base_url: format!("http://{addr}"),
            addr,
            shutdown: Some(tx),
            handle,
        }
    }
}

/// Builds a request with an optional bearer token and JSON body.
pub fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(&v).unwrap())),
        None => b.body(Body::empty()),
    }
    .expect("a valid request")
}

impl TestResponse {
    /// The body as JSON (panics with the body text if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem document with this status: the content type, and `type`,
    /// `title` and `status` members. Returns the document.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "status {status}"
        );
        let p = self.json();
        assert_eq!(p["status"], status.as_u16(), "{p}");
        assert!(
            p["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("/problems/")),
            "{p}"
        );
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()), "{p}");
        p
    }
}

impl TestResponse {
    /// Reads a router's whole response.
    pub async fn read(res: axum::response::Response) -> TestResponse {
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("reading the response body");
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}
