//! Fault injection: `backbeat serve` killed with SIGKILL at the worst moments of the write
//! paths, restarted on the same data, on SQLite and on PostgreSQL. Whatever the moment, nothing
//! half-written becomes visible, no slot stays unusable for longer than its lock's lease, and
//! the client's retry succeeds.
//!
//! - during a PUT: the body was half sent; the key holds no bytes, the same URL takes the
//!   whole upload after the restart and a track is made from it;
//! - during a claim (`POST /tracks` between locking the slot and claiming it, watched in the
//!   database): after the restart the dead request's lock keeps the slot busy (`409`) only
//!   until its lease ends, then the retry makes exactly one track, whose audio is the upload.
//!
//! PostgreSQL tests get a database of their own (`backbeat_store::testing`); unreachable, they
//! print `SKIP` unless `BACKBEAT_REQUIRE_SERVICES=1`.

use std::fs::File;
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::testing::TestDb;
use backbeat_store::{now_millis, SlotState};
use serde_json::Value;

use crate::common::scratch;
use crate::process::{free_port, http, path_of, read_reply, request_head, send, wait_healthy};

/// The slot lock's lease (`backbeat-catalog`'s `slot_lock::LEASE_MS`) plus slack: how long a
/// dead request may keep a slot busy.
const LEASE: Duration = Duration::from_secs(35);

/// A `backbeat serve` process on a data directory (and optionally a PostgreSQL database) that
/// can be killed and started again on the same port, so signed URLs stay valid.
struct Server {
    data: PathBuf,
    database_url: Option<String>,
    addr: SocketAddr,
    child: Option<Child>,
}

impl Server {
    fn start(data: &Path, database_url: Option<&str>) -> Server {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("address");
        let mut s = Server {
            data: data.to_path_buf(),
            database_url: database_url.map(str::to_string),
            addr,
            child: None,
        };
        s.restart();
        s
    }

    /// Starts the process (again). No workers: the suite is about the request paths.
    fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.data.join("serve.log"))
            .expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbeat"));
        cmd.args(["serve", "--workers", "false", "--bind"])
            .arg(self.addr.to_string())
            .arg("--data-dir")
            .arg(&self.data)
            .env_remove("BACKBEAT_PUBLIC_URL")
            .env_remove("BACKBEAT_CONFIG")
            .env_remove("BACKBEAT_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(url) = &self.database_url {
            cmd.env("BACKBEAT_DATABASE_URL", url);
        }
        let mut child = cmd.spawn().expect("starting backbeat serve");
        wait_healthy(self.addr, &mut child);
        self.child = Some(child);
    }

    /// SIGKILL: no clean-up of any kind runs.
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("SIGKILL");
            c.wait().expect("reaping");
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("serve.log")).unwrap_or_default()
    }

    /// The catalog database as the server sees it, opened from the test.
    async fn catalog(&self) -> SqlCatalog {
        let url = match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data.join("catalog.db").display()),
        };
        SqlCatalog::connect(&url).await.expect("open the catalog")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An artist's token and an album of theirs.
fn artist_with_album(addr: SocketAddr) -> (String, String) {
    let body = r#"{"email":"fault@example.com","password":"s3cret-enough","displayName":"F","role":"artist"}"#;
    let (status, reply) = http(addr, "POST", "/api/v1/auth/register", None, body);
    assert_eq!(status, 201, "{reply}");
    let token = json(&reply)["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_string();
    let (status, reply) = http(
        addr,
        "POST",
        "/api/v1/artists",
        Some(&token),
        r#"{"name":"Faults"}"#,
    );
    assert_eq!(status, 201, "{reply}");
    let artist = json(&reply)["id"].as_str().expect("id").to_string();
    let (status, reply) = http(
        addr,
        "POST",
        "/api/v1/albums",
        Some(&token),
        &format!(r#"{{"artistId":"{artist}","title":"Killed"}}"#),
    );
    assert_eq!(status, 201, "{reply}");
    let album = json(&reply)["id"].as_str().expect("id").to_string();
    (token, album)
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// `(uploadUrl, trackUrl)` of a new slot.
fn slot(addr: SocketAddr, token: &str) -> (String, String) {
    let (status, reply) = http(addr, "GET", "/api/v1/tracks/upload-url", Some(token), "");
    assert_eq!(status, 200, "{reply}");
    let v = json(&reply);
    (
        v["uploadUrl"].as_str().expect("uploadUrl").to_string(),
        v["trackUrl"].as_str().expect("trackUrl").to_string(),
    )
}

/// A 16-bit stereo WAV of `secs` seconds of noise (a fixed generator: the same bytes each run).
fn noise_wav(secs: u32) -> Vec<u8> {
    let rate = 44_100u32;
    let frames = rate * secs;
    let data_len = frames * 4;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let mut x: u32 = 0x2545_f491;
    for _ in 0..frames * 2 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        out.extend_from_slice(&(((x >> 16) as i16) / 4).to_le_bytes());
    }
    out
}

fn put(addr: SocketAddr, upload_url: &str, bytes: &[u8]) -> (u16, String) {
    send(
        addr,
        "PUT",
        path_of(upload_url),
        None,
        "application/octet-stream",
        bytes,
    )
}

fn create_track(addr: SocketAddr, token: &str, album: &str, track_url: &str) -> (u16, String) {
    let body = format!(r#"{{"albumId":"{album}","title":"Survivor","trackUrl":"{track_url}"}}"#);
    http(addr, "POST", "/api/v1/tracks", Some(token), &body)
}

/// The tracks of `album`, as the API lists them.
fn album_tracks(addr: SocketAddr, token: &str, album: &str) -> Vec<Value> {
    let (status, reply) = http(
        addr,
        "GET",
        &format!("/api/v1/tracks?albumId={album}"),
        Some(token),
        "",
    );
    assert_eq!(status, 200, "{reply}");
    let v = json(&reply);
    v.get("items")
        .and_then(Value::as_array)
        .or_else(|| v.as_array())
        .cloned()
        .unwrap_or_else(|| panic!("a track list: {reply}"))
}

/// The object key of an upload URL (`/blobs/<key>?…`).
fn key_of(upload_url: &str) -> String {
    let path = path_of(upload_url);
    let path = path.split('?').next().unwrap_or(path);
    path.trim_start_matches("/blobs/").to_string()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/// SIGKILL with half of a 4 MiB body sent.
fn killed_during_a_put(data: &Path, db: Option<&TestDb>) {
    let mut server = Server::start(data, db.map(|d| d.url.as_str()));
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    let (upload_url, track_url) = slot(addr, &token);
    let audio = noise_wav(24); // 4.2 MB

    let mut s = TcpStream::connect(addr).expect("connecting");
    let head = request_head(
        addr,
        "PUT",
        path_of(&upload_url),
        None,
        "application/octet-stream",
        audio.len(),
    );
    s.write_all(head.as_bytes()).expect("head");
    s.write_all(&audio[..audio.len() / 2])
        .expect("half the body");
    s.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(500));
    server.kill9();
    drop(s);

    let key = key_of(&upload_url);
    let visible = data.join("blobs").join(&key);
    assert!(
        !visible.exists(),
        "half an upload became visible at {}",
        visible.display()
    );

    server.restart();
    // Nothing landed: a track cannot be made from the slot yet.
    let (status, reply) = create_track(addr, &token, &album, &track_url);
    assert_eq!(status, 422, "{reply}");
    // The same URL takes the whole upload, and the track is made from it.
    let (status, reply) = put(addr, &upload_url, &audio);
    assert_eq!(status, 200, "{reply}\n{}", server.log());
    let (status, reply) = create_track(addr, &token, &album, &track_url);
    assert_eq!(status, 201, "{reply}\n{}", server.log());
    assert_eq!(
        std::fs::metadata(&visible).expect("the upload").len(),
        audio.len() as u64
    );
}

/// SIGKILL while `POST /tracks` holds the slot's lock, before its claim commits.
fn killed_during_a_claim(data: &Path, db: Option<&TestDb>) {
    let rt = rt();
    let mut server = Server::start(data, db.map(|d| d.url.as_str()));
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    let (upload_url, track_url) = slot(addr, &token);
    // Long enough that the check takes a while after the lock is taken.
    let audio = noise_wav(600);
    let (status, reply) = put(addr, &upload_url, &audio);
    assert_eq!(status, 200, "{reply}");
    let key = key_of(&upload_url);
    let catalog = rt.block_on(server.catalog());

    let request = {
        let (token, album, track_url) = (token.clone(), album.clone(), track_url.clone());
        std::thread::spawn(move || {
            // The connection dies with the server: any answer (or none) is fine.
            let body =
                format!(r#"{{"albumId":"{album}","title":"Survivor","trackUrl":"{track_url}"}}"#);
            let Ok(mut s) = TcpStream::connect(addr) else {
                return;
            };
            let head = request_head(
                addr,
                "POST",
                "/api/v1/tracks",
                Some(&token),
                "application/json",
                body.len(),
            );
            if s.write_all(head.as_bytes()).is_ok() && s.write_all(body.as_bytes()).is_ok() {
                let _ = std::panic::catch_unwind(move || read_reply(&mut s));
            }
        })
    };
    // Kill the moment the lock is seen held.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut caught = false;
    while Instant::now() < deadline && !request.is_finished() {
        let state = rt
            .block_on(catalog.upload_state(&key, now_millis()))
            .expect("slot state");
        if matches!(state, SlotState::Busy { .. }) {
            server.kill9();
            caught = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = request.join();
    assert!(
        caught,
        "the claim ended before the lock was seen: the check was too quick to catch \
         (make the upload longer)"
    );
    let locked = rt
        .block_on(catalog.upload_state(&key, now_millis()))
        .expect("slot state");
    assert!(
        matches!(locked, SlotState::Busy { .. }),
        "the dead request's lock: {locked:?}"
    );

    server.restart();
    assert!(
        album_tracks(addr, &token, &album).is_empty(),
        "a killed claim made a track"
    );
    // The retry is told to wait while the dead request's lease runs, then succeeds.
    let started = Instant::now();
    let created = loop {
        let (status, reply) = create_track(addr, &token, &album, &track_url);
        match status {
            201 => break json(&reply),
            409 if started.elapsed() < LEASE => std::thread::sleep(Duration::from_millis(500)),
            _ => panic!(
                "retry after {:?}: {status} {reply}\n{}",
                started.elapsed(),
                server.log()
            ),
        }
    };
    eprintln!(
        "the retry succeeded {:?} after the restart",
        started.elapsed()
    );
    let tracks = album_tracks(addr, &token, &album);
    assert_eq!(tracks.len(), 1, "{tracks:?}");
    assert_eq!(tracks[0]["id"], created["id"]);
    // The slot is used up: a late PUT is refused, the track keeps its audio.
    let (status, reply) = put(addr, &upload_url, b"NOT AUDIO");
    assert_eq!(status, 409, "{reply}");
    assert_eq!(
        std::fs::metadata(data.join("blobs").join(&key))
            .expect("the track's audio")
            .len(),
        audio.len() as u64
    );
}

// ---------------------------------------------------------------------------------------------
// The suite, on both databases

fn postgres(test: &str) -> Option<TestDb> {
    rt().block_on(backbeat_store::testing::postgres(test))
}

#[test]
fn sqlite_serve_killed_during_a_put() {
    killed_during_a_put(&scratch("fault-put-sqlite"), None);
}

#[test]
fn postgres_serve_killed_during_a_put() {
    let Some(db) = postgres("postgres_serve_killed_during_a_put") else {
        return;
    };
    killed_during_a_put(&scratch("fault-put-pg"), Some(&db));
}

#[test]
fn sqlite_serve_killed_during_a_claim() {
    killed_during_a_claim(&scratch("fault-claim-sqlite"), None);
}

#[test]
fn postgres_serve_killed_during_a_claim() {
    let Some(db) = postgres("postgres_serve_killed_during_a_claim") else {
        return;
    };
    killed_during_a_claim(&scratch("fault-claim-pg"), Some(&db));
}
