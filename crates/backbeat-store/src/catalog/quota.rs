//! [`QuotaStore`]: what each account uses of its quotas — tracks and bytes it holds, seconds
//! of audio it submitted for processing today — and the conditional charge that keeps it
//! under them.
//!
//! A charge is one conditional UPDATE (`... WHERE tracks + 1 <= max AND ...`): of two
//! concurrent uploads that would each fit but not both, exactly one is charged, on SQLite and
//! PostgreSQL alike. Deleting a track gives its track and bytes back in the deleting
//! transaction (the track records whom it was charged to); replacing its audio moves the
//! charge for the bytes to the new upload. Processing seconds are never given back: the work
//! was done.

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::Id;

/// Milliseconds in a UTC day: usage of processing time is per `now / DAY_MS`.
pub const DAY_MS: i64 = 86_400_000;

/// One account's usage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Tracks charged to the account (uploaded and not deleted).
    pub tracks: i64,
    /// Bytes of audio of those tracks.
    pub stored_bytes: i64,
    /// Milliseconds of audio submitted for processing on the day asked about.
    pub processed_ms: i64,
}

/// What one upload adds to an account's usage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Charge {
    pub tracks: i64,
    pub bytes: i64,
    pub processed_ms: i64,
}

/// The ceilings a charge must stay under; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaLimits {
    pub max_tracks: Option<i64>,
    pub max_stored_bytes: Option<i64>,
    pub max_processed_ms_per_day: Option<i64>,
}

/// Which quota a charge would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Tracks,
    StoredBytes,
    ProcessingPerDay,
}

/// What [`QuotaStore::charge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Charged; the usage afterwards.
    Charged(Usage),
    /// Nothing charged: this quota would break; the usage as it stands.
    Refused(Quota, Usage),
}

/// Per-account usage against quotas.
#[async_trait]
pub trait QuotaStore: Send + Sync + 'static {
    /// Adds `charge` to the user's usage on `day` if every limit still holds afterwards (one
    /// conditional write); otherwise changes nothing and names the quota that would break.
    async fn charge(
        &self,
        user: Id,
        charge: Charge,
        limits: QuotaLimits,
        day: i64,
    ) -> StoreResult<ChargeOutcome>;
    /// Takes back a charge whose write then failed (processing time of `day` included).
    async fn refund(&self, user: Id, charge: Charge, day: i64) -> StoreResult<()>;
    /// The user's usage on `day` (zeros for an account never charged).
    async fn usage(&self, user: Id, day: i64) -> StoreResult<Usage>;
}
