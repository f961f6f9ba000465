//! Integration tests: loudness.
