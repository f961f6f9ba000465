//! The built-in jobs' integration tests, in one binary.
// Test code fails by panicking; the workspace lints against it for library code only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod builtins;
mod common;
mod graph;
mod stale;
mod transcode;
mod unavailable;
