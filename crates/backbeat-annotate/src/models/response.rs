//! Reading a response in any of the three accepted shapes, one prediction per task.
//!
//! - Label Studio, current: `{"results": [{"result": [...], "score": 0.9,
//!   "model_version": "v3"}], "model_version": "v3"}`
//! - Label Studio, older: `[{"result": [...], "score": 0.9}]`
//! - Backbeat native: `{"predictions": [{"answers": {...}, "confidence": {...},
//!   "modelVersion": "..."}]}`

use serde_json::{Map, Value as Json};

use super::{ls_result, native, ModelError, Prediction, Task};
use crate::schema::Schema;

/// Who answered, for messages and versions.
pub(crate) struct Origin<'a> {
    /// `http://…` or the command line.
    pub target: &'a str,
    /// `http` or `command`.
    pub kind: &'a str,
}

/// Parses a response body into one prediction per task, in the tasks' order.
pub(crate) fn parse_response(
    bytes: &[u8],
    tasks: &[Task],
    schema: &Schema,
    origin: &Origin<'_>,
) -> Result<Vec<Prediction>, ModelError> {
    let shape = |detail: String| ModelError::Shape {
        target: origin.target.to_string(),
        detail,
    };
    let doc: Json = serde_json::from_slice(bytes).map_err(|e| {
        shape(format!(
            "not JSON ({e}); it begins {:?}",
            snippet(&String::from_utf8_lossy(bytes))
        ))
    })?;
    let (items, native_shape, top_version) = match &doc {
        Json::Array(items) => (items, false, None),
        Json::Object(o) => match (o.get("results"), o.get("predictions")) {
            (Some(Json::Array(items)), None) => (items, false, o.get("model_version")),
            (None, Some(Json::Array(items))) => (items, true, o.get("modelVersion")),
            _ => {
                return Err(shape(
                    "expected {\"results\": [...]} (Label Studio), a bare list (older Label \
                     Studio) or {\"predictions\": [...]} (Backbeat)"
                        .into(),
                ))
            }
        },
        _ => return Err(shape("expected a JSON object or array".into())),
    };
    if items.len() != tasks.len() {
        return Err(ModelError::Count {
            target: origin.target.to_string(),
            sent: tasks.len(),
            got: items.len(),
        });
    }
    let top_version = top_version.and_then(Json::as_str);
    items
        .iter()
        .zip(tasks)
        .map(|(item, task)| {
            let field_error = |field: String, problem: String| ModelError::Field {
                target: origin.target.to_string(),
                task: task.id.clone(),
                field,
                problem,
            };
            let Json::Object(item) = item else {
                return Err(field_error(
                    "prediction".into(),
                    "expected an object".into(),
                ));
            };
            let (answers, confidence, version) = if native_shape {
                native::convert(item, schema).map_err(|(f, p)| field_error(f, p))?
            } else {
                ls_result::convert(item, schema).map_err(|(f, p)| field_error(f, p))?
            };
            let version = version.as_deref().or(top_version).unwrap_or("unversioned");
            Ok(Prediction {
                answers,
                confidence,
                model_version: format!("{}:{}@{}", origin.kind, origin.target, snippet(version)),
                derived_from: derived_from(origin),
            })
        })
        .collect()
}

fn derived_from(origin: &Origin<'_>) -> Json {
    let mut m = Map::new();
    let key = if origin.kind == "http" {
        "endpoint"
    } else {
        "command"
    };
    m.insert(key.into(), Json::String(origin.target.to_string()));
    Json::Object(m)
}

/// The end of a text, for messages (at most 600 characters): the last lines of a log.
pub(crate) fn tail(text: &str) -> String {
    let n = text.chars().count();
    if n <= 600 {
        return text.to_string();
    }
    let mut s = String::from("…");
    s.extend(text.chars().skip(n - 600));
    s
}

/// The start of a text, for messages (at most 200 characters).
pub(crate) fn snippet(text: &str) -> String {
    let mut s: String = text.chars().take(200).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}
