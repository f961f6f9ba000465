//! Integration tests of the `backbeat` binary, run as a real process.

mod analyze;
mod common;
mod eval;
mod memory;
mod tags;
mod worker;
