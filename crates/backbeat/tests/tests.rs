//! Integration tests of the backbeat binary.
