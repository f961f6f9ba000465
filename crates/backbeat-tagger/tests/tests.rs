//! backbeat-tagger's integration tests, in one binary so the dependency graph links once.
// Test code fails by panicking; the workspace lints against it for library code only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mel;
mod tagging;
