//! One attempt at a request: an HTTP POST or a command run, under a timeout, reading at most
//! the response cap.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::config::{CommandConfig, HttpConfig};

/// How to reach an external model.
#[derive(Debug)]
pub(crate) enum Transport {
    Http {
        client: reqwest::Client,
        url: String,
        headers: Vec<(String, String)>,
    },
    Command {
        program: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
    },
}

/// Why one attempt failed.
#[derive(Debug)]
pub(crate) enum Failure {
    Timeout,
    Connect(String),
    Status(u16, String),
    Spawn(String),
    Exit(String, String),
    TooLarge,
    Read(String),
}

impl Failure {
    /// Worth another attempt: the backend may be restarting or overloaded.
    pub(crate) fn retryable(&self) -> bool {
        match self {
            Failure::Timeout | Failure::Connect(_) | Failure::Read(_) => true,
            Failure::Status(status, _) => *status >= 500,
            Failure::Spawn(_) | Failure::Exit(..) | Failure::TooLarge => false,
        }
    }
}

/// The most of an error body or stderr kept for the message.
const DETAIL_BYTES: usize = 2048;

impl Transport {
    /// The client for an endpoint; the error names the setting at fault.
    pub(crate) fn http(config: &HttpConfig) -> Result<Transport, (&'static str, String)> {
        let url = reqwest::Url::parse(config.url.trim())
            .map_err(|e| ("url", format!("{:?}: {e}", config.url)))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(("url", format!("{:?} has no host", config.url)));
        }
        for (name, value) in &config.headers {
            let ok = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && reqwest::header::HeaderValue::from_str(value).is_ok();
            if !ok {
                return Err(("headers", format!("{name:?} is not a valid header")));
            }
        }
        let timeout = config.limits.timeout();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| ("url", e.to_string()))?;
        Ok(Transport::Http {
            client,
            url: url.to_string(),
            headers: config.headers.clone().into_iter().collect(),
        })
    }

    pub(crate) fn command(config: &CommandConfig) -> Transport {
        Transport::Command {
            program: config.program.clone(),
            args: config.args.clone(),
            env: config.env.clone().into_iter().collect(),
        }
    }

    /// Sends `body` once; the response body, at most `cap` bytes.
    pub(crate) async fn attempt(
        &self,
        body: &[u8],
        timeout: Duration,
        cap: u64,
    ) -> Result<Vec<u8>, Failure> {
        let run = async {
            match self {
                Transport::Http {
                    client,
                    url,
                    headers,
                } => post(client, url, headers, body, cap).await,
                Transport::Command { program, args, env } => {
                    run_command(program, args, env, body, cap).await
                }
            }
        };
        // reqwest has its own timeout; this one also bounds the command, whose child is
        // killed when the future is dropped.
        tokio::time::timeout(timeout, run)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    cap: u64,
) -> Result<Vec<u8>, Failure> {
    let mut request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let mut response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Connect(error_chain(&e))
        }
    })?;
    let status = response.status();
    if !status.is_success() {
        let mut detail = Vec::new();
        while detail.len() < DETAIL_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => detail.extend_from_slice(&chunk),
                _ => break,
            }
        }
        detail.truncate(DETAIL_BYTES);
        return Err(Failure::Status(
            status.as_u16(),
            String::from_utf8_lossy(&detail).trim().to_string(),
        ));
    }
    if response.content_length().is_some_and(|n| n > cap) {
        return Err(Failure::TooLarge);
    }
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() as u64 + chunk.len() as u64 > cap {
                    return Err(Failure::TooLarge);
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) if e.is_timeout() => return Err(Failure::Timeout),
            Err(e) => return Err(Failure::Read(error_chain(&e))),
        }
    }
}

/// An error with its causes (reqwest's own message is often just "error sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Kills a command's whole process group (a shell script's children too) unless disarmed:
/// on timeout, on a too-large response, or when the caller gives up.
struct GroupKill(Option<i32>);

impl Drop for GroupKill {
    fn drop(&mut self) {
        if let Some(pgid) = self.0.filter(|&p| p > 0) {
            // SAFETY: kill(2) with a negative pid signals the process group we created for
            // the child (process_group(0) makes its pid the group id); no memory is touched.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

async fn run_command(
    program: &str,
    args: &[String],
    env: &[(String, String)],
    body: &[u8],
    cap: u64,
) -> Result<Vec<u8>, Failure> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::Spawn(e.to_string()))?;
    let mut guard = GroupKill(child.id().and_then(|p| i32::try_from(p).ok()));
    if let Some(mut stdin) = child.stdin.take() {
        let body = body.to_vec();
        // Written aside so that a command answering before it has read everything cannot
        // deadlock us; one that exits without reading is judged by its exit status and
        // output, not by the broken pipe.
        tokio::spawn(async move {
            let _ = stdin.write_all(&body).await;
            let _ = stdin.shutdown().await;
        });
    }
    let stderr = child
        .stderr
        .take()
        .map(|pipe| tokio::spawn(read_tail(pipe)));
    let out = read_capped(child.stdout.take(), cap).await?;
    // Too large: the guard kills the command rather than waiting for it to finish writing.
    let out = out.ok_or(Failure::TooLarge)?;
    let status = child
        .wait()
        .await
        .map_err(|e| Failure::Read(e.to_string()))?;
    guard.0 = None;
    if status.success() {
        if let Some(task) = stderr {
            task.abort();
        }
        return Ok(out);
    }
    let stderr = match stderr {
        // A background process the command left behind may hold stderr open: wait briefly.
        Some(task) => tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Err(Failure::Exit(
        status.to_string(),
        String::from_utf8_lossy(&stderr).trim().to_string(),
    ))
}

/// The last [`DETAIL_BYTES`] of a pipe (where a traceback says what went wrong), reading
/// everything so the writer never blocks on it.
async fn read_tail(mut pipe: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 2 * DETAIL_BYTES {
                    tail.drain(..tail.len() - DETAIL_BYTES);
                }
            }
        }
    }
    let excess = tail.len().saturating_sub(DETAIL_BYTES);
    tail.drain(..excess);
    tail
}

/// Reads a pipe to its end; `None` as soon as it holds more than `cap` bytes.
async fn read_capped(
    pipe: Option<impl AsyncRead + Unpin>,
    cap: u64,
) -> Result<Option<Vec<u8>>, Failure> {
    let Some(pipe) = pipe else {
        return Ok(Some(Vec::new()));
    };
    let mut out = Vec::new();
    pipe.take(cap + 1)
        .read_to_end(&mut out)
        .await
        .map_err(|e| Failure::Read(e.to_string()))?;
    Ok((out.len() as u64 <= cap).then_some(out))
}
