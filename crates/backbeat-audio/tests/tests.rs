//! Integration tests of backbeat-audio, gathered in one binary (one link on a 2-core machine).
// Test code fails by panicking; the workspace lints against it for library code only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analysis;
mod bad_input;
mod common;
mod content;
mod decode;
mod dynamics;
mod eval;
mod hostile_flac;
mod hostile_mp4;
mod key;
mod loudness;
mod rhythm;
