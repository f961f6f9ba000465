//! The store's integration tests, gathered into one binary.

mod blob;
mod blob_files;
mod catalog;
mod common;
mod search;
mod signing;
