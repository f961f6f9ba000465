//! Shared helpers for the integration tests: fixture paths, WAV writing, tool lookup.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Path of a checked-in fixture under the root `testdata/formats/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/formats")
        .join(name)
}

/// A fresh scratch directory for one test, removed and recreated.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "backbeat-audio-tests-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Sample encodings [`write_wav`] can produce.
#[derive(Clone, Copy, Debug)]
pub enum WavFormat {
    /// 16-bit integer PCM.
    S16,
    /// 24-bit integer PCM.
    S24,
    /// 32-bit IEEE float.
    F32,
}

/// Write interleaved samples (in [-1, 1]) as a WAV file.
pub fn write_wav(path: &Path, rate: u32, channels: u16, format: WavFormat, samples: &[f32]) {
    let (bits, tag): (u16, u16) = match format {
        WavFormat::S16 => (16, 1),
        WavFormat::S24 => (24, 1),
        WavFormat::F32 => (32, 3),
    };
    let block = channels * bits / 8;
    let data_len = samples.len() as u32 * u32::from(bits / 8);
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    out.extend_from_slice(&block.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for &s in samples {
        let s = s.clamp(-1.0, 1.0);
        match format {
            WavFormat::S16 => out.extend_from_slice(&((s * 32767.0).round() as i16).to_le_bytes()),
            WavFormat::S24 => {
                let v = (s * 8_388_607.0).round() as i32;
                out.extend_from_slice(&v.to_le_bytes()[..3]);
            }
            WavFormat::F32 => out.extend_from_slice(&s.to_le_bytes()),
        }
    }
    let mut f = std::fs::File::create(path).expect("create wav");
    f.write_all(&out).expect("write wav");
}

/// A stereo test signal: a decaying C-major chord struck every 0.5 s.
pub fn chord_signal(rate: u32, seconds: f32) -> Vec<f32> {
    let n = (rate as f32 * seconds) as usize;
    let mut out = Vec::with_capacity(n * 2);
    for i in 0..n {
        let t = i as f32 / rate as f32;
        let env = (-6.0 * (t % 0.5)).exp();
        let x = 0.25
            * env
            * [261.63f32, 329.63, 392.0]
                .iter()
                .map(|f| (2.0 * std::f32::consts::PI * f * t).sin())
                .sum::<f32>();
        out.push(x);
        out.push(0.8 * x);
    }
    out
}

/// Whether an external tool runs here. When it does not, tests that need it print a notice and
/// pass — unless `BACKBEAT_REQUIRE_TOOLS=1` (set by CI), which turns the absence into a failure.
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{tool} is required (BACKBEAT_REQUIRE_TOOLS=1) but was not found on PATH");
        }
        eprintln!("SKIP: {tool} not found on PATH; install it (scripts/setup.sh) to run this test");
    }
    ok
}

/// Decode a file with ffmpeg to interleaved f32 at its native rate and channel count.
pub fn ffmpeg_decode(path: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg failed on {}", path.display());
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
