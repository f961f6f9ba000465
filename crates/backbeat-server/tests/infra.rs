//! Tests: infra (to be written).
