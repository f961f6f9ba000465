//! What a resolution sends out of the engine, decided here and written by the store in the
//! transaction that resolves the item: the track's reviewed values (questions mapped to a
//! track field by the `writeBack` setting, for items that cover the whole track) and the
//! `item.resolved` webhook (when the project has one).

use backbeat_store::annotation::{ItemChange, ItemRecord, ItemState, Notify, Review};
use backbeat_store::model::Millis;
use serde_json::json;

use crate::answer::Value;
use crate::models::catalog_key_name;
use crate::schema::Schema;
use crate::settings::{Settings, WriteBack};
use backbeat_store::time::rfc3339;

/// Adds the reviews and the webhook to a change that resolves `item`; leaves other changes
/// alone.
pub fn add_flow_back(
    schema: &Schema,
    settings: &Settings,
    item: &ItemRecord,
    change: &mut ItemChange,
    now: Millis,
) {
    if change.state != ItemState::Resolved || item.state == ItemState::Resolved {
        return;
    }
    let answers = change
        .result
        .as_ref()
        .map(|r| schema.read_stored(r))
        .unwrap_or_default();
    // A window's label is not the track's: only whole-track items write back.
    if item.start_ms == 0 && item.end_ms == 0 {
        for (name, value) in &answers {
            if let Some(review) = settings
                .write_back(name)
                .and_then(|target| review(&target, value))
            {
                change.reviews.push(review);
            }
        }
    }
    if settings.webhook.is_some() {
        change.notify = Some(Notify {
            event: "item.resolved".into(),
            payload: json!({
                "type": "item.resolved",
                "timestamp": rfc3339(now),
                "data": {
                    "projectId": item.project_id,
                    "itemId": item.id,
                    "trackId": item.track_id,
                    "startMs": item.start_ms,
                    "endMs": item.end_ms,
                    "resolution": change.resolution.map(|r| r.as_str()),
                    "agreement": change.agreement,
                    "result": change.result,
                }
            }),
        });
    }
}

/// The review a value makes for a target; `None` when they do not fit (the settings check
/// refuses such a mapping; a schema change may still leave one behind).
fn review(target: &WriteBack, value: &Value) -> Option<Review> {
    match (target, value) {
        (WriteBack::Bpm, Value::Number(bpm)) => Some(Review::Bpm(*bpm)),
        // Spelled as the analysis spells keys, so that filters compare one text.
        (WriteBack::Key, Value::Key(k)) => Some(Review::Key(catalog_key_name(*k))),
        (WriteBack::Tags(group), Value::Choice(label)) => Some(Review::Tags {
            group: group.clone(),
            tags: vec![label.clone()],
        }),
        (WriteBack::Tags(group), Value::Tags(labels)) => Some(Review::Tags {
            group: group.clone(),
            tags: labels.iter().cloned().collect(),
        }),
        _ => None,
    }
}
