//! Memory per job is bounded: a one-hour upload goes through `downsample` and `analyze` (one
//! decode, the mono signal streamed to `audio.wav` and analysed from it) in a `backbeat
//! backfill --run-workers` process whose peak resident memory stays far below the size of the
//! decoded signal. Needs `ffmpeg` to make the file: skips with a notice without it, unless
//! `BACKBEAT_REQUIRE_TOOLS=1`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backbeat_pipeline::artifacts::manifest_key;
use tokio::runtime::Runtime;

use crate::worker::catalog;

/// One hour of mono audio at the analysis rate is 317 MB of `f32`; holding it, or half of it,
/// breaks this bound. Measured: 92 MB (the in-memory hand-over from `downsample` to `analyze`
/// is capped at 15 minutes, 79 MB; longer signals are analysed from `audio.wav`).
const PEAK_LIMIT_MB: u64 = 160;

/// The highest `VmHWM` (peak resident set) seen for `pid` while it runs, in MB.
fn peak_rss_mb(
    child: &mut std::process::Child,
    limit: Duration,
) -> (std::process::ExitStatus, u64) {
    let path = format!("/proc/{}/status", child.id());
    let deadline = Instant::now() + limit;
    let mut peak_kb = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&path) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak_kb / 1024);
        }
        assert!(
            Instant::now() < deadline,
            "backfill did not finish in {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn one_hour_flac(path: &Path) -> bool {
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=220:beep_factor=4:sample_rate=22050:duration=3600")
        .args(["-ac", "1", "-c:a", "flac"])
        .arg(path)
        .status();
    match made {
        Ok(s) if s.success() => true,
        _ if std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("ffmpeg is required (BACKBEAT_REQUIRE_TOOLS=1) but could not make the file")
        }
        _ => {
            println!(
                "SKIP: a_one_hour_upload_is_processed_in_bounded_memory: ffmpeg not available"
            );
            false
        }
    }
}

#[test]
fn a_one_hour_upload_is_processed_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let flac = dir.path().join("hour.flac");
    if !one_hour_flac(&flac) {
        return;
    }
    let data = dir.path().join("data");
    let rt = Runtime::new().unwrap();
    let (_db, blobs, tracks) = catalog(&rt, &data, "", &[std::fs::read(&flac).unwrap()]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args([
            "backfill",
            "--job",
            "analyze",
            "--where",
            "all",
            "--run-workers",
        ])
        .args(["--queue", "sql", "--cpu-slots", "1", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (status, peak) = peak_rss_mb(&mut child, Duration::from_secs(300));
    assert!(status.success(), "backfill: {status:?}");
    let graph = backbeat_jobs::default_graph(Vec::new()).unwrap();
    for job in ["downsample", "analyze"] {
        let key = manifest_key(tracks[0], job, graph.job(job).unwrap().version);
        assert!(
            rt.block_on(blobs.head(&key)).is_ok(),
            "{job} did not commit"
        );
    }
    let wav = backbeat_pipeline::artifacts::output_key(
        tracks[0],
        "downsample",
        graph.job("downsample").unwrap().version,
        "audio.wav",
    );
    let wav_mb = rt.block_on(blobs.head(&wav)).unwrap().size / 1_000_000;
    assert!(
        wav_mb >= 300,
        "the stored signal is the whole hour: {wav_mb} MB"
    );
    println!("peak RSS {peak} MB for a one-hour upload ({wav_mb} MB of stored signal)");
    assert!(peak > 0 && peak < PEAK_LIMIT_MB, "peak RSS {peak} MB");

    // The waveform of a signal too long for the memo: `peaks` streams the stored hour back.
    let status = Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args([
            "backfill",
            "--job",
            "peaks",
            "--where",
            "all",
            "--run-workers",
        ])
        .args(["--queue", "sql", "--cpu-slots", "1", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "backfill peaks: {status:?}");
    let key = backbeat_pipeline::artifacts::output_key(
        tracks[0],
        "peaks",
        graph.job("peaks").unwrap().version,
        "peaks.dat",
    );
    let size = rt.block_on(blobs.head(&key)).expect("peaks.dat").size;
    // 3,600 s × 22,050 Hz / 256 samples a pixel, 4 bytes each after a 20-byte header.
    let pixels = (3600u64 * 22_050).div_ceil(256);
    assert_eq!(
        size,
        20 + 4 * pixels,
        "one pixel per 256 samples of the hour"
    );
}
