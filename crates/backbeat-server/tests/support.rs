//! Catalog helpers on top of the harness in `common.rs`: an artist with an album, an upload
//! through a signed URL, a track made from a fixture.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tower::ServiceExt as _;

use crate::common::{TestApp, TestResponse, TestUser, DEFAULT_PEER};

/// Bytes of a fixture from the audio crate (2-s C-major chord in several formats).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/formats")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The path and query of a URL the server handed out (tests drive the router directly).
pub fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match rest.find('/') {
        Some(i) => rest[i..].to_string(),
        None => "/".into(),
    }
}

/// A raw request through the router.
pub async fn raw(
    app: &TestApp,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> TestResponse {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Body::from(body)).expect("request");
    app.send(req).await
}

/// A PUT whose body the test sends part by part, as a slow client would, while other
/// requests run.
pub struct SlowPut {
    body: mpsc::Sender<Bytes>,
    answer: tokio::task::JoinHandle<TestResponse>,
}

impl SlowPut {
    /// Starts a PUT to `uri` and sends `first` then `second`. The body holds one part at a
    /// time, so `second` goes in only once the server has read `first`: when this returns,
    /// the server is reading the body, past every check it makes before.
    pub async fn begin(app: &TestApp, uri: &str, first: Bytes, second: Bytes) -> Self {
        let (tx, rx) = mpsc::channel::<Bytes>(1);
        let body = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
        });
        let mut req = Request::builder()
            .method(Method::PUT)
            .uri(uri)
            .body(Body::from_stream(body))
            .expect("request");
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(DEFAULT_PEER, 40_000)));
        let router = app.router.clone();
        let answer = tokio::spawn(async move {
            let res = router.oneshot(req).await.expect("the router is infallible");
            TestResponse::read(res).await
        });
        let put = Self { body: tx, answer };
        for part in [first, second] {
            put.body
                .send(part)
                .await
                .expect("the server answered before reading the whole body");
        }
        put
    }

    /// Sends the last part, ends the body, and returns the answer.
    pub async fn finish(self, last: Bytes) -> TestResponse {
        self.body
            .send(last)
            .await
            .expect("the server stopped reading");
        drop(self.body);
        self.answer.await.expect("the PUT task")
    }
}

/// Creates an artist and an album owned by `user`; returns (artist id, album id).
pub async fn artist_with_album(app: &TestApp, user: &TestUser) -> (String, String) {
    let r = app
        .post("/api/v1/artists")
        .auth(user)
        .json(json!({"name": "The Testers"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let artist = r.json()["id"].as_str().expect("artist id").to_string();
    let r = app
        .post("/api/v1/albums")
        .auth(user)
        .json(json!({"artistId": artist, "title": "First Light"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    (
        artist,
        r.json()["id"].as_str().expect("album id").to_string(),
    )
}

/// Gets an upload URL (or an update URL for `track`) and PUTs `bytes` to it; returns the
/// upload-url answer.
pub async fn upload(app: &TestApp, user: &TestUser, bytes: Vec<u8>, track: Option<&str>) -> Value {
    let uri = match track {
        None => "/api/v1/tracks/upload-url".to_string(),
        Some(id) => format!("/api/v1/tracks/update-url/{id}"),
    };
    let r = app.get(&uri).auth(user).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let slot = r.json();
    let put = raw(
        app,
        Method::PUT,
        &path_of(slot["uploadUrl"].as_str().expect("uploadUrl")),
        &[],
        bytes,
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    slot
}

/// Uploads `bytes` and creates a track on `album`; returns the response.
pub async fn create_track(
    app: &TestApp,
    user: &TestUser,
    album: &str,
    title: &str,
    bytes: Vec<u8>,
) -> TestResponse {
    let slot = upload(app, user, bytes, None).await;
    app.post("/api/v1/tracks")
        .auth(user)
        .json(json!({"albumId": album, "title": title, "trackUrl": slot["trackUrl"]}))
        .await
}

/// A ready track from the MP3 fixture (processed by the pipeline); returns its id.
pub async fn track(app: &TestApp, user: &TestUser, album: &str) -> String {
    let r = create_track(app, user, album, "Chord Study", fixture("chord.mp3")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().expect("track id").to_string();
    let jobs = processed(app, user, &id).await;
    assert_eq!(jobs["status"], "ready", "{jobs:#}");
    id
}

/// Waits until the pipeline has finished with track `id` (its status is no longer
/// `processing` and no job is pending or running); returns its jobs document, read as
/// `user` (an owner or admin). Panics after 60 s.
pub async fn processed(app: &TestApp, user: &TestUser, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let r = app
            .get(format!("/api/v1/tracks/{id}/jobs"))
            .auth(user)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let v = r.json();
        let busy = v["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .any(|j| matches!(j["state"].as_str(), Some("pending" | "running")));
        if v["status"] != "processing" && !busy {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "track {id} still processing after 60 s: {v:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Every file under the blob folder (relative paths), to check nothing was left behind.
pub fn blob_files(app: &TestApp) -> Vec<String> {
    files_in(app, "blobs")
}

/// The upload check's copies in the scratch folder, which must not outlive the check. (The
/// pipeline's job folders there come and go on their own schedule.)
pub fn upload_check_copies(app: &TestApp) -> Vec<String> {
    files_in(app, "scratch")
        .into_iter()
        .filter(|f| f.starts_with("upload-check-"))
        .collect()
}

/// Every file under `folder` of the data directory, as sorted relative paths.
fn files_in(app: &TestApp, folder: &str) -> Vec<String> {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap_or(&p).display().to_string());
            }
        }
    }
    let base = app.dir.path().join(folder);
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out.sort();
    out
}

/// The blob files that are audio (uploads and claimed tracks), leaving out the pipeline's
/// derived artifacts under `derived/`.
pub fn audio_blobs(app: &TestApp) -> Vec<String> {
    blob_files(app)
        .into_iter()
        .filter(|f| !f.starts_with("derived/"))
        .collect()
}

/// The text of output `output` of job `job` for track `id`, at the job's current version,
/// read through the blob store like any other client of it.
pub async fn derived(app: &TestApp, id: &str, job: &str, output: &str) -> String {
    let spec = app
        .state
        .catalog
        .pipeline()
        .graph
        .job(job)
        .expect("a job of the graph");
    let key =
        backbeat_pipeline::artifacts::output_key(id.parse().unwrap(), job, spec.version, output);
    let bytes = app
        .state
        .catalog
        .parts()
        .blobs
        .read_small(&key, 1 << 20)
        .await
        .unwrap_or_else(|e| panic!("{key}: {e}"));
    String::from_utf8(bytes.to_vec()).expect("a text output")
}
