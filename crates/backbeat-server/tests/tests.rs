//! The server's integration tests, gathered into one binary.

mod accounts;
mod common;
mod infra;
