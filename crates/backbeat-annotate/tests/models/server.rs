//! A minimal HTTP/1.1 server on a real socket: answers each request with the next scripted
//! reply (the last one repeats) and records the request bodies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted reply.
#[derive(Clone)]
pub enum Reply {
    /// A status and a body with its `Content-Length`.
    Status(u16, String),
    /// 200 with a JSON body.
    Json(serde_json::Value),
    /// Wait, then reply.
    Delay(Duration, Box<Reply>),
    /// Exactly these bytes, then close (truncated, chunked, lying headers).
    Raw(Vec<u8>),
}

pub struct Server {
    pub url: String,
    /// Request bodies, in arrival order.
    pub bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Request heads, in arrival order.
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub async fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/predict", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (b, h) = (bodies.clone(), heads.clone());
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let reply = replies[n.min(replies.len() - 1)].clone();
                n += 1;
                tokio::spawn(serve(stream, reply, b.clone(), h.clone()));
            }
        });
        Server { url, bodies, heads }
    }

    pub fn requests(&self) -> usize {
        self.bodies.lock().unwrap().len()
    }

    pub fn body(&self, i: usize) -> serde_json::Value {
        serde_json::from_slice(&self.bodies.lock().unwrap()[i]).unwrap()
    }
}

/// One connection, one request (the client may not reuse it: `Connection: close`).
async fn serve(
    mut stream: TcpStream,
    reply: Reply,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    heads: Arc<Mutex<Vec<String>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    heads.lock().unwrap().push(head);
    bodies
        .lock()
        .unwrap()
        .push(buf[head_end..head_end + length].to_vec());
    let mut reply = reply;
    while let Reply::Delay(d, next) = reply {
        tokio::time::sleep(d).await;
        reply = *next;
    }
    let bytes = match reply {
        Reply::Status(status, body) => response(status, "text/plain", body.as_bytes()),
        Reply::Json(json) => response(200, "application/json", json.to_string().as_bytes()),
        Reply::Raw(bytes) => bytes,
        Reply::Delay(..) => return,
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}
