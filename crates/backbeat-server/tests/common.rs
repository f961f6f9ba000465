//! Tests: common (to be written).
