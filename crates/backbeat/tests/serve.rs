//! `backbeat serve` as a new user starts it: the URLs it hands out must reach the server that
//! handed them out. (Once `--bind 127.0.0.1:18555` without `--public-url` gave upload URLs on
//! `127.0.0.1:8080`, which nothing served.)

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::common::scratch;
use crate::process::{free_port, http, wait_healthy};

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
    wait_healthy(addr, &mut child);
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
    wait_healthy(addr, &mut child);
    let url = upload_url(addr);
    let stderr = stop(child);
    let assumed = format!("http://127.0.0.1:{port}");
    assert!(url.starts_with(&format!("{assumed}/blobs/audio/")), "{url}");
    assert!(
        stderr.contains(&format!("signed URLs will use {assumed}")),
        "the wildcard notice is missing: {stderr}"
    );
}
