//! Helpers shared by the binary's integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The audio fixtures of `backbeat-audio`.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/formats")
}

/// Run the built `backbeat` binary with `args`.
pub fn backbeat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args(args)
        .output()
        .expect("run backbeat")
}

/// A fresh, empty scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backbeat-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The browser harness (`tests/browser`) when node, its npm packages (playwright-core,
/// axe-core) and Debian's chromium are here; a printed `SKIP` naming `what` otherwise, a
/// failure under `BACKBEAT_REQUIRE_TOOLS=1` (CI).
pub fn browser_harness(what: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let ready = node
        && dir.join("node_modules/playwright-core").is_dir()
        && dir.join("node_modules/axe-core").is_dir()
        && Path::new("/usr/bin/chromium").exists();
    if !ready {
        assert!(
            std::env::var("BACKBEAT_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "node, tests/browser/node_modules and /usr/bin/chromium are required \
             (BACKBEAT_REQUIRE_TOOLS=1); run scripts/setup.sh"
        );
        eprintln!("SKIP: {what} needs node, chromium and npm ci (scripts/setup.sh)");
        return None;
    }
    Some(dir)
}
