//! Helpers shared by the binary's integration tests.

use std::path::PathBuf;
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
