//! Integration tests: loudness.
//!
//! EBU Tech 3341 / 3342 style cases generated here (no fixtures), and one comparison with
//! ffmpeg's `ebur128` filter on generated audio when ffmpeg is installed.

use std::f64::consts::PI;
use std::path::Path;
use std::process::Command;

use backbeat_audio::loudness::{Loudness, LoudnessMeter};

/// Stereo interleaved 1 kHz sine segments: (peak dBFS, seconds) each, phase-continuous.
fn stereo_tone(rate: u32, segments: &[(f64, f64)]) -> Vec<f32> {
    let w = 2.0 * PI * 1000.0 / f64::from(rate);
    let mut out = Vec::new();
    let mut i = 0usize;
    for &(dbfs, secs) in segments {
        let amp = 10f64.powf(dbfs / 20.0);
        for _ in 0..(secs * f64::from(rate)) as usize {
            let v = (amp * (w * i as f64).sin()) as f32;
            out.extend([v, v]);
            i += 1;
        }
    }
    out
}

fn measure(rate: u32, channels: usize, x: &[f32]) -> Loudness {
    let mut m = LoudnessMeter::new(rate, channels);
    // Push in driver-like chunks.
    for chunk in x.chunks(2304) {
        m.push_interleaved(chunk);
    }
    m.finish()
}

fn integrated(l: &Loudness) -> f64 {
    l.integrated_lufs.unwrap_or(f64::NAN)
}

#[test]
fn tech3341_stereo_sine_at_minus_23() {
    let l = measure(48_000, 2, &stereo_tone(48_000, &[(-23.0, 20.0)]));
    assert!((integrated(&l) + 23.0).abs() <= 0.1, "{l:?}");
    // ReplayGain 2.0 brings it to -18 LUFS: +5 dB.
    let g = l.replaygain_track_gain_db.unwrap_or(f64::NAN);
    assert!((g - 5.0).abs() <= 0.1, "{g}");
}

#[test]
fn tech3341_stereo_sine_at_minus_33() {
    let l = measure(44_100, 2, &stereo_tone(44_100, &[(-33.0, 20.0)]));
    assert!((integrated(&l) + 33.0).abs() <= 0.1, "{l:?}");
}

/// Tech 3341 case 3 style: the quiet lead-in and tail are removed by the relative gate.
#[test]
fn tech3341_relative_gate() {
    let x = stereo_tone(48_000, &[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]);
    let l = measure(48_000, 2, &x);
    assert!((integrated(&l) + 23.0).abs() <= 0.1, "{l:?}");
}

/// Tech 3342 case 1: -20 then -30 dBFS, 20 s each → LRA 10 LU.
#[test]
fn tech3342_loudness_range() {
    let l = measure(
        48_000,
        2,
        &stereo_tone(48_000, &[(-20.0, 20.0), (-30.0, 20.0)]),
    );
    assert!((l.loudness_range_lu - 10.0).abs() <= 1.0, "{l:?}");
    // A steady tone has no range.
    let l = measure(48_000, 2, &stereo_tone(48_000, &[(-20.0, 10.0)]));
    assert!(l.loudness_range_lu.abs() <= 0.1, "{l:?}");
}

/// A sine at fs/4 with 45° phase: every sample sits at ±A/√2, 3.01 dB below the true peak A.
#[test]
fn true_peak_between_samples() {
    let rate = 48_000u32;
    let amp = 0.5f64;
    let n = rate as usize * 2;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            // Fades keep the edges from ringing above the stationary part.
            let fade = (i.min(n - 1 - i) as f64 / 2000.0).min(1.0);
            let v = (fade * amp * (PI / 2.0 * i as f64 + PI / 4.0).sin()) as f32;
            [v, v]
        })
        .collect();
    let l = measure(rate, 2, &x);
    let want = 20.0 * amp.log10();
    let tp = l.true_peak_dbtp.unwrap_or(f64::NAN);
    let sp = l.sample_peak_dbfs.unwrap_or(f64::NAN);
    assert!((tp - want).abs() <= 0.2, "true peak {tp} vs {want}");
    assert!((sp - (want - 3.0103)).abs() <= 0.01, "sample peak {sp}");
    assert!((l.replaygain_track_peak - amp).abs() <= 0.025);
}

/// 32-bit float WAV, written by hand (no extra crates).
fn write_wav_f32(path: &Path, rate: u32, channels: u16, x: &[f32]) -> std::io::Result<()> {
    let data_len = (x.len() * 4) as u32;
    let mut b = Vec::with_capacity(44 + x.len() * 4);
    b.extend(b"RIFF");
    b.extend((36 + data_len).to_le_bytes());
    b.extend(b"WAVEfmt ");
    b.extend(16u32.to_le_bytes());
    b.extend(3u16.to_le_bytes()); // IEEE float
    b.extend(channels.to_le_bytes());
    b.extend(rate.to_le_bytes());
    b.extend((rate * u32::from(channels) * 4).to_le_bytes());
    b.extend((channels * 4).to_le_bytes());
    b.extend(32u16.to_le_bytes());
    b.extend(b"data");
    b.extend(data_len.to_le_bytes());
    for v in x {
        b.extend(v.to_le_bytes());
    }
    std::fs::write(path, b)
}

/// Last value of `key` in ffmpeg's `ebur128` metadata (3 decimals) for `path`.
fn ffmpeg_ebur128(path: &Path, key: &str) -> Option<f64> {
    let meta = path.with_extension("meta.txt");
    let filter = format!(
        "ebur128=peak=true:metadata=1,ametadata=print:file={}",
        meta.display()
    );
    let out = Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-y", "-i"])
        .arg(path)
        .args(["-af", &filter, "-f", "null", "-"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = std::fs::read_to_string(&meta).ok()?;
    let prefix = format!("lavfi.r128.{key}=");
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix(&prefix))?
        .trim()
        .parse()
        .ok()
}

fn ffmpeg_available() -> bool {
    Command::new("ffmpeg").arg("-version").output().is_ok()
}

/// Generated programme-like audio (two tones, noise, a loudness swell) against ffmpeg.
#[test]
fn agrees_with_ffmpeg_ebur128() {
    if !ffmpeg_available() {
        assert!(
            std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "ffmpeg not found but BACKBEAT_REQUIRE_TOOLS=1"
        );
        println!("SKIP: ffmpeg not found");
        return;
    }
    let dir = std::env::temp_dir().join(format!("backbeat-loudness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (rate, channels) in [(44_100u32, 2usize), (22_050, 1)] {
        let n = rate as usize * 6;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut x = Vec::with_capacity(n * channels);
        for i in 0..n {
            let t = i as f64 / f64::from(rate);
            let swell = 0.2 + 0.8 * (PI * t / 6.0).sin().powi(2);
            for c in 0..channels {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let tone = 0.3 * (2.0 * PI * 220.0 * t).sin()
                    + 0.1 * (2.0 * PI * (3000.0 + 500.0 * c as f64) * t).sin();
                x.push((swell * (tone + 0.2 * noise)) as f32);
            }
        }
        let path = dir.join(format!("gen_{rate}_{channels}.wav"));
        write_wav_f32(&path, rate, channels as u16, &x).unwrap();
        let ours = measure(rate, channels, &x);
        let theirs = ffmpeg_ebur128(&path, "I").expect("ffmpeg ebur128 output");
        let diff = integrated(&ours) - theirs;
        println!("{rate} Hz, {channels} ch: I ours - ffmpeg = {diff:+.4} LU");
        assert!(
            diff.abs() <= 0.1,
            "{rate} Hz: ours {ours:?}, ffmpeg I = {theirs}"
        );
        let their_peak = ffmpeg_ebur128(&path, "true_peak").expect("ffmpeg true peak");
        let tp_diff = ours.true_peak_dbtp.unwrap_or(f64::NAN) - 20.0 * their_peak.log10();
        println!("{rate} Hz, {channels} ch: true peak ours - ffmpeg = {tp_diff:+.3} dB");
        assert!(
            tp_diff.abs() <= 0.5,
            "{rate} Hz: ours {ours:?}, ffmpeg peak {their_peak}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
