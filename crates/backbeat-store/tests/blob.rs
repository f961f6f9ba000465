//! Tests: blob (to be written).
