//! Shared test helpers: the throw-away databases of `backbeat_store::testing`.

pub use backbeat_store::testing::*;
