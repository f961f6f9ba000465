//! `backbeat serve` as a new user starts it: the URLs it hands out must reach the server that
//! handed them out. (Once `--bind 127.0.0.1:18555` without `--public-url` gave upload URLs on
//! `127.0.0.1:8080`, which nothing served.)

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::scratch;

/// A port nothing listens on right now (bound, read, released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    l.local_addr().expect("local addr").port()
}

/// `backbeat serve --bind BIND` on its own data directory, no workers, no public URL; stderr
/// is captured so the wildcard notice can be read.
fn serve(bind: &str, data: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args(["serve", "--bind", bind, "--workers", "false", "--data-dir"])
        .arg(data)
        .env_remove("BACKBEAT_PUBLIC_URL")
        .env_remove("BACKBEAT_CONFIG")
        .env_remove("BACKBEAT_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting backbeat serve")
}

/// One HTTP/1.1 exchange (`Connection: close`); returns status and body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connecting");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n{auth}\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("writing the request");
    let mut reply = String::new();
    s.read_to_string(&mut reply).expect("reading the reply");
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // Chunked bodies: the JSON object sits between the first `{` and the last `}`.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if a < b => body[a..=b].to_string(),
        _ => body.to_string(),
    };
    (status, json)
}

/// Waits for `/healthz` to answer 200 (the server opens its catalog after binding).
fn wait_ready(addr: SocketAddr, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("backbeat serve exited early: {status}");
        }
        if TcpStream::connect(addr).is_ok() && http(addr, "GET", "/healthz", None, "").0 == 200 {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("backbeat serve did not become healthy on {addr}");
}

/// Registers an artist and asks for an upload slot; returns the upload URL.
fn upload_url(addr: SocketAddr) -> String {
    let body = r#"{"email":"new@example.com","password":"s3cret-enough","displayName":"New","role":"artist"}"#;
    let (status, reply) = http(addr, "POST", "/api/v1/auth/register", None, body);
    assert_eq!(status, 201, "{reply}");
    let v: serde_json::Value = serde_json::from_str(&reply).expect("registration JSON");
    let token = v["accessToken"].as_str().expect("accessToken");
    let (status, reply) = http(addr, "GET", "/api/v1/tracks/upload-url", Some(token), "");
    assert_eq!(status, 200, "{reply}");
    let v: serde_json::Value = serde_json::from_str(&reply).expect("upload-url JSON");
    v["uploadUrl"].as_str().expect("uploadUrl").to_string()
}

fn stop(mut child: Child) -> String {
    child.kill().ok();
    child.wait().ok();
    let mut err = String::new();
    if let Some(e) = child.stderr.take() {
        for line in BufReader::new(e).lines().map_while(Result::ok) {
            err.push_str(&line);
            err.push('\n');
        }
    }
    err
}

#[test]
fn without_a_public_url_signed_urls_point_at_the_bound_address() {
    let data = scratch("serve-bound");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
    let mut child = serve(&addr.to_string(), &data);
    wait_ready(addr, &mut child);
    let url = upload_url(addr);
    let stderr = stop(child);
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{port}/blobs/audio/")),
        "{url}\n{stderr}"
    );
    assert!(!stderr.contains("signed URLs will use"), "{stderr}");
}

#[test]
fn a_wildcard_bind_says_which_url_it_assumes() {
    let data = scratch("serve-wildcard");
    let port = free_port();
    let mut child = serve(&format!("0.0.0.0:{port}"), &data);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
    wait_ready(addr, &mut child);
    let url = upload_url(addr);
    let stderr = stop(child);
    let assumed = format!("http://127.0.0.1:{port}");
    assert!(url.starts_with(&format!("{assumed}/blobs/audio/")), "{url}");
    assert!(
        stderr.contains(&format!("signed URLs will use {assumed}")),
        "the wildcard notice is missing: {stderr}"
    );
}
