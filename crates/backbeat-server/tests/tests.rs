//! The server's integration tests, gathered into one binary.
// Test code fails by panicking; the workspace lints against it for library code only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod blobs;
mod catalog;
mod common;
mod infra;
mod leftovers;
mod openapi;
mod protocol;
mod search;
mod support;
mod tracks;
mod untagged;
mod upload_race;
mod wiring;
