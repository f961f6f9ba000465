//! `backbeat analyze`: output records, error records, formats, summary and exit codes.

use crate::common::{backbeat, fixtures, scratch};

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

#[test]
fn analyzes_a_folder_recursively_as_json_lines() {
    let out = backbeat(&["analyze", "--jobs", "2", fixtures().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = json_lines(&out.stdout);
    assert_eq!(records.len(), 11);
    for r in &records {
        assert!(r["error"].is_null(), "{r}");
        for field in ["file", "loudness", "rhythm", "dynamics", "content"] {
            assert!(r[field].is_object(), "{field} missing in {r}");
        }
        assert!(r["file"]["duration_secs"].as_f64().unwrap() > 1.9);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("11 files, 0 failed"), "{stderr}");
    assert!(stderr.contains("x real time"), "{stderr}");
}

#[test]
fn a_bad_file_gets_an_error_record_and_the_batch_carries_on() {
    let dir = scratch("mixed");
    std::fs::write(dir.join("empty.mp3"), b"").unwrap();
    std::fs::write(dir.join("notes.wav"), b"not audio, just words").unwrap();
    std::fs::copy(fixtures().join("chord.flac"), dir.join("good.flac")).unwrap();
    let out = backbeat(&["analyze", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let records = json_lines(&out.stdout);
    assert_eq!(records.len(), 3);
    let by_name = |n: &str| {
        records
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(n))
            .unwrap()
    };
    assert_eq!(by_name("empty.mp3")["error"]["kind"], "empty_file");
    assert_eq!(by_name("notes.wav")["error"]["kind"], "unrecognised_format");
    assert!(by_name("good.flac")["error"].is_null());
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 files, 2 failed"));
}

#[test]
fn table_format_and_out_file() {
    let dir = scratch("table");
    let out_file = dir.join("out.txt");
    std::fs::write(dir.join("empty.ogg"), b"").unwrap();
    let out = backbeat(&[
        "analyze",
        "--format",
        "table",
        "--out",
        out_file.to_str().unwrap(),
        fixtures().join("chord.mp3").to_str().unwrap(),
        dir.join("empty.ogg").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let table = std::fs::read_to_string(&out_file).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].contains("LUFS") && lines[0].contains("BPM"));
    assert!(lines[1].contains("chord.mp3") && lines[1].contains("mp3"));
    assert!(lines[2].contains("FAILED (empty_file)"));
}

#[test]
fn no_beats_leaves_beat_lists_empty() {
    let out = backbeat(&[
        "analyze",
        "--no-beats",
        fixtures().join("chord_s16.wav").to_str().unwrap(),
    ]);
    let records = json_lines(&out.stdout);
    assert_eq!(
        records[0]["rhythm"]["beats"].as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let out = backbeat(&["analyze", "/nonexistent/backbeat/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/backbeat/folder"));
}

#[test]
fn a_folder_without_audio_is_a_usage_error() {
    let dir = scratch("noaudio");
    std::fs::write(dir.join("readme.txt"), b"hello").unwrap();
    let out = backbeat(&["analyze", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no audio files"));
}

#[test]
fn a_symlink_loop_does_not_stop_the_walk() {
    let dir = scratch("symlink-loop");
    std::fs::copy(fixtures().join("chord.ogg"), dir.join("a.ogg")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("a.ogg"), dir.join("b.ogg")).unwrap();
    let out = backbeat(&["analyze", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json_lines(&out.stdout).len(),
        2,
        "the file and the linked file, once each"
    );
}
