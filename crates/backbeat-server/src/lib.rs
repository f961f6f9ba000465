//! Backbeat's HTTP API (axum): the catalog, uploads and streaming through signed URLs, search,
//! accounts and roles, rate limits, problem-document errors, metrics, the OpenAPI document and
//! the web app's embedded files ([`web`]).
//! Handlers are thin: extract, call the catalog domain (`backbeat-catalog`), map its error.
//! Holds no state between requests beyond rate-limit buckets.

pub mod app;
pub mod auth;
pub mod body_timeout;
pub mod config;
pub mod dto;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod range;
pub mod ratelimit;
pub mod routes;
pub mod serve;
pub mod state;
pub mod time;
pub mod web;

pub use app::router;
pub use config::HttpConfig;
pub use serve::serve_on;
pub use state::AppState;
