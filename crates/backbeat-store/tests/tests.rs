//! The store's integration tests, gathered into one binary.
// Test code fails by panicking; the workspace lints against it for library code only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blob;
mod blob_files;
mod catalog;
mod common;
mod search;
mod signing;
mod tmpfs;
