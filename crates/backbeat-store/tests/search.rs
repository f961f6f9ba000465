//! Tests: search (to be written).
