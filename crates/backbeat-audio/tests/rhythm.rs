//! Integration tests: rhythm.
