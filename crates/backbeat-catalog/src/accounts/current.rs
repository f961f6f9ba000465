//! Users as they are now: the role and token epoch every authenticated request is checked
//! against, so rights follow the current role at once rather than at token expiry.
//!
//! A request would otherwise cost a database lookup, so each user's record is kept for
//! [`USER_TTL`] (hits cost a hash lookup and a clock read). A role change through this server
//! forgets the user at once, and a read that raced it cannot put the old record back (an
//! insert carries the forget count seen before its read, like the catalog cache's write
//! epochs); on another replica, or after a change made in the database
//! directly (a deleted account), the old record is trusted for at most [`USER_TTL`]. A user
//! found missing is remembered as missing for the same time (ids are never reused), so a
//! deleted account's tokens cannot make every request a database round trip.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backbeat_store::{Id, Role, User};

/// How long a user's role and epoch are trusted without asking the database again: the
/// longest a role change made on another replica, or a deletion, takes to reach requests here.
pub const USER_TTL: Duration = Duration::from_secs(2);
/// Most users cached at once (each entry is ~64 bytes).
const CAPACITY: usize = 100_000;

/// What a request is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub role: Role,
    pub token_epoch: i64,
}

impl From<&User> for CurrentUser {
    fn from(u: &User) -> Self {
        Self {
            role: u.role,
            token_epoch: u.token_epoch,
        }
    }
}

/// Recently read users, by id; `None` for a user found missing.
pub struct CurrentUsers {
    entries: quick_cache::sync::Cache<Id, (Option<CurrentUser>, Instant)>,
    /// Times a user was forgotten; see [`CurrentUsers::insert`].
    forgets: AtomicU64,
}

impl Default for CurrentUsers {
    fn default() -> Self {
        Self::new()
    }
}

impl CurrentUsers {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(CAPACITY),
            forgets: AtomicU64::new(0),
        }
    }

    /// The user as read less than [`USER_TTL`] ago: `Some(None)` if found missing then,
    /// `None` if not read recently.
    pub fn get(&self, id: Id) -> Option<Option<CurrentUser>> {
        let (user, at) = self.entries.get(&id)?;
        if at.elapsed() < USER_TTL {
            Some(user)
        } else {
            self.entries.remove(&id);
            None
        }
    }

    /// What to take before reading a user from the database, for [`CurrentUsers::insert`].
    pub fn mark(&self) -> (u64, Instant) {
        (self.forgets.load(Ordering::Acquire), Instant::now())
    }

    /// Remembers a user as read since `mark` (`None`: missing), unless some user was
    /// forgotten meanwhile: the read may predate that change. The entry's age counts from the
    /// mark, when the read began.
    pub fn insert(&self, id: Id, user: Option<CurrentUser>, mark: (u64, Instant)) {
        let (forgets, read_at) = mark;
        if self.forgets.load(Ordering::Acquire) == forgets {
            self.entries.insert(id, (user, read_at));
        }
    }

    /// Forgets a user (after their role changed here): the next request reads them again.
    pub fn forget(&self, id: Id) {
        self.forgets.fetch_add(1, Ordering::AcqRel);
        self.entries.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let cache = CurrentUsers::new();
        let (a, b, gone) = (
            backbeat_store::new_id(),
            backbeat_store::new_id(),
            backbeat_store::new_id(),
        );
        let artist = CurrentUser {
            role: Role::Artist,
            token_epoch: 1,
        };
        cache.insert(a, Some(artist), cache.mark());
        cache.insert(gone, None, cache.mark());
        assert_eq!(cache.get(a), Some(Some(artist)));
        assert_eq!(cache.get(gone), Some(None));
        assert_eq!(cache.get(b), None);
        cache.forget(a);
        assert_eq!(cache.get(a), None);
        // Read long enough ago: not trusted.
        if let Some(then) = Instant::now().checked_sub(USER_TTL) {
            cache.insert(b, Some(artist), (cache.mark().0, then));
            assert_eq!(cache.get(b), None);
        }
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let cache = CurrentUsers::new();
        let user = backbeat_store::new_id();
        let before = cache.mark();
        // The role changes (and the user is forgotten) while the read is under way...
        cache.forget(user);
        // ...so what the read found may be the old record: not kept.
        let old = CurrentUser {
            role: Role::Artist,
            token_epoch: 0,
        };
        cache.insert(user, Some(old), before);
        assert_eq!(cache.get(user), None);
        cache.insert(user, Some(old), cache.mark());
        assert_eq!(cache.get(user), Some(Some(old)));
    }
}
