//! The server's integration tests, gathered into one binary.
// Test code fails by panicking; the workspace lints against it for library code only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod annotation;
mod annotation_workforce;
mod blobs;
mod catalog;
mod common;
mod full_disk;
mod infra;
mod leftovers;
mod lost_database;
mod names;
mod openapi;
mod protocol;
mod quota;
mod rights;
mod search;
mod slow_clients;
mod stream;
mod support;
mod tracks;
mod untagged;
mod upload_race;
mod wiring;
