//! Shared helpers for the integration tests.

use std::path::PathBuf;

/// Path of a checked-in fixture under `tests/fixtures/`.
#[allow(dead_code)]
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
