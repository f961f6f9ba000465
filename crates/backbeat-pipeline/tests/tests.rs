//! The pipeline crate's integration tests, in one binary.

mod builtins;
mod common;
mod engine;
mod pg;
mod plan;
mod queue;
