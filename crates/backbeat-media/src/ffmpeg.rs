//! The one ffmpeg process that makes a track's whole ladder: one decode, one resample to
//! 48 kHz, `asplit` into one encoder per rung, each written as CMAF fragmented MP4 by the
//! `hls` muxer (an init segment and ~6 s media segments). Its playlists are thrown away: the
//! packager measures the files and writes its own (`crate::package`).
//!
//! Encoder settings per codec are [`encoder_args`], chosen by measurement (`docs/BENCHMARKS.md`,
//! "Transcoding ladder"), and are the only place they are spelled.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::error::MediaError;
use crate::ladder::OUTPUT_RATE;
use crate::model::{Codec, Rung};

/// Where the encoder writes a rung's files inside the work folder: `{id}-init.mp4` and
/// `{id}-NNNNN.m4s`, numbered from 0 by ffmpeg.
pub fn init_name(rung: &Rung) -> String {
    format!("{}-init.mp4", rung.id())
}

/// The encoder's name for segment `n` (0-based) of `rung`.
pub fn segment_name(rung: &Rung, n: usize) -> String {
    format!("{}-{n:05}.m4s", rung.id())
}

/// What the encoder needs to know of the source besides its path.
#[derive(Debug, Clone, Copy)]
pub struct SourceShape {
    /// Channels of the source; the ladder is mono for mono sources, stereo otherwise (more
    /// channels are downmixed).
    pub channels: usize,
    /// Bits per sample of a lossless source (for the FLAC rung), when known.
    pub bits_per_sample: Option<u32>,
}

/// Encoder arguments for one rung (after `-c:a`), as measured best for the ladder.
pub fn encoder_args(rung: &Rung, shape: SourceShape) -> Vec<String> {
    let mut a = Vec::new();
    match rung.codec {
        // The fast coder at 0.40–0.48x the default's CPU, as close to the source as the
        // default once intensity stereo (which costs it 2.4 dB of noise-to-mask at 160 kb/s and
        // 8.6 dB at 256 kb/s) and PNS are off (docs/BENCHMARKS.md, "Transcoding ladder").
        Codec::Aac => {
            a.extend(
                [
                    encoder_name(Codec::Aac),
                    "-aac_coder",
                    "fast",
                    "-aac_is",
                    "0",
                    "-aac_pns",
                    "0",
                ]
                .map(String::from),
            );
        }
        // Complexity 5: the default's distance from the source (log-spectral distance within
        // 0.05 dB) at 0.62–0.68x its CPU.
        Codec::Opus => {
            a.extend(
                [
                    encoder_name(Codec::Opus),
                    "-compression_level",
                    "5",
                    "-vbr",
                    "on",
                ]
                .map(String::from),
            );
        }
        Codec::Flac => {
            // 1920-sample blocks: 40 ms at 48 kHz, so a 6.08 s segment is whole blocks.
            a.extend([
                encoder_name(Codec::Flac).into(),
                "-frame_size".into(),
                "1920".into(),
            ]);
            // FLAC in MP4 is still marked experimental in ffmpeg 5.1.
            a.extend(["-strict".into(), "-2".into()]);
            let bits = shape.bits_per_sample.unwrap_or(16);
            a.extend([
                "-sample_fmt".into(),
                if bits > 16 { "s32" } else { "s16" }.into(),
            ]);
        }
    }
    if let Some(k) = rung.kbps {
        a.extend(["-b:a".into(), format!("{k}k")]);
    }
    a
}

/// The whole command line after `ffmpeg`: one input, one filter graph, one `hls` output per
/// rung into `work`.
pub fn ladder_args(
    source: &Path,
    work: &Path,
    rungs: &[Rung],
    segment_s: f64,
    shape: SourceShape,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .iter()
        .map(OsString::from)
        .collect();
    args.push("-i".into());
    args.push(source.as_os_str().to_owned());
    let layout = if shape.channels <= 1 {
        "mono"
    } else {
        "stereo"
    };
    let labels: String = (0..rungs.len()).map(|i| format!("[r{i}]")).collect();
    args.push("-filter_complex".into());
    args.push(
        format!(
            "[0:a:0]aresample={OUTPUT_RATE},aformat=channel_layouts={layout},asplit={}{labels}",
            rungs.len()
        )
        .into(),
    );
    for (i, rung) in rungs.iter().enumerate() {
        let id = rung.id();
        args.extend(["-map".into(), format!("[r{i}]").into()]);
        args.push("-c:a".into());
        args.extend(encoder_args(rung, shape).into_iter().map(OsString::from));
        args.extend(
            [
                "-map_metadata",
                "-1",
                "-map_chapters",
                "-1",
                "-f",
                "hls",
                "-hls_segment_type",
                "fmp4",
                "-hls_playlist_type",
                "vod",
                "-hls_list_size",
                "0",
            ]
            .iter()
            .map(OsString::from),
        );
        args.extend(["-hls_time".into(), format!("{segment_s}").into()]);
        args.extend(["-hls_fmp4_init_filename".into(), init_name(rung).into()]);
        args.push("-hls_segment_filename".into());
        args.push(work.join(format!("{id}-%05d.m4s")).into_os_string());
        args.push(work.join(format!("{id}.m3u8")).into_os_string());
    }
    args
}

/// How long ffmpeg's stderr tail may be in an error.
const STDERR_TAIL: usize = 2048;

/// Runs `ffmpeg` with `args`; killed when `limit` passes or when the returned future is
/// dropped (a cancelled job). A non-zero exit is [`MediaError::BadSource`] with ffmpeg's last
/// lines; a signal or a missing binary is [`MediaError::Ffmpeg`].
pub async fn run(ffmpeg: &Path, args: &[OsString], limit: Duration) -> Result<(), MediaError> {
    let mut cmd = Command::new(ffmpeg);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| MediaError::Ffmpeg(format!("starting {}: {e}", ffmpeg.display())))?;
    let mut stderr = child.stderr.take();
    let read_err = async move {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            // Bounded: a source that makes ffmpeg warn on every packet must not fill memory.
            let _ = s.take(1 << 20).read_to_end(&mut buf).await;
        }
        buf
    };
    let waited = tokio::time::timeout(limit, async {
        let (status, err) = tokio::join!(child.wait(), read_err);
        (status, err)
    })
    .await;
    let (status, err) = match waited {
        Ok(v) => v,
        Err(_) => {
            return Err(MediaError::Ffmpeg(format!(
                "timed out after {} s",
                limit.as_secs()
            )))
        }
    };
    let status = status.map_err(|e| MediaError::Ffmpeg(format!("waiting for ffmpeg: {e}")))?;
    if status.success() {
        return Ok(());
    }
    let tail = tail(&err);
    match status.code() {
        Some(code) => Err(MediaError::BadSource(format!("exit {code}: {tail}"))),
        None => Err(MediaError::Ffmpeg(format!(
            "killed by a signal ({status}): {tail}"
        ))),
    }
}

/// The last [`STDERR_TAIL`] bytes of ffmpeg's messages, on one line.
fn tail(err: &[u8]) -> String {
    let text = String::from_utf8_lossy(err);
    let text = text.trim();
    let start = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|&i| text.len() - i <= STDERR_TAIL)
        .unwrap_or(0);
    let t = text[start..].replace('\n', " | ");
    if t.is_empty() {
        "no message".into()
    } else {
        t
    }
}

/// On Linux, ffmpeg is killed when the process that started it dies (a worker killed with
/// SIGKILL runs no destructor, and an orphaned encoder would burn a core for minutes for
/// nothing). Elsewhere the job's own kill-on-drop is all there is.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: `prctl(PR_SET_PDEATHSIG)` is async-signal-safe and touches no memory of the
    // parent; it is the only call made between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// Whether `ffmpeg` runs and has every encoder `ladder` needs; the error says what is missing
/// and how to install it.
pub fn check(ffmpeg: &Path, ladder: &crate::ladder::LadderConfig) -> Result<(), String> {
    let mut needed: Vec<&str> = ladder.rungs.iter().map(|r| encoder_name(r.codec)).collect();
    if ladder.flac_for_lossless {
        needed.push("flac");
    }
    check_encoders(ffmpeg, &needed)
}

/// Whether `ffmpeg` runs and has every encoder in `needed` (ffmpeg's names); the error says
/// what is missing and how to install it. ffmpeg is asked once per path and process (every
/// job asks).
pub fn check_encoders(ffmpeg: &Path, needed: &[&str]) -> Result<(), String> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static ENCODERS: Mutex<BTreeMap<PathBuf, Result<String, String>>> = Mutex::new(BTreeMap::new());
    let listed = ENCODERS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(ffmpeg.to_path_buf())
        .or_insert_with(|| list_encoders(ffmpeg))
        .clone()?;
    match needed.iter().find(|e| {
        !listed
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(**e))
    }) {
        Some(e) => Err(format!(
            "{} has no `{e}` encoder; install a full ffmpeg (Debian: apt-get install ffmpeg)",
            ffmpeg.display()
        )),
        None => Ok(()),
    }
}

/// ffmpeg's name of the encoder of `codec` in the ladder.
fn encoder_name(codec: Codec) -> &'static str {
    match codec {
        Codec::Aac => "aac",
        Codec::Opus => "libopus",
        Codec::Flac => "flac",
    }
}

fn list_encoders(ffmpeg: &Path) -> Result<String, String> {
    let out = std::process::Command::new(ffmpeg)
        .args(["-hide_banner", "-encoders"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "{} cannot be run ({e}); install ffmpeg (Debian: apt-get install ffmpeg) or set BACKBEAT_FFMPEG",
                ffmpeg.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "{} -encoders failed ({})",
            ffmpeg.display(),
            out.status
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `ffmpeg` to run: `BACKBEAT_FFMPEG` if set, else `ffmpeg` from the `PATH`.
pub fn default_ffmpeg() -> PathBuf {
    std::env::var_os("BACKBEAT_FFMPEG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ffmpeg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_process_has_one_input_and_one_output_per_rung() {
        let rungs = [Rung::lossy(Codec::Aac, 96), Rung::lossy(Codec::Opus, 64)];
        let shape = SourceShape {
            channels: 2,
            bits_per_sample: None,
        };
        let args = ladder_args(
            Path::new("/in/x.flac"),
            Path::new("/w"),
            &rungs,
            6.08,
            shape,
        );
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
        assert_eq!(args.iter().filter(|a| *a == "-i").count(), 1);
        assert_eq!(args.iter().filter(|a| *a == "hls").count(), 2);
        let graph = &args[args.iter().position(|a| a == "-filter_complex").unwrap() + 1];
        assert!(graph.contains("asplit=2[r0][r1]"), "{graph}");
        assert!(graph.contains("aresample=48000"), "{graph}");
        assert!(args.contains(&"/w/opus-64-%05d.m4s".to_string()));
        assert!(args.contains(&"libopus".to_string()));
    }

    #[test]
    fn the_stderr_tail_keeps_the_end_on_one_line() {
        let long = format!("{}\nInvalid data found", "x".repeat(5000));
        let t = tail(long.as_bytes());
        assert!(t.ends_with("Invalid data found"));
        assert!(t.len() <= STDERR_TAIL + 3);
        assert_eq!(tail(b""), "no message");
    }
}
