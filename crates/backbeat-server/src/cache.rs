//! STUB — in-process metadata cache.

/// Hot metadata reads, invalidated on write.
pub struct Cache {}

impl Cache {
    /// PLACEHOLDER (H3, for the lead to replace): a cache of `capacity` entries.
    pub fn new(_capacity: usize) -> Self {
        Self {}
    }
}
