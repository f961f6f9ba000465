//! Tests: signing (to be written).
