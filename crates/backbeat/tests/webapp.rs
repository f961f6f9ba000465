//! The web app end to end: `backbeat demo` seeds a catalog from generated recordings through
//! the real pipeline and annotation engine, and `tests/browser/webapp.mjs` drives Debian's
//! Chromium through every role's work (see that file). The app's assets are the ones embedded
//! in this binary.
//!
//! Needs ffmpeg, node, chromium and the browser tests' npm packages: without them the test
//! prints `SKIP` unless `BACKBEAT_REQUIRE_TOOLS=1`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use backbeat_store::testing::have_tools;

use crate::common::{browser_harness, scratch};

/// A 30-second stereo FLAC: a kick on every beat at `bpm` over a chord, made by ffmpeg.
fn groove(path: &Path, bpm: f64, chord_hz: f64) {
    let beat = 60.0 / bpm;
    let expr = format!(
        "0.6*sin(2*PI*55*t)*exp(-mod(t,{beat})*18)+0.15*sin(2*PI*{chord_hz}*t)+0.1*sin(2*PI*{}*t)",
        chord_hz * 1.25
    );
    let ok = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        // Commas inside a filter's arguments are escaped from the filter-graph parser.
        .arg(format!(
            "aevalsrc={}:s=44100:d=30",
            expr.replace(',', "\\,")
        ))
        .args(["-ac", "2"])
        .arg(path)
        .status()
        .expect("running ffmpeg")
        .success();
    assert!(ok, "ffmpeg could not make {}", path.display());
}

/// `backbeat demo` on `data`, killed when dropped.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demo and waits for its "ready at URL" line; returns the process and the URL.
fn start_demo(data: &Path, samples: &Path) -> (Demo, String) {
    let log = std::fs::File::create(data.join("demo.log")).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args([
            "demo",
            "--bind",
            "127.0.0.1:0",
            "--limit",
            "0",
            "--data-dir",
        ])
        .arg(data.join("demo"))
        .arg("--samples")
        .arg(samples)
        .env_remove("BACKBEAT_PUBLIC_URL")
        .env_remove("BACKBEAT_CONFIG")
        .env_remove("BACKBEAT_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("starting backbeat demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("Backbeat demo ready at ") {
                let _ = tx.send(url.trim_end_matches('/').to_string());
            }
        }
    });
    let demo = Demo(child);
    let url = rx
        .recv_timeout(Duration::from_secs(600))
        .unwrap_or_else(|_| {
            panic!(
                "the demo was not ready within 10 minutes:\n{}",
                std::fs::read_to_string(data.join("demo.log")).unwrap_or_default()
            )
        });
    (demo, url)
}

#[test]
fn every_role_does_its_work_in_chromium_on_the_demo() {
    if !have_tools(&["ffmpeg"]) {
        return;
    }
    let Some(harness) = browser_harness("the web app test") else {
        return;
    };
    let data = scratch("webapp");
    let samples = data.join("samples/Demo grooves");
    std::fs::create_dir_all(&samples).unwrap();
    groove(&samples.join("Groove in A.flac"), 120.0, 220.0);
    groove(&samples.join("Slow walk.flac"), 90.0, 196.0);
    groove(&samples.join("Night drive.flac"), 128.0, 246.9);
    groove(&samples.join("Morning run.flac"), 140.0, 329.6);
    let upload = data.join("Dropped take.flac");
    groove(&upload, 100.0, 261.6);

    let (_demo, url) = start_demo(&data, &data.join("samples"));
    let shots = data.join("screenshots");
    let out = Command::new("node")
        .arg(harness.join("webapp.mjs"))
        .args(["--base", &url])
        .arg("--demo")
        .arg(data.join("demo/demo.json"))
        .arg("--upload")
        .arg(&upload)
        .arg("--out")
        .arg(&shots)
        .output()
        .expect("running webapp.mjs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the web app did not do every role's work; failed checks first (CI shows the start of \
         this message only):\n{}\n--- whole report ---\n{report}\n{}\n--- demo log ---\n{}",
        failed_checks(&report),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(data.join("demo.log")).unwrap_or_default()
    );
    for shot in [
        "workspace-1440.png",
        "workspace-360.png",
        "dashboard-1440.png",
    ] {
        assert!(shots.join(shot).is_file(), "no screenshot {shot}");
    }
    // `BACKBEAT_DOCS_SCREENSHOTS=DIR` keeps them (scripts/screenshots.sh puts them in docs/).
    if let Ok(dir) = std::env::var("BACKBEAT_DOCS_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(&shots).unwrap().map_while(Result::ok) {
            if e.path().extension().is_some_and(|x| x == "png") {
                std::fs::copy(e.path(), Path::new(&dir).join(e.file_name())).unwrap();
            }
        }
    }
}

/// The checks of `webapp.mjs`'s JSON report that failed, one per line with their detail.
fn failed_checks(report: &str) -> String {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(report) else {
        return "(no JSON report: see below)".to_string();
    };
    let failed: Vec<String> = json["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["ok"] != true)
        .map(|s| format!("FAILED: {} — {}", s["name"], s["detail"]))
        .collect();
    if failed.is_empty() {
        "(every check passed; the harness itself failed: see below)".to_string()
    } else {
        failed.join("\n")
    }
}
