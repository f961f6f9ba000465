//! Runs one transcode: materialises the source, starts ffmpeg writing to a pipe, appends
//! every chunk to the part file and publishes the new length, then either renames the part
//! file into the cache (success) or deletes it (failure, cancellation). The order at the end
//! — rename, index, unregister under the lock, then publish — means a request either finds
//! the flight or the cache file, never neither.

use std::collections::VecDeque;
use std::future::Future;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::Command;

use super::flight::{Failure, Flight, Phase};
use super::{Format, Inner, SourceFile, TranscodeKey};

/// Read size from ffmpeg's stdout; a pipe hands out at most 64 KiB at a time anyway.
const CHUNK: usize = 64 * 1024;
/// Lines of ffmpeg's stderr kept for the error message.
const STDERR_LINES: usize = 4;

/// ffmpeg's arguments for `key` reading `src`, writing to stdout.
pub(crate) fn ffmpeg_args(key: &TranscodeKey, src: &Path) -> Vec<std::ffi::OsString> {
    let mut a: Vec<std::ffi::OsString> = Vec::new();
    let mut push = |s: &str| a.push(s.into());
    for s in ["-nostdin", "-hide_banner", "-v", "error", "-i"] {
        push(s);
    }
    a.push(src.as_os_str().to_owned());
    let mut push = |s: &str| a.push(s.into());
    for s in ["-map", "0:a:0", "-vn"] {
        push(s);
    }
    if let Some(g) = key.gain_db {
        push("-af");
        push(&format!("volume={g:.2}dB"));
        // The audio now carries the gain: tags that describe the source's level would make
        // a ReplayGain player apply it a second time.
        let (set, clear): (&[(&str, &str)], &[&str]) = match key.format {
            Format::Mp3 => (
                &[("REPLAYGAIN_TRACK_GAIN", "+0.00 dB")],
                &[
                    "REPLAYGAIN_TRACK_PEAK",
                    "REPLAYGAIN_ALBUM_GAIN",
                    "REPLAYGAIN_ALBUM_PEAK",
                    "R128_TRACK_GAIN",
                    "R128_ALBUM_GAIN",
                ],
            ),
            Format::Opus => (
                &[("R128_TRACK_GAIN", "0")],
                &[
                    "R128_ALBUM_GAIN",
                    "REPLAYGAIN_TRACK_GAIN",
                    "REPLAYGAIN_TRACK_PEAK",
                    "REPLAYGAIN_ALBUM_GAIN",
                    "REPLAYGAIN_ALBUM_PEAK",
                ],
            ),
            // ADTS carries no tags.
            Format::Aac => (&[], &[]),
        };
        for (k, v) in set {
            push("-metadata");
            push(&format!("{k}={v}"));
        }
        for k in clear {
            push("-metadata");
            push(&format!("{k}="));
        }
    }
    push("-c:a");
    push(key.format.encoder());
    push("-b:a");
    push(&format!("{}k", key.kbps));
    if key.format == Format::Opus {
        push("-ar");
        push("48000");
    }
    // Hand every packet to the pipe as soon as it is muxed: the first bytes reach the
    // client while the rest is still being encoded.
    for s in ["-flush_packets", "1", "-f", key.format.muxer(), "pipe:1"] {
        push(s);
    }
    a
}

/// Drives the flight to its end and settles the registry, the running count and the
/// readers. Runs as its own task: a client going away never stops it half-way, only the
/// cancel signal does.
pub(crate) async fn drive<S, Fut, Src>(
    inner: Arc<Inner>,
    flight: Arc<Flight>,
    key: TranscodeKey,
    source: S,
) where
    S: FnOnce() -> Fut,
    Fut: Future<Output = Result<Src, String>>,
    Src: Into<SourceFile>,
{
    let outcome = run(&inner, &flight, &key, source).await;
    let mut state = inner.lock();
    state.running -= 1;
    let registered = state
        .flights
        .get(&flight.name)
        .is_some_and(|f| Arc::ptr_eq(f, &flight));
    if registered {
        state.flights.remove(&flight.name);
    }
    let outcome = match outcome {
        Ok(len) => {
            let final_path = inner.cfg.cache_dir.join(&flight.name);
            match std::fs::rename(&flight.part_path, &final_path) {
                Ok(()) => {
                    state.index.insert(&flight.name, len);
                    for victim in state.index.evict_to(inner.cfg.cache_max_bytes) {
                        // Readers of a victim keep their open file; new ones transcode again.
                        let _ = std::fs::remove_file(inner.cfg.cache_dir.join(victim));
                    }
                    Ok(len)
                }
                Err(e) => Err(Failure::Io(format!("renaming the finished transcode: {e}"))),
            }
        }
        Err(f) => Err(f),
    };
    drop(state);
    match outcome {
        Ok(len) => flight.progress.send_modify(|p| {
            p.written = len;
            p.phase = Phase::Done;
        }),
        Err(f) => {
            if let Err(e) = std::fs::remove_file(&flight.part_path) {
                tracing::warn!(path = %flight.part_path.display(), error = %e, "removing a part file");
            }
            if f != Failure::Cancelled {
                tracing::warn!(track = %key.track, error = ?f, "on-demand transcode failed");
            }
            flight.progress.send_modify(|p| p.phase = Phase::Failed(f));
        }
    }
}

/// The transcode itself; the length written on success.
async fn run<S, Fut, Src>(
    inner: &Inner,
    flight: &Flight,
    key: &TranscodeKey,
    source: S,
) -> Result<u64, Failure>
where
    S: FnOnce() -> Fut,
    Fut: Future<Output = Result<Src, String>>,
    Src: Into<SourceFile>,
{
    let src: SourceFile = tokio::select! {
        biased;
        () = flight.cancel.notified() => return Err(Failure::Cancelled),
        s = source() => s.map_err(Failure::Source)?.into(),
    };
    let mut child = Command::new(&inner.cfg.ffmpeg)
        .args(ffmpeg_args(key, src.path()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Failure::Ffmpeg(format!("cannot start {}: {e}", inner.cfg.ffmpeg.display()))
        })?;
    inner.spawned.fetch_add(1, Ordering::SeqCst);
    flight.progress.send_modify(|p| p.phase = Phase::Running);
    let (Some(mut stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(Failure::Ffmpeg("ffmpeg's pipes are missing".into()));
    };
    let stderr = tokio::spawn(tail(stderr));
    let mut written = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = tokio::select! {
            biased;
            () = flight.cancel.notified() => {
                // Dropping the child kills it too; waiting reaps it at once.
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(Failure::Cancelled);
            }
            n = stdout.read(&mut buf) => n.map_err(|e| Failure::Io(format!("reading ffmpeg: {e}")))?,
        };
        if n == 0 {
            break;
        }
        let file = Arc::clone(&flight.file);
        let at = written;
        buf = tokio::task::spawn_blocking(move || file.write_all_at(&buf[..n], at).map(|()| buf))
            .await
            .map_err(|e| Failure::Io(e.to_string()))?
            .map_err(|e| Failure::Io(e.to_string()))?;
        written += n as u64;
        flight.progress.send_modify(|p| p.written = written);
    }
    let status = child
        .wait()
        .await
        .map_err(|e| Failure::Ffmpeg(format!("waiting for ffmpeg: {e}")))?;
    let said = stderr.await.unwrap_or_default();
    drop(src);
    if !status.success() {
        let said = if said.is_empty() {
            status.to_string()
        } else {
            said
        };
        return Err(Failure::Ffmpeg(said));
    }
    if written == 0 {
        return Err(Failure::Ffmpeg(format!("no output. {said}")));
    }
    Ok(written)
}

/// The last lines ffmpeg wrote to stderr, joined.
async fn tail(stderr: impl AsyncRead + Unpin) -> String {
    let mut lines = BufReader::new(stderr).lines();
    let mut last = VecDeque::with_capacity(STDERR_LINES);
    while let Ok(Some(line)) = lines.next_line().await {
        if last.len() == STDERR_LINES {
            last.pop_front();
        }
        last.push_back(line);
    }
    Vec::from(last).join(" / ")
}
