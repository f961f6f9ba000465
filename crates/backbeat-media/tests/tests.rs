//! Integration tests of `backbeat-media` (one binary; modules per area).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod ondemand;
