//! `backbeat analyze --tags`: the tagger in the same decode as the descriptors, bad options and
//! missing models. Tagged runs need the model files (`scripts/install-models.sh`); without
//! them they skip with a notice, and fail under `BACKBEAT_REQUIRE_TOOLS=1` (CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{backbeat, fixtures, scratch};

fn models_installed() -> bool {
    let dir = backbeat_tagger::default_models_dir();
    if dir.join("musicnn/MTT_musicnn.onnx").is_file() {
        return true;
    }
    assert!(
        std::env::var_os("BACKBEAT_REQUIRE_TOOLS").is_none(),
        "BACKBEAT_REQUIRE_TOOLS is set but the tagger models are not in {}",
        dir.display()
    );
    eprintln!("SKIP: tagger models not installed (scripts/install-models.sh)");
    false
}

/// Whether the ONNX Runtime library `scripts/setup.sh` installs is here (mandatory under
/// `BACKBEAT_REQUIRE_TOOLS`).
fn onnx_runtime_installed() -> bool {
    let library = backbeat_tagger::backend::default_ort_library();
    let here = library.is_file();
    assert!(
        here || std::env::var_os("BACKBEAT_REQUIRE_TOOLS").is_none(),
        "BACKBEAT_REQUIRE_TOOLS is set but there is no ONNX Runtime library at {}",
        library.display()
    );
    here
}

fn tagger_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/musicnn/reference")
        .join(name)
}

/// A 16-bit mono WAV of `secs` seconds of a two-tone chord at `rate` Hz.
fn write_wav(path: &Path, rate: u32, secs: f32) {
    let n = (rate as f32 * secs) as usize;
    let mut data = Vec::with_capacity(n * 2);
    for i in 0..n {
        let t = i as f32 / rate as f32;
        let s = 0.3 * (std::f32::consts::TAU * 220.0 * t).sin()
            + 0.3 * (std::f32::consts::TAU * 330.0 * t).sin();
        data.extend_from_slice(&((s * 32767.0) as i16).to_le_bytes());
    }
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    std::fs::write(path, wav).unwrap();
}

fn records(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn tags_come_with_the_analysis_in_one_run() {
    if !models_installed() {
        return;
    }
    let dir = scratch("tags");
    write_wav(&dir.join("phone_8k.wav"), 8_000, 5.0);
    std::fs::copy(tagger_fixture("loud_guitar_8s.wav"), dir.join("guitar.wav")).unwrap();
    std::fs::write(dir.join("empty.mp3"), b"").unwrap();
    let out = backbeat(&["analyze", "--tags", "-j", "2", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out.stdout);
    let by = |n: &str| {
        recs.iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(n))
            .unwrap()
    };

    let guitar = by("guitar.wav");
    assert!(guitar["rhythm"].is_object(), "the analysis is still there");
    let tags = &guitar["tags"];
    assert_eq!(tags["sampling"], "spread:11");
    let backend = if onnx_runtime_installed() {
        "ort"
    } else {
        "tract"
    };
    assert_eq!(tags["backend"], backend);
    assert_eq!(
        (
            tags["patches_used"].as_u64(),
            tags["patches_total"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(tags["raw"]["MTT_musicnn"].as_array().unwrap().len(), 50);
    assert_eq!(tags["labels"]["MSD_musicnn"][0], "rock");
    assert_eq!(tags["embedding"].as_array().unwrap().len(), 400);
    assert!(
        tags["mood"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tag"] == "loud"),
        "{tags}"
    );
    assert!(guitar["tag_seconds"].as_f64().unwrap() > 0.0);

    // 8 kHz: tagged (upsampled to the models' rate) with a warning that says why to doubt it.
    let phone = &by("phone_8k.wav")["tags"];
    assert!(phone["raw"]["MSD_musicnn"].is_array(), "{phone}");
    assert!(
        phone["warnings"][0].as_str().unwrap().contains("8000 Hz"),
        "{phone}"
    );

    // A file that cannot be decoded has its error and no tags.
    let empty = by("empty.mp3");
    assert_eq!(empty["error"]["kind"], "empty_file");
    assert!(empty.get("tags").is_none());
}

#[test]
fn all_patches_and_thresholds_are_options() {
    if !models_installed() {
        return;
    }
    let file = tagger_fixture("chord_noise_7s.wav");
    let file = file.to_str().unwrap();
    let out = backbeat(&["analyze", "--tags", "--tag-patches", "all", file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(records(&out.stdout)[0]["tags"]["sampling"], "all");
    // Every genre reported at threshold 0.
    let out = backbeat(&["analyze", "--tags", "--tag-threshold", "jazz=0", file]);
    let genres = records(&out.stdout)[0]["tags"]["genre"].clone();
    assert!(
        genres
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tag"] == "jazz"),
        "{genres}"
    );
}

#[test]
fn bad_tag_options_are_usage_errors() {
    let f = fixtures().join("chord.flac");
    let f = f.to_str().unwrap();
    for args in [
        vec!["analyze", "--tags", "--tag-patches", "0", f],
        vec!["analyze", "--tags", "--tag-patches", "some", f],
        vec!["analyze", "--tags", "--tag-threshold", "kazoo=0.1", f],
        vec!["analyze", "--tags", "--tag-threshold", "rock=7", f],
    ] {
        let out = backbeat(&args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn missing_models_stop_the_run_naming_the_file_and_the_install_command() {
    let dir = scratch("no-models");
    let f = fixtures().join("chord.flac");
    let out = backbeat(&[
        "analyze",
        "--tags",
        "--models-dir",
        dir.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no half-done output");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MTT_musicnn.onnx") && err.contains("install-models.sh"),
        "{err}"
    );
}

fn backbeat_with_library(library: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args(args)
        .env("BACKBEAT_ORT_LIBRARY", library)
        .env_remove("BACKBEAT_TAGGER_BACKEND")
        .output()
        .expect("run backbeat")
}

#[test]
fn without_onnx_runtime_tagging_runs_on_tract_after_one_notice() {
    if !models_installed() {
        return;
    }
    let dir = scratch("no-ort");
    let library = dir.join("libonnxruntime.so");
    // Two files, two jobs: still one notice for the whole run.
    let a = tagger_fixture("chord_noise_7s.wav");
    let b = tagger_fixture("drums_6s.wav");
    let files = [a.to_str().unwrap(), b.to_str().unwrap()];
    for broken in [None, Some(&b"not a library"[..])] {
        if let Some(bytes) = broken {
            std::fs::write(&library, bytes).unwrap();
        }
        let out = backbeat_with_library(
            &library,
            &[&["analyze", "--tags", "-j", "2"][..], &files].concat(),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        let notices: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("tagging with tract"))
            .collect();
        assert_eq!(notices.len(), 1, "{err}");
        assert!(notices[0].contains(library.to_str().unwrap()), "{err}");
        let recs = records(&out.stdout);
        assert_eq!(recs.len(), 2);
        for r in &recs {
            assert_eq!(r["tags"]["backend"], "tract", "{r}");
        }

        // Asked for by name, a missing ONNX Runtime stops the run before any output.
        let out = backbeat_with_library(
            &library,
            &["analyze", "--tags", "--tagger-backend", "ort", files[0]],
        );
        assert!(!out.status.success());
        assert!(out.stdout.is_empty(), "no half-done output");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(library.to_str().unwrap()) && err.contains("setup.sh"),
            "{err}"
        );

        // Asked for tract, nothing is said about ONNX Runtime.
        let out = backbeat_with_library(
            &library,
            &["analyze", "--tags", "--tagger-backend", "tract", files[0]],
        );
        assert!(out.status.success());
        assert!(!String::from_utf8_lossy(&out.stderr).contains("ONNX Runtime"));
    }
    let out = backbeat(&["analyze", "--tags", "--tagger-backend", "cuda", files[0]]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`cuda`"));
}
