//! The store's integration tests, gathered into one binary.

mod blob;
mod catalog;
mod common;
mod search;
mod signing;
