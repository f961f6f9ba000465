//! The built-in jobs' integration tests, in one binary.

mod builtins;
mod common;
mod graph;
