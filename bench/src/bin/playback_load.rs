//! Players starting playback against a running `backbeat serve`, all at once: the load half of
//! `bench/playback_load.sh` (issue 14's start-of-playback figures).
//!
//! ```text
//! playback_load MODE BASE TOKEN PLAYERS ROUNDS THINK_MS TRACK_ID...
//! ```
//!
//! Each of PLAYERS tasks, ROUNDS times, picks a track (player i takes track i mod N), waits a
//! random think time (0..THINK_MS), asks the stream endpoint for its URLs (not timed: a player
//! does it once per track, before pressing play), then does what MODE says and times it:
//!
//! - `hls`: master playlist → its first variant's media playlist → that playlist's init
//!   segment → its first media segment, each read whole, in order, as a player starts; the
//!   time is the sum of the four.
//! - `progressive`: `trackUrl` with `Range: bytes=0-65535`, time to the first body byte.
//! - `ondemand`: `?format=mp3&bitrate=N` (`PLAYBACK_BITRATE`, default 128), time to the first
//!   body byte, then read to the end (the player listens).
//!
//! Prints one line: mode, count, errors, p50/p90/p99/max in ms.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Hls,
    Progressive,
    OnDemand,
}

struct Args {
    mode: Mode,
    base: String,
    token: String,
    players: usize,
    rounds: usize,
    think_ms: u64,
    tracks: Vec<String>,
}

fn args() -> Result<Args, String> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: playback_load hls|progressive|ondemand BASE TOKEN PLAYERS ROUNDS THINK_MS TRACK_ID...";
    if a.len() < 7 {
        return Err(usage.into());
    }
    let mode = match a[0].as_str() {
        "hls" => Mode::Hls,
        "progressive" => Mode::Progressive,
        "ondemand" => Mode::OnDemand,
        _ => return Err(usage.into()),
    };
    let num = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("{s} is not a number\n{usage}"))
    };
    Ok(Args {
        mode,
        base: a[1].trim_end_matches('/').to_string(),
        token: a[2].clone(),
        players: usize::try_from(num(&a[3])?).map_err(|e| e.to_string())?,
        rounds: usize::try_from(num(&a[4])?).map_err(|e| e.to_string())?,
        think_ms: num(&a[5])?,
        tracks: a[6..].to_vec(),
    })
}

/// A small xorshift, seeded per player: think times without a dependency.
fn jitter(seed: &mut u64, max_ms: u64) -> Duration {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    Duration::from_millis(if max_ms == 0 { 0 } else { *seed % max_ms })
}

/// The URL `reference` names relative to `base` (same folder; the manifests' URIs are plain
/// file names).
fn resolve(base: &str, reference: &str) -> String {
    match base.rfind('/') {
        Some(i) => format!("{}{reference}", &base[..=i]),
        None => reference.to_string(),
    }
}

async fn text(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("{url}: {}", r.status()));
    }
    r.text().await.map_err(|e| e.to_string())
}

async fn bytes(client: &reqwest::Client, url: &str) -> Result<usize, String> {
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("{url}: {}", r.status()));
    }
    Ok(r.bytes().await.map_err(|e| e.to_string())?.len())
}

/// One player's start of HLS playback: the four fetches a player makes before sound.
async fn hls_start(client: &reqwest::Client, master_url: &str) -> Result<Duration, String> {
    let t0 = Instant::now();
    let master = text(client, master_url).await?;
    let variant = master
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or("no variant in the master playlist")?;
    let media_url = resolve(master_url, variant);
    let media = text(client, &media_url).await?;
    let init = media
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-MAP:URI=\""))
        .and_then(|l| l.split('"').next())
        .ok_or("no EXT-X-MAP")?;
    let segment = media
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .ok_or("no segment")?;
    bytes(client, &resolve(&media_url, init)).await?;
    bytes(client, &resolve(&media_url, segment)).await?;
    Ok(t0.elapsed())
}

/// Time to the first body byte of `request`; then the rest is read when `read_all`.
async fn first_byte(request: reqwest::RequestBuilder, read_all: bool) -> Result<Duration, String> {
    let t0 = Instant::now();
    let r = request.send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("{}", r.status()));
    }
    let mut body = r.bytes_stream();
    let first = body.next().await.ok_or("an empty body")?;
    first.map_err(|e| e.to_string())?;
    let took = t0.elapsed();
    if read_all {
        while let Some(chunk) = body.next().await {
            chunk.map_err(|e| e.to_string())?;
        }
    }
    Ok(took)
}

async fn player(
    i: usize,
    a: std::sync::Arc<Args>,
    client: reqwest::Client,
) -> Vec<Result<Duration, String>> {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (i as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let track = &a.tracks[i % a.tracks.len()];
    let mut out = Vec::with_capacity(a.rounds);
    for _ in 0..a.rounds {
        tokio::time::sleep(jitter(&mut seed, a.think_ms)).await;
        let doc = client
            .get(format!("{}/api/v1/tracks/{track}/stream", a.base))
            .bearer_auth(&a.token)
            .send()
            .await;
        let doc: serde_json::Value = match doc {
            Ok(r) => match r.json().await {
                Ok(v) => v,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    continue;
                }
            },
            Err(e) => {
                out.push(Err(e.to_string()));
                continue;
            }
        };
        let result = match a.mode {
            Mode::Hls => match doc["hlsUrl"].as_str() {
                Some(url) => hls_start(&client, url).await,
                None => Err(format!("no hlsUrl: {doc}")),
            },
            Mode::Progressive => match doc["trackUrl"].as_str() {
                Some(url) => {
                    first_byte(client.get(url).header("range", "bytes=0-65535"), true).await
                }
                None => Err(format!("no trackUrl: {doc}")),
            },
            Mode::OnDemand => {
                let kbps = std::env::var("PLAYBACK_BITRATE").unwrap_or_else(|_| "128".into());
                let url = format!(
                    "{}/api/v1/tracks/{track}/stream?format=mp3&bitrate={kbps}",
                    a.base
                );
                first_byte(client.get(url).bearer_auth(&a.token), true).await
            }
        };
        out.push(result);
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let a = match args() {
        Ok(a) => std::sync::Arc::new(a),
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let client = match reqwest::Client::builder()
        .pool_max_idle_per_host(a.players)
        .timeout(Duration::from_secs(120))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let tasks: Vec<_> = (0..a.players)
        .map(|i| tokio::spawn(player(i, a.clone(), client.clone())))
        .collect();
    let mut times = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await {
            Ok(results) => {
                for r in results {
                    match r {
                        Ok(d) => times.push(d),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    times.sort();
    let mode = match a.mode {
        Mode::Hls => "hls start (master+media+init+segment)",
        Mode::Progressive => "progressive first byte",
        Mode::OnDemand => "on-demand mp3 first byte",
    };
    println!(
        "{mode:<40} n={:<5} errors={:<4} p50 {:>7.1} ms  p90 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        times.len(),
        errors.len(),
        percentile(&times, 0.50),
        percentile(&times, 0.90),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
    );
    if let Some(e) = errors.first() {
        eprintln!("first error: {e}");
    }
    if errors.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
