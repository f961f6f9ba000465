//! `backbeat eval`: a labels CSV over the fixtures is scored, and bad label files fail clearly.

use std::path::{Path, PathBuf};

use crate::common::{backbeat, fixtures, scratch};

/// The fixtures are a C-major chord struck every 0.5 s: 120 BPM, beats at 0, 0.5, 1.0, 1.5 s.
fn write_labels(dir: &Path) -> PathBuf {
    for f in ["chord_s16.wav", "chord.flac"] {
        std::fs::copy(fixtures().join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("chord.beats"), "0.0\n0.5\n1.0\n1.5\n").unwrap();
    let csv = dir.join("labels.csv");
    std::fs::write(
        &csv,
        "path,source,duration_s,bpm,beats,key,genre,mood,instruments,vocal,speech,lufs,true_peak_db,notes\n\
         chord_s16.wav,fixture,2.0,120,chord.beats,C major,,,,no,no,,,\"generated, see scripts\"\n\
         chord.flac,fixture,2.0,120,,C major,,,,,no,,,\n",
    )
    .unwrap();
    csv
}

/// `backbeat eval CSV --json`, which must succeed.
fn eval_json(csv: &Path) -> serde_json::Value {
    let out = backbeat(&["eval", csv.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

#[test]
fn scores_a_labelled_set() {
    let dir = scratch("eval-ok");
    let csv = write_labels(&dir);
    let v = eval_json(&csv);
    let report = &v["report"];
    assert_eq!(report["files"], 2);
    // The chord is unambiguous: both files get 120 BPM and C major.
    assert_eq!(report["tempo"]["n"], 2);
    assert_eq!(report["tempo"]["acc1"], 2, "{report}");
    assert_eq!(report["key"]["weighted"], 1.0, "{report}");
    assert_eq!(report["beat_f"]["n"], 1);
    assert!(report["beat_f"]["mean"].as_f64().unwrap() > 0.5, "{report}");
    // One source: nothing to choose parameters on without it, so the shipped ones score it.
    let loso = &v["leave_one_source_out"];
    assert_eq!(loso["sources"].as_array().map(Vec::len), Some(1), "{loso}");
    assert_eq!(loso["sources"][0]["source"], "fixture");
    assert!(loso["sources"][0]["key_params"].is_null(), "{loso}");
    assert_eq!(loso["pooled"], v["report"], "{loso}");
    let human = backbeat(&["eval", csv.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&human.stdout);
    assert!(report.contains("files       2 (0 failed)"), "{report}");
    assert!(report.contains("(n=2)"), "{report}");
    assert!(report.contains("leave one source out"), "{report}");
}

/// Two sources: each is scored with the decisions chosen on the other, and says which.
#[test]
fn each_source_is_scored_without_its_own_labels() {
    let dir = scratch("eval-loso");
    let csv = write_labels(&dir);
    let text = std::fs::read_to_string(&csv).unwrap();
    // The second row's source column; the first row's source comes from its folder-less path.
    let text = text.replace("chord.flac,fixture,", "chord.flac,other,");
    std::fs::write(&csv, text).unwrap();
    let v = eval_json(&csv);
    let loso = &v["leave_one_source_out"];
    let sources: Vec<&str> = loso["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["fixture", "other"], "{loso}");
    for s in loso["sources"].as_array().unwrap() {
        assert_eq!(s["files"], 1, "{s}");
        assert!(s["key_params"].is_string(), "{s}");
        assert!(s["tempo_decision"].as_str().unwrap().contains("BPM"), "{s}");
        // A clean C-major chord at 120 BPM: whatever the other source chose still gets it.
        assert_eq!(s["loso"]["key"]["weighted"], 1.0, "{s}");
        assert_eq!(s["loso"]["tempo"]["acc1"], 1, "{s}");
    }
    assert_eq!(loso["pooled"]["key"]["n"], 2);
    assert_eq!(
        loso["key_candidates"],
        backbeat_audio::key::KeyParams::candidates().len()
    );
}

#[test]
fn a_broken_labels_file_is_a_clear_error() {
    let dir = scratch("eval-broken");
    let csv = dir.join("labels.csv");
    std::fs::write(&csv, "path,bpm\n\"unterminated,120\n").unwrap();
    let out = backbeat(&["eval", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("labels.csv"), "{stderr}");
    let missing = backbeat(&["eval", dir.join("nope.csv").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
}
