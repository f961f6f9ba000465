//! Slow and half-open clients, over real sockets: a request head that never ends, a body that
//! stalls or trickles, and more connections from one client than it may hold. Limits are set
//! to a second or two here so the tests stay short; the defaults are in `ClientLimits`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use backbeat_store::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestApp;
use crate::protocol as api;
use crate::support::{blob_files, path_of};

/// Reads until the server closes the connection (EOF or reset) or `within` passes; the bytes
/// received, or `None` if the connection was still open.
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read_all).await.ok()?;
    Some(got)
}

/// Sends `GET /healthz` on `s` and returns the status line of the answer.
async fn healthz(s: &mut TcpStream) -> String {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        assert!(n > 0, "closed before answering");
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    text.lines().next().unwrap_or_default().to_string()
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connecting")
}

#[tokio::test]
async fn a_request_head_that_never_ends_and_a_silent_connection_are_closed_in_time() {
    let app = TestApp::with_config(|c| c.http.client_limits.header_read_timeout_s = 1).await;
    let server = app.spawn().await;
    let mut partial = connect(server.addr).await;
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let mut silent = connect(server.addr).await;
    let started = Instant::now();
    for s in [&mut partial, &mut silent] {
        assert!(
            read_until_closed(s, Duration::from_secs(4)).await.is_some(),
            "the connection was still open after 4 s (limit: 1 s)"
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(900));
    // A client that sends its request in time is served.
    assert_eq!(
        healthz(&mut connect(server.addr).await).await,
        "HTTP/1.1 200 OK"
    );
    server.stop().await.unwrap();
}

/// Opens an upload slot and begins its PUT on a raw socket with `first` as the start of a body
/// of `total` bytes.
async fn begin_put(app: &TestApp, addr: SocketAddr, first: &[u8], total: usize) -> TcpStream {
    let a = app.user(Role::Artist).await;
    let r = app.get(api::UPLOAD_URL).auth(&a).await;
    let put = path_of(r.json()["uploadUrl"].as_str().expect("uploadUrl"));
    let mut s = connect(addr).await;
    let head = format!("PUT {put} HTTP/1.1\r\nHost: test\r\nContent-Length: {total}\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(first).await.unwrap();
    s
}

/// Asserts a raw answer is a 408 problem whose detail mentions `detail`, closing the
/// connection.
#[track_caller]
fn assert_timed_out(answer: &[u8], detail: &str) {
    let text = String::from_utf8_lossy(answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("/problems/request-timeout"), "{text}");
    assert!(text.contains(detail), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
}

#[tokio::test]
async fn an_upload_whose_body_stalls_gets_408_and_leaves_nothing() {
    let app = TestApp::with_config(|c| c.http.client_limits.body_idle_timeout_s = 2).await;
    let server = app.spawn().await;
    // Over one part (1 MiB), so the body is staged as a multipart upload, then silence.
    let first = vec![b'x'; (1 << 20) + 4096];
    let mut s = begin_put(&app, server.addr, &first, 4 << 20).await;
    let started = Instant::now();
    // The upload is being staged while the client is silent...
    while blob_files(&app).is_empty() && started.elapsed() < Duration::from_millis(1500) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!blob_files(&app).is_empty(), "nothing was staged");
    // ...until the idle limit, which fails the request and throws the staging away.
    let answer = read_until_closed(&mut s, Duration::from_secs(6))
        .await
        .expect("the connection was still open 6 s after the body stalled (limit: 2 s)");
    assert_timed_out(&answer, "no byte of the body arrived for 2 s");
    assert!(started.elapsed() >= Duration::from_millis(1900));
    assert!(blob_files(&app).is_empty(), "{:?}", blob_files(&app));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_upload_that_trickles_past_the_total_duration_gets_408() {
    let app = TestApp::with_config(|c| {
        c.http.client_limits.body_idle_timeout_s = 1;
        c.http.client_limits.max_upload_duration_s = 2;
    })
    .await;
    let server = app.spawn().await;
    let s = begin_put(&app, server.addr, b"x", 1000).await;
    let started = Instant::now();
    let (mut from_server, mut to_server) = s.into_split();
    // The answer is read as soon as it comes, before a later byte could make the server's
    // side reset the connection.
    let answer = tokio::spawn(async move {
        let mut got = Vec::new();
        let _ = from_server.read_to_end(&mut got).await;
        got
    });
    // A byte every 300 ms: never idle for a second, but never done either.
    while !answer.is_finished() {
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "still reading the body after 6 s (limit: 2 s)"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        if to_server.write_all(b"x").await.is_err() {
            break;
        }
    }
    let answer = tokio::time::timeout(Duration::from_secs(2), answer)
        .await
        .expect("the connection was closed")
        .unwrap();
    assert_timed_out(&answer, "the body took longer than 2 s to arrive");
    assert!(blob_files(&app).is_empty(), "{:?}", blob_files(&app));
    server.stop().await.unwrap();
}

/// Only 127.0.0.1 is at hand here: the cap of one client is shown on it, and that other
/// clients are unaffected by the gate's unit tests (`serve/gate.rs`).
#[tokio::test]
async fn connections_over_the_per_client_cap_are_closed_at_once() {
    let app = TestApp::with_config(|c| c.http.client_limits.max_connections_per_ip = 3).await;
    let server = app.spawn().await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = connect(server.addr).await;
        // Served, so certainly admitted (and counted) before the next one connects.
        assert_eq!(healthz(&mut s).await, "HTTP/1.1 200 OK");
        held.push(s);
    }
    let mut extra = connect(server.addr).await;
    let started = Instant::now();
    let answer = read_until_closed(&mut extra, Duration::from_secs(2))
        .await
        .expect("the connection over the cap was still open after 2 s");
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(started.elapsed() < Duration::from_secs(1));
    // The connections within the cap are still served, and the refusal is counted.
    assert_eq!(healthz(&mut held[0]).await, "HTTP/1.1 200 OK");
    let metrics = app.get("/metrics").await.text();
    assert!(
        metrics.contains("http_connections_refused_total 1"),
        "{metrics}"
    );
    // Once one closes, its place is free again.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let mut s = connect(server.addr).await;
        let admitted = async {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                .await
                .ok()?;
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).await.ok()?;
            (n > 0).then_some(())
        };
        if admitted.await.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a freed place was not given back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await.unwrap();
}
