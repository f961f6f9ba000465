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

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_with_at_most_half_again_of_jitter() {
        for retry in 1..=5u32 {
            let exp = 100u64 << (retry - 1);
            for _ in 0..200 {
                let d = backoff(100, retry).as_millis() as u64;
                assert!((exp..=exp + exp / 2).contains(&d), "retry {retry}: {d} ms");
            }
        }
        assert_eq!(backoff(0, 3).as_millis(), 0);
        // Absurd retry numbers neither overflow nor wait forever.
        assert!(backoff(60_000, u32::MAX).as_secs() <= 60 * 65_536 * 3 / 2);
    }
}
