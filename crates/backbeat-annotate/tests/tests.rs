//! The integration tests of `backbeat-annotate`, one binary (see CONVENTIONS: one per crate).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agreement;
mod model_eval;
mod models;
mod reports;
mod routing;
mod schema;
mod webhooks;
mod workflow;
