//! The integration tests of `backbeat-annotate`, one binary (see CONVENTIONS: one per crate).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agreement;
mod models;
mod reports;
mod schema;
mod workflow;
