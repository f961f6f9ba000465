//! Tests: catalog (to be written).
