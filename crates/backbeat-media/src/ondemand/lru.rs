//! The index of complete cache files: their sizes, their order of last use, and which ones
//! to evict when the total passes the limit. Only bookkeeping — the caller unlinks.

use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy)]
struct Entry {
    size: u64,
    tick: u64,
}

/// Complete cache files by name, least recently used first.
#[derive(Debug, Default)]
pub(crate) struct Lru {
    entries: HashMap<String, Entry>,
    order: BTreeMap<u64, String>,
    next_tick: u64,
    total: u64,
}

impl Lru {
    /// Bytes held by the indexed files.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Number of indexed files.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether `name` is indexed; marks it used now.
    pub(crate) fn touch(&mut self, name: &str) -> bool {
        let tick = self.bump();
        let Some(e) = self.entries.get_mut(name) else {
            return false;
        };
        self.order.remove(&e.tick);
        e.tick = tick;
        self.order.insert(tick, name.to_owned());
        true
    }

    /// Indexes `name` of `size` bytes as used now (replacing an older entry of that name).
    pub(crate) fn insert(&mut self, name: &str, size: u64) {
        self.remove(name);
        let tick = self.bump();
        self.entries.insert(name.to_owned(), Entry { size, tick });
        self.order.insert(tick, name.to_owned());
        self.total += size;
    }

    /// Forgets `name` (a file found missing).
    pub(crate) fn remove(&mut self, name: &str) {
        if let Some(e) = self.entries.remove(name) {
            self.order.remove(&e.tick);
            self.total -= e.size;
        }
    }

    /// Takes least recently used entries out until the total is at most `max`; returns
    /// their names, to unlink.
    pub(crate) fn evict_to(&mut self, max: u64) -> Vec<String> {
        let mut out = Vec::new();
        while self.total > max {
            let Some((_, name)) = self.order.pop_first() else {
                break;
            };
            if let Some(e) = self.entries.remove(&name) {
                self.total -= e.size;
            }
            out.push(name);
        }
        out
    }

    fn bump(&mut self) -> u64 {
        self.next_tick += 1;
        self.next_tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_first() {
        let mut l = Lru::default();
        l.insert("a", 10);
        l.insert("b", 10);
        l.insert("c", 10);
        assert!(l.touch("a"));
        assert!(!l.touch("zzz"));
        assert_eq!(l.total(), 30);
        assert_eq!(l.evict_to(20), vec!["b"]);
        l.insert("d", 15);
        assert_eq!(l.evict_to(15), vec!["c", "a"]);
        assert_eq!(l.total(), 15);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn reinserting_replaces_the_size() {
        let mut l = Lru::default();
        l.insert("a", 10);
        l.insert("a", 4);
        assert_eq!(l.total(), 4);
        l.remove("a");
        assert_eq!(l.total(), 0);
        assert!(l.evict_to(0).is_empty());
    }
}
