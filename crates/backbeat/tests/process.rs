//! `backbeat serve` as a real process, and a plain HTTP/1.1 client over `TcpStream`: what the
//! start-up tests and the fault-injection suite share. Plain sockets, because a fault test must
//! be able to stop half-way through a request.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

/// A port nothing listens on right now (bound, read, released).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    l.local_addr().expect("local addr").port()
}

/// The start of an HTTP/1.1 request (`Connection: close`) whose body is `len` bytes; the
/// caller writes the body.
pub fn request_head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    len: usize,
) -> String {
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n{auth}\
         content-type: {content_type}\r\ncontent-length: {len}\r\n\r\n"
    )
}

/// Reads a whole reply (the server closes the connection); returns status and the JSON
/// object of the body (or the body as is).
pub fn read_reply(s: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("reading the reply");
    let reply = String::from_utf8_lossy(&raw);
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

/// One HTTP/1.1 exchange with a JSON (or empty) body; returns status and body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    send(
        addr,
        method,
        path,
        token,
        "application/json",
        body.as_bytes(),
    )
}

/// One HTTP/1.1 exchange with any body.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connecting");
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let head = request_head(addr, method, path, token, content_type, body.len());
    s.write_all(head.as_bytes()).expect("writing the request");
    s.write_all(body).expect("writing the body");
    read_reply(&mut s)
}

/// Waits for `/healthz` to answer 200 (the server opens its catalog after binding).
pub fn wait_healthy(addr: SocketAddr, child: &mut Child) {
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

/// The path and query of an absolute URL (`http://host/p?q` → `/p?q`).
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}
