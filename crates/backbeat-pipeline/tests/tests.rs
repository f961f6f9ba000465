//! The pipeline crate's integration tests, in one binary.

mod common;
mod dirs;
mod engine;
mod pg;
mod plan;
mod queue;
