//! The request an external model receives: Label Studio ML-backend `/predict` compatible.
//!
//! ```json
//! {"tasks": [{"id": "0190…", "data": {"audio": "https://…signed…", "trackId": "0190…",
//!             "start": 30.0, "end": 60.0, "title": "…", "artist": "…"}}],
//!  "project": "<project id>", "label_config": "<View>…</View>", "params": {}}
//! ```

use serde_json::json;

/// One item to predict.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The item's id, echoed as the task's `id`.
    pub id: String,
    /// A signed URL the model can fetch the audio from (valid for longer than the timeout).
    pub audio: String,
    pub track_id: String,
    /// The item's span within the track, in seconds.
    pub start: f64,
    pub end: f64,
    /// Left out of the request when unknown.
    pub title: Option<String>,
    pub artist: Option<String>,
}

/// The request body for a batch of tasks.
pub(crate) fn request_body(
    tasks: &[Task],
    project: &str,
    label_config: &str,
    params: &serde_json::Value,
) -> Vec<u8> {
    let tasks: Vec<_> = tasks
        .iter()
        .map(|t| {
            let mut data = json!({
                "audio": t.audio, "trackId": t.track_id, "start": t.start, "end": t.end,
            });
            for (key, value) in [("title", &t.title), ("artist", &t.artist)] {
                if let Some(value) = value {
                    data[key] = json!(value);
                }
            }
            json!({"id": t.id, "data": data})
        })
        .collect();
    let body = json!({
        "tasks": tasks,
        "project": project,
        "label_config": label_config,
        "params": params,
    });
    // Serialising a `serde_json::Value` cannot fail (string keys only).
    serde_json::to_vec(&body).unwrap_or_default()
}
