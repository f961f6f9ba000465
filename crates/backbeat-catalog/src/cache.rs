//! Hot metadata reads served from memory: a bounded cache of catalog records (and, for
//! tracks, their serialised JSON so the hottest endpoint does no serialisation at all).
//!
//! Invalidated on write by [`crate::effects`]. A read that raced a write must not put the
//! old value back after the invalidation, so every insert carries the write epoch observed
//! before its database read and is dropped if any write happened since. Entries also expire
//! after a short TTL, which bounds staleness between replicas that do not see each other's
//! invalidations (one process: the TTL never matters).

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use backbeat_store::{Album, Artist, Id, Track};
use bytes::Bytes;

/// How long an entry may be served without a database read (bounds cross-replica staleness).
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);

/// A cached track, with the representation an API rendered of it the first time it was asked
/// for (so the hottest read does no serialisation at all).
#[derive(Debug)]
pub struct CachedTrack {
    pub track: Track,
    rendered: OnceLock<Rendered>,
}

/// A track as an API sends it: the body and its validator.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
}

impl CachedTrack {
    /// A track not rendered yet.
    pub fn new(track: Track) -> Self {
        Self {
            track,
            rendered: OnceLock::new(),
        }
    }

    /// The rendering, made by `render` on first use. One API renders tracks, so one memo is
    /// enough; a second API would render on every read or keep its own memo.
    pub fn rendered(&self, render: impl FnOnce(&Track) -> Rendered) -> &Rendered {
        self.rendered.get_or_init(|| render(&self.track))
    }
}

/// One typed map with epochs and TTL.
pub struct Shelf<K, V> {
    map: quick_cache::sync::Cache<K, (Instant, Arc<V>)>,
    epoch: AtomicU64,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone, V> Shelf<K, V> {
    fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            map: quick_cache::sync::Cache::new(capacity.max(16)),
            epoch: AtomicU64::new(0),
            ttl,
        }
    }

    /// The cached value, if fresh.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let (at, v) = self.map.get(key)?;
        (at.elapsed() < self.ttl).then_some(v)
    }

    /// The write epoch to pass to [`Shelf::insert`]; read it before reading the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches a value read from the database, unless a write happened since `epoch`.
    pub fn insert(&self, key: K, value: Arc<V>, epoch: u64) {
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.map.insert(key, (Instant::now(), value));
        }
    }

    /// Drops a key after a write (call after the write committed).
    pub fn invalidate(&self, key: &K) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.map.remove(key);
    }
}

/// The catalog's metadata cache.
pub struct Cache {
    pub tracks: Shelf<Id, CachedTrack>,
    pub albums: Shelf<Id, Album>,
    pub artists: Shelf<Id, Artist>,
}

impl Cache {
    /// A cache holding up to `entries` records of each kind.
    pub fn new(entries: usize) -> Self {
        Self::with_ttl(entries, DEFAULT_TTL)
    }

    /// As [`Cache::new`] with a chosen TTL.
    pub fn with_ttl(entries: usize, ttl: Duration) -> Self {
        Self {
            tracks: Shelf::new(entries, ttl),
            albums: Shelf::new(entries, ttl),
            artists: Shelf::new(entries, ttl),
        }
    }
}

impl Cache {
    /// Drops every track and album (after a cascading delete of an artist or album).
    pub fn clear_tracks_and_albums(&self) {
        self.tracks.clear();
        self.albums.clear();
    }
}

impl<K: Eq + Hash + Clone, V> Shelf<K, V> {
    /// Drops everything.
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.map.clear();
    }
}
