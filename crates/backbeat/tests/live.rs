//! A live `backbeat serve` process and the API calls the process-level suites share: sign up,
//! make an artist and an album, upload through a signed URL, create a track.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use backbeat_store::sql::SqlCatalog;
use serde_json::Value;

use crate::process::{free_port, http, path_of, send, wait_healthy};

/// A `backbeat serve` process on a data directory (and optionally a PostgreSQL database) that
/// can be killed and started again on the same port, so signed URLs stay valid.
pub struct Server {
    pub data: PathBuf,
    pub database_url: Option<String>,
    pub addr: SocketAddr,
    /// Whether the process runs the pipeline's workers (`--workers`).
    pub workers: bool,
    /// More flags for `serve`.
    pub args: Vec<String>,
    child: Option<Child>,
}

impl Server {
    /// A server without pipeline workers (the request paths only).
    pub fn start(data: &Path, database_url: Option<&str>) -> Server {
        Self::start_with(data, database_url, false)
    }

    /// A server that also runs the pipeline's workers when `workers` is set.
    pub fn start_with(data: &Path, database_url: Option<&str>, workers: bool) -> Server {
        Self::launch(data, database_url, workers, &[])
    }

    /// A server with workers, SQLite, and `args` added to `serve`'s flags.
    pub fn start_with_args(data: &Path, args: &[&str]) -> Server {
        Self::launch(data, None, true, args)
    }

    fn launch(data: &Path, database_url: Option<&str>, workers: bool, args: &[&str]) -> Server {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("address");
        let mut s = Server {
            data: data.to_path_buf(),
            database_url: database_url.map(str::to_string),
            addr,
            workers,
            args: args.iter().map(|a| a.to_string()).collect(),
            child: None,
        };
        s.restart();
        s
    }

    /// Starts the process (again), without pipeline workers.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.data.join("serve.log"))
            .expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbeat"));
        let workers = if self.workers { "true" } else { "false" };
        cmd.args(["serve", "--workers", workers, "--bind"])
            .arg(self.addr.to_string())
            .arg("--data-dir")
            .arg(&self.data)
            .args(&self.args)
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
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("SIGKILL");
            c.wait().expect("reaping");
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("serve.log")).unwrap_or_default()
    }

    /// The catalog database as the server sees it, opened from the test.
    pub async fn catalog(&self) -> SqlCatalog {
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
pub fn artist_with_album(addr: SocketAddr) -> (String, String) {
    let body = r#"{"email":"artist@example.com","password":"s3cret-enough","displayName":"F","role":"artist"}"#;
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

pub fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// `(uploadUrl, trackUrl)` of a new slot.
pub fn slot(addr: SocketAddr, token: &str) -> (String, String) {
    let (status, reply) = http(addr, "GET", "/api/v1/tracks/upload-url", Some(token), "");
    assert_eq!(status, 200, "{reply}");
    let v = json(&reply);
    (
        v["uploadUrl"].as_str().expect("uploadUrl").to_string(),
        v["trackUrl"].as_str().expect("trackUrl").to_string(),
    )
}

/// A 16-bit stereo WAV of `secs` seconds of noise (a fixed generator: the same bytes each run).
pub fn noise_wav(secs: u32) -> Vec<u8> {
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

pub fn put(addr: SocketAddr, upload_url: &str, bytes: &[u8]) -> (u16, String) {
    send(
        addr,
        "PUT",
        path_of(upload_url),
        None,
        "application/octet-stream",
        bytes,
    )
}

pub fn create_track(addr: SocketAddr, token: &str, album: &str, track_url: &str) -> (u16, String) {
    let body = format!(r#"{{"albumId":"{album}","title":"Survivor","trackUrl":"{track_url}"}}"#);
    http(addr, "POST", "/api/v1/tracks", Some(token), &body)
}

/// The tracks of `album`, as the API lists them.
pub fn album_tracks(addr: SocketAddr, token: &str, album: &str) -> Vec<Value> {
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
pub fn key_of(upload_url: &str) -> String {
    let path = path_of(upload_url);
    let path = path.split('?').next().unwrap_or(path);
    path.trim_start_matches("/blobs/").to_string()
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
