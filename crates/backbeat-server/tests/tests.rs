//! The server's integration tests, gathered into one binary.

mod accounts;
mod blobs;
mod catalog;
mod common;
mod infra;
mod openapi;
mod protocol;
mod search;
mod support;
mod tracks;
mod wiring;
