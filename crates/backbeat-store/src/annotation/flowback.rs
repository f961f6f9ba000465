//! What a resolved item sends out of the annotation engine: the track's reviewed values (the
//! labels people settled, standing beside the pipeline's) and webhook deliveries (the outbox).
//! Both are written in the transaction that resolves the item.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::{Id, Millis};

/// A reviewed value to write for the item's track. The engine decides which answers speak
/// for the track (a whole-track item, a question mapped to a track field); the store writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Review {
    /// Beats per minute.
    Bpm(f64),
    /// `"A minor"`, `"F# major"`: the analysis's spelling.
    Key(String),
    /// The tags of one group (`genre`, `mood`, `instrument`, …); replaces the track's reviewed
    /// tags of that group (an empty list clears them: people decided none applies).
    Tags { group: String, tags: Vec<String> },
}

/// One reviewed value of a track, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewedValue {
    /// `bpm` or `key`.
    pub field: String,
    pub value: Json,
    pub project_id: Id,
    pub item_id: i64,
    pub updated_at: Millis,
}

/// One reviewed tag of a track, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewedTag {
    pub group: String,
    pub tag: String,
    pub project_id: Id,
    pub item_id: i64,
    pub updated_at: Millis,
}

/// Everything reviewed about one track.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackReviews {
    pub values: Vec<ReviewedValue>,
    pub tags: Vec<ReviewedTag>,
}

impl TrackReviews {
    /// The reviewed BPM, if any.
    pub fn bpm(&self) -> Option<f64> {
        self.value("bpm").and_then(Json::as_f64)
    }

    /// The reviewed key, if any.
    pub fn key(&self) -> Option<&str> {
        self.value("key").and_then(Json::as_str)
    }

    fn value(&self, field: &str) -> Option<&Json> {
        self.values
            .iter()
            .find(|v| v.field == field)
            .map(|v| &v.value)
    }
}

/// A webhook delivery to enqueue with a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    /// `item.resolved`.
    pub event: String,
    pub payload: Json,
}

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRecord {
    pub id: i64,
    pub project_id: Id,
    pub event: String,
    pub payload: Json,
    /// Attempts made so far.
    pub attempts: i64,
    pub next_at: Millis,
    pub delivered_at: Option<Millis>,
    /// Set when the retries ran out; the row stays for the project's managers to see.
    pub failed_at: Option<Millis>,
    pub last_error: Option<String>,
    pub created_at: Millis,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Delivered,
    /// Try again at this time.
    Retry {
        at: Millis,
        error: String,
    },
    /// No more attempts.
    Failed {
        error: String,
    },
}
