//! Per-account quotas: how many tracks and bytes of audio an account may hold, and how many
//! seconds of audio it may submit for processing per UTC day (new tracks and replaced
//! audio; what processing costs grows with it). The first two are hard quotas (refused with
//! [`CatalogError::QuotaExceeded`] until the account deletes something), the last a rate
//! quota (refused with [`CatalogError::RateQuotaExceeded`] until the next UTC day).
//!
//! An upload is charged after its check and before the track write, by the store's one
//! conditional write (so concurrent uploads cannot overshoot), and refunded if the write then
//! fails. A crash between the two leaves the account over-charged by one upload, never
//! under-charged. Admins are charged too, so their usage shows, but by default never refused.

use backbeat_store::{
    now_millis, AudioFacts, Charge, ChargeOutcome, Quota, QuotaLimits, Usage, DAY_MS,
};

use crate::config::QuotaConfig;
use crate::error::{CatalogError, CatalogResult};
use crate::{Caller, Inner};

/// The caller's quotas: limits, usage, and when the daily one starts afresh.
pub struct Quotas<'a>(pub(crate) &'a Inner);

/// An account's usage next to its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaReport {
    pub usage: Usage,
    /// The limits that apply to this account (none for an exempt admin).
    pub limits: QuotaLimits,
    /// Unix milliseconds when today's processing allowance starts afresh.
    pub day_resets_at: i64,
}

impl Quotas<'_> {
    /// The caller's usage and limits.
    pub async fn report(&self, caller: &Caller) -> CatalogResult<QuotaReport> {
        let day = now_millis() / DAY_MS;
        let usage = self.0.stores.quota.usage(caller.user_id, day).await?;
        Ok(QuotaReport {
            usage,
            limits: limits_for(&self.0.config.quota, caller),
            day_resets_at: (day + 1) * DAY_MS,
        })
    }
}

/// A charge made, to refund if the write it paid for fails.
#[must_use = "refund the charge if the write it paid for fails"]
pub(crate) struct Charged {
    user: backbeat_store::Id,
    charge: Charge,
    day: i64,
}

impl Charged {
    /// Takes the charge back; a failure is logged (the account stays over-charged by this
    /// upload, the safe side).
    pub(crate) async fn refund(self, cat: &Inner) {
        let r = cat
            .stores
            .quota
            .refund(self.user, self.charge, self.day)
            .await;
        if let Err(e) = r {
            tracing::warn!(user = %self.user, error = %e, "could not refund a quota charge");
        }
    }
}

/// Charges the caller for audio about to be written: a new track (`new_track`) or replaced
/// audio. Refused when a quota would break; nothing is charged then.
pub(crate) async fn charge(
    cat: &Inner,
    caller: &Caller,
    audio: &AudioFacts,
    new_track: bool,
) -> CatalogResult<Charged> {
    let now = now_millis();
    let day = now / DAY_MS;
    let charge = Charge {
        tracks: i64::from(new_track),
        bytes: audio.bytes,
        processed_ms: audio.duration_ms,
    };
    let limits = limits_for(&cat.config.quota, caller);
    let outcome = cat
        .stores
        .quota
        .charge(caller.user_id, charge, limits, day)
        .await?;
    match outcome {
        ChargeOutcome::Charged(_) => Ok(Charged {
            user: caller.user_id,
            charge,
            day,
        }),
        ChargeOutcome::Refused(quota, used) => Err(refusal(quota, used, charge, limits, now)),
    }
}

/// The limits for this caller: none for an exempt admin.
fn limits_for(cfg: &QuotaConfig, caller: &Caller) -> QuotaLimits {
    if caller.is_admin() && cfg.admins_exempt {
        return QuotaLimits::default();
    }
    let i = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
    QuotaLimits {
        max_tracks: i(cfg.max_tracks),
        max_stored_bytes: i(cfg.max_stored_bytes),
        max_processed_ms_per_day: i(cfg.max_processing_s_per_day.map(|s| s.saturating_mul(1000))),
    }
}

/// The refusal a client reads: which quota, its use, its limit, what this upload needed.
fn refusal(
    quota: Quota,
    used: Usage,
    charge: Charge,
    limits: QuotaLimits,
    now: i64,
) -> CatalogError {
    let limit = |l: Option<i64>| l.unwrap_or(i64::MAX);
    match quota {
        Quota::Tracks => CatalogError::QuotaExceeded(format!(
            "track quota: this account has {} of its {} tracks",
            used.tracks,
            limit(limits.max_tracks)
        )),
        Quota::StoredBytes => CatalogError::QuotaExceeded(format!(
            "storage quota: this upload of {} bytes does not fit; the account holds {} of its \
             {} bytes",
            charge.bytes,
            used.stored_bytes,
            limit(limits.max_stored_bytes)
        )),
        Quota::ProcessingPerDay => {
            let next_day = (now / DAY_MS + 1) * DAY_MS;
            CatalogError::RateQuotaExceeded {
                detail: format!(
                    "processing quota: this upload has {} s of audio; the account used {} of \
                     its {} s today (UTC)",
                    (charge.processed_ms + 999) / 1000,
                    used.processed_ms / 1000,
                    limit(limits.max_processed_ms_per_day) / 1000
                ),
                retry_after_s: u64::try_from((next_day - now).div_euclid(1000) + 1).unwrap_or(1),
            }
        }
    }
}
