//! The pipeline crate's integration tests, in one binary.
// Test code fails by panicking; the workspace lints against it for library code only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod dirs;
mod engine;
mod pg;
mod plan;
mod queue;
