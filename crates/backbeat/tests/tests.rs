//! Integration tests of the `backbeat` binary, run as a real process.

mod analyze;
mod annotate;
mod common;
mod eval;
mod faults;
mod live;
mod memory;
mod process;
mod serve;
mod streaming;
mod tags;
mod webapp;
mod worker;
