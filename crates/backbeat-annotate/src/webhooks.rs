//! Webhook delivery: the outbox rows a resolution wrote are POSTed to the project's endpoint,
//! signed the Standard Webhooks way (<https://www.standardwebhooks.com/>): headers
//! `webhook-id` (the same on every retry, for the receiver to deduplicate), `webhook-timestamp`
//! (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
//! keyed by the base64 after `whsec_` in the project's secret. Delivery is at least once:
//! a 2xx answer ends it; anything else is retried on the standard's schedule (5 s, 5 min,
//! 30 min, 2 h, 5 h, 10 h, 10 h after the first attempt), then the row is marked failed and
//! stays visible to the project's managers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use backbeat_store::annotation::{Delivery, OutboxRecord};
use backbeat_store::model::{now_millis, Id, Millis};
use backbeat_store::{AnnotationStore, StoreResult};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::settings::{Settings, Webhook};

/// Seconds to wait after attempt n (1-based) before attempt n + 1; after the last, give up.
pub const RETRY_AFTER_S: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// The key of a `whsec_…` secret; `None` when it is not one (24 to 64 bytes).
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let key = B64.decode(secret.strip_prefix("whsec_")?).ok()?;
    (24..=64).contains(&key.len()).then_some(key)
}

/// The `webhook-signature` header value for a message.
pub fn sign(key: &[u8], id: &str, timestamp_s: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length: the error case cannot happen.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// The message id of an outbox row: stable across retries.
pub fn message_id(row: &OutboxRecord) -> String {
    format!("msg_{}_{}", row.project_id.simple(), row.id)
}

/// What one pass of the delivery loop did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub delivered: u64,
    pub retried: u64,
    pub failed: u64,
}

/// Sends due outbox rows; one per server replica (rows are claimed, so replicas share).
pub struct Deliverer {
    store: Arc<dyn AnnotationStore>,
    client: reqwest::Client,
    /// How long a claimed row is kept from other loops (longer than a request can take).
    claim_for: Duration,
    batch: u32,
}

impl Deliverer {
    /// A deliverer whose requests give up after `timeout`; fails only when the HTTP client
    /// cannot be built (no usable TLS backend).
    pub fn new(store: Arc<dyn AnnotationStore>, timeout: Duration) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect is not a delivery: the endpoint must answer 2xx itself.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Deliverer {
            store,
            client,
            claim_for: timeout * 4 + Duration::from_secs(10),
            batch: 50,
        })
    }

    /// Delivers every row due now, one batch after another; returns what it did.
    pub async fn pass(&self) -> StoreResult<Pass> {
        self.pass_at(now_millis()).await
    }

    /// [`Deliverer::pass`] as if the clock read `now` (due rows, retry times): tests replay a
    /// day of retries in a second.
    pub async fn pass_at(&self, now: Millis) -> StoreResult<Pass> {
        let mut total = Pass::default();
        loop {
            let rows = self
                .store
                .claim_deliveries(now, now + self.claim_for.as_millis() as i64, self.batch)
                .await?;
            if rows.is_empty() {
                return Ok(total);
            }
            let mut hooks: HashMap<Id, Option<Webhook>> = HashMap::new();
            for row in rows {
                let hook = match hooks.get(&row.project_id) {
                    Some(h) => h.clone(),
                    None => {
                        let h = self.webhook_of(row.project_id).await;
                        hooks.insert(row.project_id, h.clone());
                        h
                    }
                };
                let outcome = match hook {
                    Some(h) => self.attempt(&h, &row, now).await,
                    None => Delivery::Failed {
                        error: "the project has no webhook any more".into(),
                    },
                };
                match outcome {
                    Delivery::Delivered => total.delivered += 1,
                    Delivery::Retry { .. } => total.retried += 1,
                    Delivery::Failed { .. } => total.failed += 1,
                }
                self.store.record_delivery(row.id, &outcome, now).await?;
            }
        }
    }

    async fn webhook_of(&self, project: Id) -> Option<Webhook> {
        let record = self.store.project(project).await.ok()?;
        Settings::parse(&record.settings).ok()?.webhook
    }

    /// One POST; what became of it.
    async fn attempt(&self, hook: &Webhook, row: &OutboxRecord, now: Millis) -> Delivery {
        let Some(key) = secret_key(&hook.secret) else {
            return Delivery::Failed {
                error: "the webhook secret is not a whsec_ secret".into(),
            };
        };
        let body = row.payload.to_string();
        let id = message_id(row);
        let timestamp = now / 1000;
        let sent = self
            .client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                sign(&key, &id, timestamp, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        let error = match sent {
            Ok(r) if r.status().is_success() => return Delivery::Delivered,
            Ok(r) => format!("the endpoint answered {}", r.status()),
            Err(e) if e.is_timeout() => "the endpoint did not answer in time".to_string(),
            Err(e) => format!("could not reach the endpoint: {e}"),
        };
        let attempt = usize::try_from(row.attempts).unwrap_or(0);
        match RETRY_AFTER_S.get(attempt) {
            Some(after) => Delivery::Retry {
                at: now + after * 1000,
                error,
            },
            None => Delivery::Failed { error },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_test_vector() {
        // From the Standard Webhooks reference libraries' tests.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_must_be_whsec_base64_of_24_to_64_bytes() {
        assert!(secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_some());
        assert!(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        assert!(secret_key("whsec_c2hvcnQ=").is_none(), "5 bytes");
        assert!(secret_key("whsec_!!!").is_none());
        assert!(secret_key("").is_none());
    }
}
