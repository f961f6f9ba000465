//! Tests: accounts (to be written).
