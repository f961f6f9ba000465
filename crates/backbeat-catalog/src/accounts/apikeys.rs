//! API keys for scripts: `bbk_` + 32 random bytes (base64url), stored only as SHA-256 hashes.
//!
//! Every request with a key would otherwise cost a database lookup, so resolved keys (the user
//! each names) are kept in a small in-process cache for [`CACHE_TTL`]. Deleting a key through
//! this server empties that user's entries at once; on other replicas (or after a change made
//! directly in the database) a deleted key keeps working for at most `CACHE_TTL`. The key's
//! user is then checked like any token's against their current role (`current.rs`), so a
//! role change or a deleted account reaches keys as fast as access tokens.

use std::time::{Duration, Instant};

use backbeat_store::Id;

use super::tokens::{random_secret, secret_hash};

/// Every API key starts with this, so a bearer credential's kind is known without a lookup.
pub const PREFIX: &str = "bbk_";
/// How long a resolved key is trusted without asking the database again.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// Most keys cached at once (each entry is ~150 bytes).
const CAPACITY: usize = 10_000;

/// A new API key: the secret shown once to the user, and the hash to store.
pub fn generate() -> Result<(String, String), getrandom::Error> {
    let secret = format!("{PREFIX}{}", random_secret()?);
    let hash = secret_hash(&secret);
    Ok((secret, hash))
}

/// Recently resolved API keys, by hash: the user each belongs to.
pub struct ApiKeyCache {
    entries: quick_cache::sync::Cache<String, (Id, Instant)>,
}

impl Default for ApiKeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiKeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(CAPACITY),
        }
    }

    /// The user of a key hash, if resolved less than [`CACHE_TTL`] ago.
    pub fn get(&self, hash: &str) -> Option<Id> {
        let (user, at) = self.entries.get(hash)?;
        if at.elapsed() < CACHE_TTL {
            Some(user)
        } else {
            self.entries.remove(hash);
            None
        }
    }

    /// Remembers a resolved key.
    pub fn insert(&self, hash: String, user: Id) {
        self.entries.insert(hash, (user, Instant::now()));
    }

    /// Forgets every key of a user (after one of their keys is deleted).
    pub fn forget_user(&self, user: Id) {
        self.entries.retain(|_, (owner, _)| *owner != user);
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_random_and_hashed() {
        let (a, ha) = generate().unwrap();
        let (b, _) = generate().unwrap();
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_eq!(ha, secret_hash(&a));
    }

    #[test]
    fn forget_user_drops_only_that_user() {
        let cache = ApiKeyCache::new();
        let (u1, u2) = (backbeat_store::new_id(), backbeat_store::new_id());
        cache.insert("h1".into(), u1);
        cache.insert("h2".into(), u2);
        cache.forget_user(u1);
        assert!(cache.get("h1").is_none());
        assert_eq!(cache.get("h2"), Some(u2));
    }
}
