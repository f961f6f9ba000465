//! Helpers of the on-demand tests: sources made by ffmpeg, engines in a tempdir, bodies
//! collected, outputs checked with ffprobe and ffmpeg as the reference clients.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use backbeat_media::ondemand::{Body, Format, OnDemand, OnDemandConfig, TranscodeKey};
use futures_util::StreamExt;

/// Whether ffmpeg and ffprobe run; without them the test prints why it does nothing —
/// unless `BACKBEAT_REQUIRE_TOOLS=1` (CI), which makes their absence a failure.
pub fn tools() -> bool {
    for tool in ["ffmpeg", "ffprobe"] {
        let ok = Command::new(tool)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            if std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() == Ok("1") {
                panic!("{tool} is required (BACKBEAT_REQUIRE_TOOLS=1) but was not found on PATH");
            }
            eprintln!("skipped: {tool} not found on PATH");
            return false;
        }
    }
    true
}

/// A stereo FLAC of `secs` seconds: a tone at `amp` (linear) on each channel plus a little
/// noise, so the encoders have real work.
pub fn source(dir: &Path, name: &str, secs: u32, amp: f64) -> PathBuf {
    let path = dir.join(name);
    let expr = format!(
        "{amp}*sin(2*PI*440*t)+{n}*(random(0)-0.5)|{amp}*sin(2*PI*660*t)+{n}*(random(1)-0.5)",
        n = amp / 10.0
    );
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("aevalsrc={expr}:s=44100:d={secs}"))
        .args(["-c:a", "flac"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(st.success());
    path
}

/// An engine over `dir` with the given limits.
pub fn engine(dir: &Path, max_bytes: u64, max_transcodes: usize, per_user: usize) -> OnDemand {
    OnDemand::open(OnDemandConfig {
        cache_dir: dir.to_path_buf(),
        cache_max_bytes: max_bytes,
        max_transcodes,
        max_per_user: per_user,
        ffmpeg: "ffmpeg".into(),
    })
    .unwrap()
}

pub fn key(track: &str, format: Format, kbps: u32, gain_db: Option<f64>) -> TranscodeKey {
    TranscodeKey {
        track: track.into(),
        source_version: "v1".into(),
        format,
        kbps,
        gain_db,
    }
}

/// A `source` callback handing out `path` and counting its calls in `calls`.
pub fn counted(
    path: &Path,
    calls: &Arc<AtomicUsize>,
) -> impl FnOnce() -> std::future::Ready<Result<PathBuf, String>> + Send + 'static {
    let path = path.to_path_buf();
    let calls = Arc::clone(calls);
    move || {
        calls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(path))
    }
}

/// A `source` callback for requests that must not start a transcode.
pub fn never() -> impl FnOnce() -> std::future::Ready<Result<PathBuf, String>> + Send + 'static {
    || std::future::ready(Err("the source was asked for".to_owned()))
}

/// Every byte of a body, or its first error.
pub async fn collect(mut body: Body) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// ffprobe's codec name of `bytes`, and their duration (s) as ffmpeg decodes them — ADTS
/// and headerless MP3 have no duration field, ffprobe would only estimate one from the size.
pub fn probe(dir: &Path, bytes: &[u8], ext: &str) -> (String, f64) {
    let path = dir.join(format!("probe.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .args(["stream=codec_name", "-of", "default=nw=1:nk=1"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codec = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let duration = decode(dir, bytes, ext).len() as f64 / f64::from(RATE);
    (codec, duration)
}

/// A format tag of `bytes` as ffprobe reads it.
pub fn tag(dir: &Path, bytes: &[u8], ext: &str, key: &str) -> Option<String> {
    let path = dir.join(format!("tag.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries"])
        .arg(format!("format_tags={key}:stream_tags={key}"))
        .args(["-of", "default=nw=1:nk=1"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().find(|l| !l.is_empty()).map(str::to_owned)
}

/// Sample rate [`decode`] delivers.
const RATE: u32 = 48_000;

/// RMS level of `bytes` decoded by ffmpeg, dBFS.
pub fn rms_db(dir: &Path, bytes: &[u8], ext: &str) -> f64 {
    let samples = decode(dir, bytes, ext);
    let mean = samples
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        / samples.len() as f64;
    10.0 * mean.log10()
}

/// `bytes` decoded by ffmpeg to mono f32 at [`RATE`].
pub fn decode(dir: &Path, bytes: &[u8], ext: &str) -> Vec<f32> {
    let path = dir.join(format!("decode.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "f32le", "-ac", "1", "-ar", &RATE.to_string(), "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Pids of live processes whose command line mentions `needle`.
pub fn pids_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let state = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = state
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmd).contains(needle) {
            out.push(pid);
        }
    }
    out
}

/// Names of the files in `dir`.
pub fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
