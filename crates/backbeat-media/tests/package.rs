//! `package::package` end to end on real sources: every fixture format, narrowband mono, 96 kHz
//! 24-bit, a file shorter than one segment and a one-hour file each make a ladder whose
//! manifests pass the RFC 8216 / ISO 23009-1 validators and which ffprobe plays; a corrupt
//! source fails with ffmpeg's reason, as a bad source.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use backbeat_media::ffmpeg::SourceShape;
use backbeat_media::gain::{normalisation_gain, NormalisationTarget};
use backbeat_media::ladder::{rungs_for, LadderConfig, SourceQuality};
use backbeat_media::model::{Codec, Rung};
use backbeat_media::package::{package, PackageOutput, PackageSpec};
use backbeat_media::MediaError;

use crate::fixture::{have, run, run_clean};
use crate::validate::{dash::check_mpd, hls::check_master, hls::check_media};

fn formats() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/formats")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("package-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("work")).unwrap();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    dir
}

/// What ffprobe says of a source: codec, rate, channels, bitrate (kb/s).
fn probe(path: &Path) -> SourceQuality {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0"])
        .args([
            "-show_entries",
            "stream=codec_name,sample_rate,channels:format=bit_rate",
            "-of",
            "default=nw=1",
        ])
        .arg(path));
    let text = String::from_utf8_lossy(&out).to_string();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or("")
            .to_string()
    };
    SourceQuality {
        codec: field("codec_name"),
        bitrate_kbps: field("bit_rate").parse::<f64>().ok().map(|b| b / 1000.0),
        sample_rate: field("sample_rate").parse().unwrap_or(44_100),
        channels: field("channels").parse().unwrap_or(2),
    }
}

async fn package_file(
    name: &str,
    source: &Path,
    rungs: Option<Vec<Rung>>,
) -> Result<(PathBuf, PackageOutput), MediaError> {
    let dir = scratch(name);
    let cfg = LadderConfig::default();
    let quality = probe(source);
    let spec = PackageSpec {
        ffmpeg: "ffmpeg".into(),
        source: source.to_path_buf(),
        shape: SourceShape {
            channels: quality.channels,
            bits_per_sample: None,
        },
        rungs: rungs.unwrap_or_else(|| rungs_for(&cfg, &quality)),
        segment_s: cfg.segment_s(),
        gain: normalisation_gain(Some(-20.0), Some(-8.0), NormalisationTarget::default()),
        generation: "t1".into(),
        limit: Duration::from_secs(600),
    };
    let made = package(&spec, &dir.join("work"), &dir.join("out")).await?;
    Ok((dir.join("out"), made))
}

/// Every manifest passes the validators, every file they name exists, and ffprobe (a real
/// HLS and DASH client) plays the master playlist for about `seconds`.
fn check(out: &Path, made: &PackageOutput, seconds: f64) {
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let ladder = &made.ladder;
    check_master(&read(&made.index.manifests.hls), ladder);
    check_mpd(&read(&made.index.manifests.dash), ladder);
    for r in &ladder.renditions {
        check_media(&read(&r.playlist), r);
        assert!(out.join(&r.init).is_file());
        for s in &r.segments {
            assert!(out.join(&s.name).is_file(), "{}", s.name);
        }
        // Priming (AAC 1024 samples, Opus 312) is inside the measured duration.
        assert!(
            (r.duration_s() - seconds).abs() < 0.05,
            "{}: {} s for {seconds} s",
            r.id,
            r.duration_s()
        );
    }
    let n = made
        .index
        .normalised
        .as_ref()
        .expect("Opus rungs give normalised manifests");
    let n_text = read(&n.hls);
    assert!(
        n_text.contains("opus") && !n_text.contains("mp4a"),
        "{n_text}"
    );
    let master = out.join(&made.index.manifests.hls);
    let d = run_clean(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format=duration",
                "-of",
                "default=nw=1:nk=1",
            ])
            .arg(&master),
    );
    let d: f64 = String::from_utf8_lossy(&d).trim().parse().unwrap();
    assert!((d - seconds).abs() < 0.05, "ffprobe: {d} s for {seconds} s");
}

#[tokio::test]
async fn every_fixture_format_makes_a_valid_ladder() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    for f in [
        "chord.mp3",
        "chord.flac",
        "chord_s16.wav",
        "chord_s24.wav",
        "chord_f32.wav",
        "chord.ogg",
        "chord.opus",
        "chord.aac",
        "chord_aac.m4a",
        "chord_alac.m4a",
        "chord_8k_mono.wav",
    ] {
        let src = formats().join(f);
        let seconds = probe_duration(&src);
        let (out, made) = package_file(f, &src, None)
            .await
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        check(&out, &made, seconds);
        if f == "chord_8k_mono.wav" {
            // Narrowband: the lowest rung of each codec, mono.
            let ids: Vec<&str> = made
                .index
                .renditions
                .iter()
                .map(|r| r.id.as_str())
                .collect();
            assert_eq!(ids, ["aac-96", "opus-64"], "{f}");
            assert!(made.ladder.renditions.iter().all(|r| r.channels == 1));
        }
    }
}

fn probe_duration(path: &Path) -> f64 {
    let out = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=nw=1:nk=1",
        ])
        .arg(path));
    String::from_utf8_lossy(&out).trim().parse().unwrap()
}

/// `ffmpeg -filter_complex graph` into `path`.
fn synth(path: &Path, graph: &str, args: &[&str]) {
    run(Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-filter_complex", graph])
        .args(args)
        .arg(path));
}

#[tokio::test]
async fn hi_res_short_and_lossless_sources_make_valid_ladders() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dir = scratch("sources");
    // 96 kHz 24-bit, with a FLAC rung (lossless source).
    let hires = dir.join("hires.flac");
    synth(
        &hires,
        "sine=f=440:r=96000:d=9,aformat=channel_layouts=stereo",
        &["-sample_fmt", "s32", "-bits_per_raw_sample", "24"],
    );
    let mut rungs = rungs_for(&LadderConfig::default(), &probe(&hires));
    rungs.push(Rung::flac());
    let (out, made) = package_file("hires", &hires, Some(rungs)).await.unwrap();
    check(&out, &made, 9.0);
    let flac = made
        .ladder
        .renditions
        .iter()
        .find(|r| r.rung.codec == Codec::Flac)
        .unwrap();
    assert_eq!(flac.codecs, "fLaC");
    // Shorter than one segment: one segment per rendition.
    let short = dir.join("short.wav");
    synth(&short, "sine=f=330:d=1,aformat=channel_layouts=stereo", &[]);
    let (out, made) = package_file("short", &short, None).await.unwrap();
    check(&out, &made, 1.0);
    assert!(made.ladder.renditions.iter().all(|r| r.segments.len() == 1));
}

#[tokio::test]
async fn a_corrupt_source_fails_as_a_bad_source_with_ffmpegs_reason() {
    if !have("ffmpeg") {
        return;
    }
    let dir = scratch("corrupt");
    let bad = dir.join("bad.mp3");
    std::fs::write(
        &bad,
        b"ID3\x04\0\0\0\0\0\0 this is not audio at all, only words",
    )
    .unwrap();
    let spec = PackageSpec {
        ffmpeg: "ffmpeg".into(),
        source: bad,
        shape: SourceShape {
            channels: 2,
            bits_per_sample: None,
        },
        rungs: vec![Rung::lossy(Codec::Aac, 96)],
        segment_s: 6.08,
        gain: normalisation_gain(None, None, NormalisationTarget::default()),
        generation: "t1".into(),
        limit: Duration::from_secs(60),
    };
    let err = package(&spec, &dir.join("work"), &dir.join("out"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("ffmpeg"), "{err}");
}

#[tokio::test]
async fn a_one_hour_source_makes_a_valid_ladder() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dir = scratch("hour-source");
    let src = dir.join("hour.flac");
    synth(
        &src,
        "sine=f=220:d=3600,aformat=channel_layouts=mono",
        &["-compression_level", "0"],
    );
    // Two rungs keep the test's cost at about a minute of CPU; the ladder's shape does not
    // depend on how many rungs it has.
    let rungs = vec![Rung::lossy(Codec::Aac, 96), Rung::lossy(Codec::Opus, 64)];
    let (out, made) = package_file("hour", &src, Some(rungs)).await.unwrap();
    check(&out, &made, 3600.0);
    assert!(
        made.ladder
            .renditions
            .iter()
            .all(|r| r.segments.len() == 593),
        "{:?}",
        made.index.renditions
    );
}
