//! The streaming ladder end to end, with real clients: `backbeat serve` (workers on) makes the
//! ladder of an uploaded track, and ffmpeg/ffprobe — real HLS and DASH clients, not our own
//! parser — open the master playlist and the MPD over HTTP and decode every rendition. Tokens
//! are tried tampered, out of scope, expired and with path traversal; a worker is killed with
//! SIGKILL in the middle of `transcode`.
//!
//! Needs ffmpeg: without it the tests print `SKIP` unless `BACKBEAT_REQUIRE_TOOLS=1`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use backbeat_store::testing::have_tools;
use serde_json::Value;

use crate::common::{browser_harness, scratch};
use crate::live::{artist_with_album, create_track, json, put, slot, Server};
use crate::process::{http, path_of, send};

/// A FLAC of `secs` seconds: a chord with a slow tremolo over quiet noise, at `rate` Hz, made
/// by ffmpeg.
fn source_flac(dir: &Path, secs: u32, rate: u32) -> Vec<u8> {
    let path = dir.join(format!("source-{secs}s-{rate}.flac"));
    let graph = format!(
        "sine=f=220:r={rate}:d={secs}[a];sine=f=277:r={rate}:d={secs}[b];\
         anoisesrc=r={rate}:d={secs}:a=0.02[n];[a][b][n]amix=3,volume=6dB,\
         tremolo=f=0.5:d=0.6,aformat=channel_layouts=stereo"
    );
    let ok = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-filter_complex", &graph])
        .arg(&path)
        .status()
        .expect("running ffmpeg")
        .success();
    assert!(ok, "ffmpeg could not make the source");
    std::fs::read(&path).expect("reading the source")
}

/// Uploads `bytes` as a new track of `album`; returns its id.
fn upload(addr: SocketAddr, token: &str, album: &str, bytes: &[u8]) -> String {
    let (upload_url, track_url) = slot(addr, token);
    let (status, reply) = put(addr, &upload_url, bytes);
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = create_track(addr, token, album, &track_url);
    assert_eq!(status, 201, "{reply}");
    json(&reply)["id"].as_str().expect("id").to_string()
}

/// The `transcode` job's record once it has finished (or `timeout` passes).
fn wait_for_transcode(addr: SocketAddr, token: &str, track: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let (status, reply) = http(
            addr,
            "GET",
            &format!("/api/v1/tracks/{track}/jobs"),
            Some(token),
            "",
        );
        assert_eq!(status, 200, "{reply}");
        let v = json(&reply);
        let job = v["jobs"]
            .as_array()
            .and_then(|jobs| jobs.iter().find(|j| j["job"] == "transcode"))
            .cloned()
            .unwrap_or_else(|| panic!("no transcode job: {reply}"));
        if matches!(
            job["state"].as_str(),
            Some("done" | "failed" | "dead" | "unavailable")
        ) {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "transcode did not finish: {reply}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn stream(addr: SocketAddr, token: &str, track: &str, query: &str) -> Value {
    let (status, reply) = http(
        addr,
        "GET",
        &format!("/api/v1/tracks/{track}/stream{query}"),
        Some(token),
        "",
    );
    assert_eq!(status, 200, "{reply}");
    json(&reply)
}

/// Duration ffprobe reports for `url`, seconds.
fn probe_duration(url: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=nw=1:nk=1",
            url,
        ])
        .output()
        .expect("running ffprobe");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ffprobe {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe duration of {url}: {text}"))
}

/// Decodes stream `index` of `url` whole with ffmpeg; returns (seconds decoded, RMS in dBFS).
fn decode(url: &str, map: &str) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i", url, "-map", map])
        .args(["-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
        .output()
        .expect("running ffmpeg");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg decoding {map} of {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let energy: f64 = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    let rms = (energy / samples.len().max(1) as f64).sqrt();
    (samples.len() as f64 / 48_000.0, 20.0 * rms.log10())
}

/// One AAC frame at 48 kHz: how far a rendition's length may be from the source's.
const FRAME_S: f64 = 1024.0 / 48_000.0;

#[test]
fn the_ladder_plays_in_ffmpeg_as_hls_and_dash() {
    if !have_tools(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let data = scratch("streaming-ladder");
    let server = Server::start_with(&data, None, true);
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    let secs = 20;
    let track = upload(addr, &token, &album, &source_flac(&data, secs, 44_100));
    let job = wait_for_transcode(addr, &token, &track, Duration::from_secs(180));
    assert_eq!(job["state"], "done", "{job}\n{}", server.log());

    let s = stream(addr, &token, &track, "");
    let hls = s["hlsUrl"].as_str().expect("hlsUrl").to_string();
    let dash = s["dashUrl"].as_str().expect("dashUrl").to_string();
    assert!(
        path_of(&hls).starts_with("/blobs/~"),
        "token in the path: {hls}"
    );
    assert!(!hls.contains('?'), "no query string: {hls}");
    let renditions = s["renditions"].as_array().expect("renditions");
    assert_eq!(renditions.len(), 6, "{s}");

    // Real clients: ffprobe over HTTP, through the master playlist and the MPD.
    for url in [&hls, &dash] {
        let d = probe_duration(url);
        assert!(
            (d - f64::from(secs)).abs() <= FRAME_S + 1e-3,
            "{url}: {d} s for a {secs} s source"
        );
    }
    // Every rendition decodes fully: each variant of the master is a stream of ffmpeg's input.
    // ffmpeg's HLS and DASH clients do not trim the encoder's priming (the init segment's edit
    // list), so a decode holds the source, the priming (AAC: one frame) and the padding of the
    // last frame: between the source's length and two frames more.
    for i in 0..renditions.len() {
        for (kind, url) in [("HLS", &hls), ("DASH", &dash)] {
            let (decoded, _) = decode(url, &format!("0:a:{i}"));
            let extra = decoded - f64::from(secs);
            assert!(
                (-1e-3..=2.0 * FRAME_S + 1e-3).contains(&extra),
                "{kind} rendition {i}: {decoded} s decoded for {secs} s"
            );
        }
    }

    // Normalised: the Opus header's gain is applied by the decoder, by exactly the gain the
    // API reports.
    let gain = s["loudness"]["gainDb"].as_f64().expect("gainDb");
    assert!(gain.abs() > 1.0, "the source should need a gain: {s}");
    let n = stream(addr, &token, &track, "?normalize=true");
    assert_eq!(n["normalized"], true, "{n}");
    let hls_n = n["hlsUrl"].as_str().expect("hlsUrl");
    let (_, plain_db) = decode(&hls, "0:a:3"); // opus-64: AAC rungs come first
    let (_, normalised_db) = decode(hls_n, "0:a:0"); // opus-64, the first Opus rendition
    assert!(
        (normalised_db - plain_db - gain).abs() < 0.1,
        "decoded {plain_db:.2} dBFS plain and {normalised_db:.2} normalised; gain {gain}"
    );
}

/// Status of a GET of `path` (no credentials but the URL).
fn status_of(addr: SocketAddr, path: &str) -> u16 {
    send(addr, "GET", path, None, "application/octet-stream", b"").0
}

#[test]
fn ladder_tokens_are_scoped_to_one_track_and_refuse_tampering_and_traversal() {
    if !have_tools(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let data = scratch("streaming-tokens");
    let server = Server::start_with(&data, None, true);
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    let source = source_flac(&data, 3, 44_100);
    let a = upload(addr, &token, &album, &source);
    let b = upload(addr, &token, &album, &source);
    for t in [&a, &b] {
        let job = wait_for_transcode(addr, &token, t, Duration::from_secs(120));
        assert_eq!(job["state"], "done", "{job}");
    }
    let sa = stream(addr, &token, &a, "");
    let sb = stream(addr, &token, &b, "");
    let master_a = path_of(sa["hlsUrl"].as_str().unwrap()).to_string();
    let master_b = path_of(sb["hlsUrl"].as_str().unwrap()).to_string();
    assert_eq!(status_of(addr, &master_a), 200);

    // A segment of A, through A's token.
    let (status, playlist) = send(
        addr,
        "GET",
        &master_a.replace("master.m3u8", "aac-96.m3u8"),
        None,
        "text/plain",
        b"",
    );
    assert_eq!(status, 200, "{playlist}");
    let segment = playlist
        .lines()
        .find(|l| l.ends_with(".m4s"))
        .expect("a segment line")
        .to_string();
    let dir_a = &master_a[..master_a.rfind('/').unwrap() + 1];
    assert_eq!(status_of(addr, &format!("{dir_a}{segment}")), 200);

    // B's objects through A's token: refused.
    let (token_a, _) = master_a
        .trim_start_matches("/blobs/")
        .split_once('/')
        .unwrap();
    let (_, key_b) = master_b
        .trim_start_matches("/blobs/")
        .split_once('/')
        .unwrap();
    assert_eq!(status_of(addr, &format!("/blobs/{token_a}/{key_b}")), 403);
    // Traversal out of A's ladder, raw and percent-encoded.
    let b_track_dir = format!("../../../../{b}/transcode/v1/ladder/x.m3u8");
    assert_ne!(status_of(addr, &format!("{dir_a}{b_track_dir}")), 200);
    assert_ne!(
        status_of(addr, &format!("{dir_a}{}", b_track_dir.replace('.', "%2E"))),
        200
    );
    // Tampered signature (last character changed) on a manifest and a segment.
    let tampered = {
        let mut t = token_a.to_string();
        let last = t.pop().unwrap();
        t.push(if last == 'A' { 'B' } else { 'A' });
        t
    };
    let key_a = master_a
        .trim_start_matches("/blobs/")
        .split_once('/')
        .unwrap()
        .1;
    assert_eq!(status_of(addr, &format!("/blobs/{tampered}/{key_a}")), 403);
    let seg_key = format!("{}{segment}", &key_a[..key_a.rfind('/').unwrap() + 1]);
    assert_eq!(
        status_of(addr, &format!("/blobs/{tampered}/{seg_key}")),
        403
    );
    // A token's expiry cannot be moved: the signature covers it.
    let mut fields: Vec<&str> = token_a.split('.').collect();
    let later = (fields[1].parse::<i64>().unwrap() + 3600).to_string();
    fields[1] = &later;
    let moved = fields.join(".");
    assert_eq!(status_of(addr, &format!("/blobs/{moved}/{key_a}")), 403);
    drop(server);

    // Expired: a server whose stream URLs live one second.
    let data = scratch("streaming-expiry");
    let short = Server::start_with_args(&data, &["--stream-url-ttl-s", "1"]);
    let (token, album) = artist_with_album(short.addr);
    let t = upload(short.addr, &token, &album, &source);
    let job = wait_for_transcode(short.addr, &token, &t, Duration::from_secs(120));
    assert_eq!(job["state"], "done", "{job}");
    let s = stream(short.addr, &token, &t, "");
    let master = path_of(s["hlsUrl"].as_str().unwrap()).to_string();
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(status_of(short.addr, &master), 403);
}

#[test]
fn a_worker_killed_during_transcode_serves_nothing_half_written_and_finishes_once() {
    if !have_tools(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let data = scratch("streaming-kill9");
    let mut server = Server::start_with(&data, None, true);
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    // Long enough that the kill lands while ffmpeg runs.
    let track = upload(addr, &token, &album, &source_flac(&data, 240, 44_100));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, reply) = http(
            addr,
            "GET",
            &format!("/api/v1/tracks/{track}/jobs"),
            Some(&token),
            "",
        );
        let running = json(&reply)["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["job"] == "transcode" && j["state"] == "running");
        if running {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "transcode never started: {reply}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    server.kill9();
    server.restart();
    // Until the redelivered job commits, no ladder is handed out.
    let s = stream(addr, &token, &track, "");
    if s["hlsUrl"].is_string() {
        panic!("a ladder was handed out before the job finished: {s}");
    }
    let job = wait_for_transcode(addr, &token, &track, Duration::from_secs(300));
    assert_eq!(job["state"], "done", "{job}\n{}", server.log());
    assert_eq!(job["completions"], 1, "{job}");
    let s = stream(addr, &token, &track, "");
    let d = probe_duration(s["hlsUrl"].as_str().expect("hlsUrl"));
    assert!((d - 240.0).abs() <= FRAME_S + 1e-3, "{d}");
}

#[test]
fn chromium_plays_the_ladder_with_hls_js_and_shaka_and_switches_rendition() {
    if !have_tools(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let Some(harness) = browser_harness("the browser test") else {
        return;
    };
    let data = scratch("streaming-browser");
    let server = Server::start_with(&data, None, true);
    let addr = server.addr;
    let (token, album) = artist_with_album(addr);
    let track = upload(addr, &token, &album, &source_flac(&data, 30, 44_100));
    let job = wait_for_transcode(addr, &token, &track, Duration::from_secs(180));
    assert_eq!(job["state"], "done", "{job}\n{}", server.log());
    let s = stream(addr, &token, &track, "");
    let shots = data.join("screenshots");
    let out = Command::new("node")
        .arg(harness.join("play.mjs"))
        .args(["--hls", s["hlsUrl"].as_str().unwrap()])
        .args(["--dash", s["dashUrl"].as_str().unwrap()])
        .arg("--out")
        .arg(&shots)
        .output()
        .expect("running play.mjs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the players did not meet every requirement:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&report);
    assert_eq!(v["ok"], true, "{report}");
    for shot in ["hls.png", "dash.png"] {
        assert!(shots.join(shot).is_file(), "no screenshot {shot}");
    }
}
