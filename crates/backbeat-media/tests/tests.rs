//! Integration tests of `backbeat-media` (one binary; modules per area).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod ondemand;
mod package;

mod fixture;
mod fmp4_hostile;
mod fmp4_real;
mod manifests_real;
mod manifests_synthetic;
mod validate;
