//! Per-user and per-IP rate limits: a keyed GCRA (generic cell rate algorithm) per class.
//!
//! GCRA keeps one number per key, the theoretical arrival time (TAT): a request at `now` is
//! allowed when `max(TAT, now) + interval - now <= burst * interval`, and then moves TAT on
//! by one interval. A key whose TAT is in the past is indistinguishable from a key never seen,
//! so forgetting it loses nothing: that is how memory stays bounded. Each shard sweeps out
//! such keys whenever it has doubled in size since its last sweep (amortised O(1) per
//! request), and [`Limiters::sweep`] runs from the server's background loop so an idle server
//! gives its memory back. Keys live in 32 shards behind their own mutexes, so there is no
//! global lock on the hot path.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::Method;
use backbeat_store::Id;

use crate::config::{Rate, RateLimits};
use crate::error::ApiError;

const SHARDS: usize = 32;
/// A shard never sweeps below this many keys (sweeping tiny maps is wasted work).
const MIN_SWEEP: usize = 1024;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Read,
    Write,
    Auth,
    Upload,
}

impl Class {
    /// The class of a request, `None` for paths that are never limited (health and metrics).
    pub fn of(method: &Method, path: &str) -> Option<Class> {
        match path {
            "/healthz" | "/readyz" | "/metrics" => return None,
            _ => {}
        }
        if path.starts_with("/api/v1/auth/") {
            Some(Class::Auth)
        } else if path == "/api/v1/tracks/upload-url"
            || path.starts_with("/api/v1/tracks/update-url/")
        {
            Some(Class::Upload)
        } else if method == Method::GET || method == Method::HEAD {
            Some(Class::Read)
        } else {
            Some(Class::Write)
        }
    }
}

/// Who a limit counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A client address; IPv6 is reduced to its /64, which one client usually owns whole.
    Ip(IpAddr),
    /// An authenticated user.
    User(Id),
    /// A login e-mail address from one client address (hashed together): the budget for
    /// guessing at one account from one place.
    EmailFrom(u64),
    /// A login e-mail address (hashed), from anywhere: a much higher ceiling, so one account
    /// cannot be guessed at from many addresses, yet no single client can lock it out.
    Email(u64),
}

impl Subject {
    /// The subject for a client address.
    pub fn ip(addr: IpAddr) -> Self {
        match addr.to_canonical() {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                Subject::Ip(IpAddr::V6(bits.into()))
            }
            v4 => Subject::Ip(v4),
        }
    }
}

/// One shard: TAT per key in nanoseconds since the limiter's epoch.
struct Shard {
    tat: HashMap<Subject, u64>,
    sweep_at: usize,
}

/// A keyed GCRA limiter for one rate.
pub struct Limiter {
    interval_ns: u64,
    tolerance_ns: u64,
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    epoch: Instant,
}

impl Limiter {
    /// A limiter allowing `rate.per_second` on average and bursts of `rate.burst`.
    pub fn new(rate: Rate) -> Self {
        let interval_ns = (1e9 / rate.per_second.max(1e-9)).clamp(1.0, 1e18) as u64;
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    tat: HashMap::new(),
                    sweep_at: MIN_SWEEP,
                })
            })
            .collect();
        Self {
            interval_ns,
            tolerance_ns: interval_ns.saturating_mul(u64::from(rate.burst.max(1))),
            shards,
            hasher: RandomState::new(),
            epoch: Instant::now(),
        }
    }

    /// Nanoseconds since this limiter was made.
    pub fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn shard(&self, key: &Subject) -> &Mutex<Shard> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        &self.shards[i]
    }

    /// Counts one request of `key` at `now` (from [`Limiter::now`]); `Err(wait)` when over.
    pub fn check_at(&self, key: Subject, now: u64) -> Result<(), Duration> {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|p| p.into_inner());
        let tat = shard.tat.get(&key).copied().unwrap_or(now).max(now);
        let new_tat = tat.saturating_add(self.interval_ns);
        let ahead = new_tat - now;
        if ahead > self.tolerance_ns {
            return Err(Duration::from_nanos(ahead - self.tolerance_ns));
        }
        shard.tat.insert(key, new_tat);
        if shard.tat.len() > shard.sweep_at {
            sweep_shard(&mut shard, now);
        }
        Ok(())
    }

    /// Counts one request of `key` now.
    pub fn check(&self, key: Subject) -> Result<(), Duration> {
        self.check_at(key, self.now())
    }

    /// Forgets every key whose bucket has refilled by `now`.
    pub fn sweep_at(&self, now: u64) {
        for shard in self.shards.iter() {
            sweep_shard(&mut shard.lock().unwrap_or_else(|p| p.into_inner()), now);
        }
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).tat.len())
            .sum()
    }

    /// `true` when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A limiter's answer as the API's: whole seconds to wait, at least 1.
fn limited(r: Result<(), Duration>) -> Result<(), ApiError> {
    r.map_err(|wait| ApiError::RateLimited(wait.as_secs_f64().ceil().max(1.0) as u64))
}

fn sweep_shard(shard: &mut Shard, now: u64) {
    shard.tat.retain(|_, tat| *tat > now);
    shard.sweep_at = (shard.tat.len() * 2).max(MIN_SWEEP);
    if shard.tat.capacity() > shard.sweep_at * 2 {
        shard.tat.shrink_to(shard.sweep_at);
    }
}

/// How much higher the per-e-mail ceiling is than the auth class's rate and burst (which
/// apply per e-mail and client address). With the default auth rate, 0.5/s with bursts of 10,
/// one address gets 10 tries at an account and then one every 2 s, while locking the account
/// out for everyone takes over 100 tries and then more than 5/s, from more than 10 addresses
/// (each address is also held to the auth rate over all e-mails).
pub const EMAIL_CEILING_FACTOR: u32 = 10;

/// One limiter per class, configured from [`RateLimits`], plus the per-e-mail ceiling.
pub struct Limiters {
    enabled: bool,
    read: Limiter,
    write: Limiter,
    auth: Limiter,
    upload: Limiter,
    email_ceiling: Limiter,
}

impl Limiters {
    /// Limiters for the configured rates.
    pub fn new(config: &RateLimits) -> Self {
        Self {
            enabled: config.enabled,
            read: Limiter::new(config.read),
            write: Limiter::new(config.write),
            auth: Limiter::new(config.auth),
            upload: Limiter::new(config.upload),
            email_ceiling: Limiter::new(Rate {
                per_second: config.auth.per_second * f64::from(EMAIL_CEILING_FACTOR),
                burst: config.auth.burst.saturating_mul(EMAIL_CEILING_FACTOR),
            }),
        }
    }

    /// `false` when limiting is switched off.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The limiter of a class.
    pub fn class(&self, class: Class) -> &Limiter {
        match class {
            Class::Read => &self.read,
            Class::Write => &self.write,
            Class::Auth => &self.auth,
            Class::Upload => &self.upload,
        }
    }

    /// Counts one request; `RateLimited` (with whole seconds to wait, at least 1) when over.
    pub fn check(&self, class: Class, subject: Subject) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        limited(self.class(class).check(subject))
    }

    /// Counts one login (or registration) attempt for an e-mail address from a client
    /// address: against the auth rate for the pair, then against the per-e-mail ceiling
    /// ([`EMAIL_CEILING_FACTOR`] times higher). Someone guessing from one address is slowed
    /// down as before; the account's owner, from another address, is not locked out.
    pub fn check_email(&self, email: &str, from: IpAddr) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let email = email.to_lowercase();
        let pair = Subject::EmailFrom(self.auth.hasher.hash_one((&email, Subject::ip(from))));
        limited(self.auth.check(pair))?;
        limited(
            self.email_ceiling
                .check(Subject::Email(self.email_ceiling.hasher.hash_one(&email))),
        )
    }

    fn all(&self) -> [&Limiter; 5] {
        [
            &self.read,
            &self.write,
            &self.auth,
            &self.upload,
            &self.email_ceiling,
        ]
    }

    /// Forgets refilled keys in every class.
    pub fn sweep(&self) {
        for l in self.all() {
            l.sweep_at(l.now());
        }
    }

    /// Keys held over all classes.
    pub fn len(&self) -> usize {
        self.all().iter().map(|l| l.len()).sum()
    }

    /// `true` when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const SEC: u64 = 1_000_000_000;

    fn ip(n: u32) -> Subject {
        Subject::ip(IpAddr::V4(Ipv4Addr::from(n)))
    }

    #[test]
    fn burst_then_steady_rate() {
        let l = Limiter::new(Rate {
            per_second: 2.0,
            burst: 3,
        });
        let t = 10 * SEC;
        for _ in 0..3 {
            assert!(l.check_at(ip(1), t).is_ok());
        }
        let wait = l.check_at(ip(1), t).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Other keys are independent.
        assert!(l.check_at(ip(2), t).is_ok());
        // One interval later exactly one more request fits.
        assert!(l.check_at(ip(1), t + SEC / 2).is_ok());
        assert!(l.check_at(ip(1), t + SEC / 2).is_err());
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Subject::ip(a), Subject::ip(b));
        assert_ne!(Subject::ip(a), Subject::ip(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(Subject::ip(mapped), ip(0x0a00_0001));
    }

    #[test]
    fn memory_is_bounded_by_recent_keys() {
        let l = Limiter::new(Rate {
            per_second: 10.0,
            burst: 5,
        });
        // 300k distinct clients, each seen once per second-long window; their buckets refill
        // after 0.1 s, so at most the keys of the current window may stay.
        let mut t = SEC;
        for n in 0..300_000u32 {
            if n % 1000 == 0 {
                t += SEC;
            }
            l.check_at(ip(n), t).unwrap();
        }
        assert!(l.len() <= 2 * MIN_SWEEP * SHARDS, "{} keys held", l.len());
        l.sweep_at(t + SEC);
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn classes() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(Class::of(&post, "/api/v1/auth/login"), Some(Class::Auth));
        assert_eq!(
            Class::of(&get, "/api/v1/tracks/upload-url"),
            Some(Class::Upload)
        );
        assert_eq!(
            Class::of(&get, "/api/v1/tracks/update-url/x"),
            Some(Class::Upload)
        );
        assert_eq!(Class::of(&post, "/api/v1/tracks"), Some(Class::Write));
        assert_eq!(
            Class::of(&Method::HEAD, "/api/v1/tracks/x"),
            Some(Class::Read)
        );
        assert_eq!(Class::of(&get, "/metrics"), None);
        assert_eq!(Class::of(&get, "/healthz"), None);
    }

    #[test]
    fn logins_count_per_email_and_address_under_a_higher_email_ceiling() {
        let cfg = crate::config::RateLimits {
            auth: Rate {
                per_second: 0.001,
                burst: 2,
            },
            ..Default::default()
        };
        let l = Limiters::new(&cfg);
        let addr = |n: u32| IpAddr::V4(Ipv4Addr::from(n));
        // One address: the pair's burst, then refused.
        for _ in 0..2 {
            assert!(l.check_email("Ada@Example.org", addr(1)).is_ok());
        }
        assert!(l.check_email("ada@example.org", addr(1)).is_err());
        // The same account from elsewhere, and another account from the same address.
        assert!(l.check_email("ada@example.org", addr(2)).is_ok());
        assert!(l.check_email("bob@example.org", addr(1)).is_ok());
        // The account's ceiling: 2 × 10 in all, from however many addresses.
        let mut allowed = 3; // two from addr(1), one from addr(2)
        for n in 3..40 {
            if l.check_email("ada@example.org", addr(n)).is_ok() {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 2 * EMAIL_CEILING_FACTOR);
    }

    #[test]
    fn disabled_allows_everything() {
        let mut cfg = crate::config::RateLimits {
            auth: Rate {
                per_second: 0.001,
                burst: 1,
            },
            enabled: false,
            ..Default::default()
        };
        let l = Limiters::new(&cfg);
        for _ in 0..10 {
            assert!(l.check(Class::Auth, ip(1)).is_ok());
        }
        cfg.enabled = true;
        let l = Limiters::new(&cfg);
        assert!(l.check(Class::Auth, ip(1)).is_ok());
        assert!(matches!(l.check(Class::Auth, ip(1)), Err(ApiError::RateLimited(s)) if s >= 999));
    }
}
