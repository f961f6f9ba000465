//! STUB — in-process metadata cache.

/// Hot metadata reads, invalidated on write.
pub struct Cache {}
