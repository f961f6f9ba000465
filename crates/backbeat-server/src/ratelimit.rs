//! STUB — per-user and per-IP rate limits.

/// One limiter per class.
pub struct Limiters {}
