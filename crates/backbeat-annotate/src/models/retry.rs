//! Exponential backoff with jitter between attempts.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The wait before retry number `retry` (1 for the first retry): `base · 2^(retry−1)` plus
/// up to half of that again at random, so that many workers retrying one failed backend do
/// not all come back at once.
pub(crate) fn backoff(base_ms: u64, retry: u32) -> Duration {
    let exp = base_ms.saturating_mul(1u64 << retry.saturating_sub(1).min(16));
    let jitter = if exp == 0 {
        0
    } else {
        random() % (exp / 2 + 1)
    };
    Duration::from_millis(exp.saturating_add(jitter))
}

/// A random number from the standard library's per-process random hash keys (enough for
/// jitter; no dependency).
fn random() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}
