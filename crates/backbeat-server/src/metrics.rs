//! STUB — Prometheus metrics.

/// The registry and the server's metric families.
pub struct Metrics {}
