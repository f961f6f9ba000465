//! Exports of a project's resolved items, streamed: a page of items (and their annotations) is
//! read, written and dropped before the next, so memory stays at one page whatever the
//! project's size, and the output goes to any [`AsyncWrite`] (a file, a socket, an HTTP body).
//!
//! - **JSON Lines**: one resolved item per line — `itemId`, `trackId`, `startMs`/`endMs` (the
//!   window; `endMs` 0 is the end of the track), `result`, `resolution`, `agreement`,
//!   `resolvedAt`, and `annotations` with who or what made each (`annotatorId`,
//!   `annotatorKind`, `role`, `stage`), `modelVersion`, `confidence`, `leadMs`,
//!   `derivedFrom`, `verdict`, `comment`, `createdAt`.
//! - **CSV** (RFC 4180: CRLF line ends, fields quoted when they hold `,`, `"`, CR or LF): one
//!   row per item × answered question, the resolved value JSON-encoded.
//! - **Label Studio JSON**: the array of tasks Label Studio's "JSON" export writes, written
//!   element by element: `data` (`audio` URL, `trackId`, window), the people's `annotations`
//!   (plus the resolved result as a `ground_truth` annotation) and the models' `predictions`,
//!   results in Label Studio's shapes (see `ls.rs`).
//!
//! Only items in the `resolved` state are exported: the labels a project stands behind (an
//! item in QA review may still change).

use std::collections::HashMap;

use backbeat_store::annotation::{AnnotationRecord, AnnotatorRecord, ItemRecord, ItemState, Stage};
use backbeat_store::{AnnotationStore, Id, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{ls, stored_schema, PAGE};
use crate::schema::Schema;

/// An export's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Jsonl,
    Csv,
    #[serde(rename = "labelstudio")]
    LabelStudio,
}

/// How to export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// Items per page (at least 1).
    pub page: u32,
    /// The audio URL of a Label Studio task; `{trackId}` is replaced by the track's id.
    pub audio_url: String,
}

impl ExportOptions {
    /// `format` with the default page and the catalog API's stream URL.
    pub fn new(format: ExportFormat) -> Self {
        ExportOptions {
            format,
            page: PAGE,
            audio_url: "/api/v1/tracks/{trackId}/stream".into(),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    pub items: u64,
    pub annotations: u64,
    pub bytes: u64,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("the project's stored schema cannot be read")]
    Schema,
    #[error("only project managers (admins) may export a project")]
    Forbidden,
}

/// The CSV header.
pub const CSV_HEADER: [&str; 8] = [
    "item_id",
    "track_id",
    "start_ms",
    "end_ms",
    "resolution",
    "agreement",
    "question",
    "value",
];

/// Writes the resolved items of `project` to `out`; `progress` hears the items written so far
/// after each page.
pub async fn export<W: AsyncWrite + Unpin>(
    store: &dyn AnnotationStore,
    project: Id,
    opts: &ExportOptions,
    mut out: W,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ExportSummary, ExportError> {
    let record = store.project(project).await?;
    let schema = stored_schema(&record).ok_or(ExportError::Schema)?;
    let who: HashMap<Id, AnnotatorRecord> = store
        .annotators(project)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut sum = ExportSummary::default();
    let mut buf: Vec<u8> = Vec::new();
    match opts.format {
        ExportFormat::Csv => csv_row(&mut buf, CSV_HEADER.iter().map(|s| s.to_string())),
        ExportFormat::LabelStudio => buf.push(b'['),
        ExportFormat::Jsonl => {}
    }
    let mut after = 0;
    loop {
        let items = store
            .items(project, Some(ItemState::Resolved), after, opts.page.max(1))
            .await?;
        let Some(last) = items.last() else { break };
        after = last.id;
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        let anns = store.item_annotations(&ids).await?;
        let mut by_item: HashMap<i64, Vec<&AnnotationRecord>> = HashMap::new();
        for a in &anns {
            by_item.entry(a.item_id).or_default().push(a);
        }
        for item in &items {
            let mine = by_item.remove(&item.id).unwrap_or_default();
            sum.annotations += mine.len() as u64;
            match opts.format {
                ExportFormat::Jsonl => {
                    serde_json::to_writer(&mut buf, &jsonl(item, &mine, &who))
                        .map_err(std::io::Error::from)?;
                    buf.push(b'\n');
                }
                ExportFormat::Csv => csv_rows(&mut buf, &schema, item),
                ExportFormat::LabelStudio => {
                    if sum.items > 0 {
                        buf.push(b',');
                    }
                    buf.push(b'\n');
                    let task = ls_task(&schema, item, &mine, &opts.audio_url);
                    serde_json::to_writer(&mut buf, &task).map_err(std::io::Error::from)?;
                }
            }
            sum.items += 1;
        }
        out.write_all(&buf).await?;
        sum.bytes += buf.len() as u64;
        buf.clear();
        progress(sum.items);
    }
    if opts.format == ExportFormat::LabelStudio {
        buf.extend_from_slice(b"\n]\n");
    }
    out.write_all(&buf).await?;
    sum.bytes += buf.len() as u64;
    out.flush().await?;
    Ok(sum)
}

fn jsonl(
    item: &ItemRecord,
    anns: &[&AnnotationRecord],
    who: &HashMap<Id, AnnotatorRecord>,
) -> Json {
    let annotations: Vec<Json> = anns
        .iter()
        .map(|a| {
            let w = who.get(&a.annotator_id);
            json!({
                "id": a.id,
                "annotatorId": a.annotator_id,
                "annotatorKind": w.map(|w| w.kind.as_str()),
                "annotatorName": w.map(|w| w.name.as_str()),
                "role": w.map(|w| w.role.as_str()),
                "stage": a.stage.as_str(),
                "round": a.round,
                "answers": a.answers,
                "modelVersion": a.model_version,
                "confidence": a.confidence,
                "leadMs": a.lead_ms,
                "derivedFrom": a.derived_from,
                "verdict": a.verdict.map(|v| v.as_str()),
                "comment": a.comment,
                "createdAt": a.created_at,
            })
        })
        .collect();
    json!({
        "itemId": item.id,
        "trackId": item.track_id,
        "startMs": item.start_ms,
        "endMs": item.end_ms,
        "result": item.result,
        "resolution": item.resolution.map(|r| r.as_str()),
        "agreement": item.agreement,
        "resolvedAt": item.resolved_at,
        "annotations": annotations,
    })
}

/// One CSV record (RFC 4180), CRLF-terminated.
fn csv_row(buf: &mut Vec<u8>, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        if f.contains([',', '"', '\r', '\n']) {
            buf.push(b'"');
            buf.extend_from_slice(f.replace('"', "\"\"").as_bytes());
            buf.push(b'"');
        } else {
            buf.extend_from_slice(f.as_bytes());
        }
    }
    buf.extend_from_slice(b"\r\n");
}

fn csv_rows(buf: &mut Vec<u8>, schema: &Schema, item: &ItemRecord) {
    let Some(Json::Object(result)) = &item.result else {
        return;
    };
    // Schema order first, then anything the result holds that the schema no longer names.
    let mut names: Vec<&str> = schema
        .questions
        .iter()
        .map(|q| q.name.as_str())
        .filter(|n| result.contains_key(*n))
        .collect();
    names.extend(
        result
            .keys()
            .map(String::as_str)
            .filter(|k| schema.question(k).is_none()),
    );
    for name in names {
        let Some(value) = result.get(name) else {
            continue;
        };
        csv_row(
            buf,
            [
                item.id.to_string(),
                item.track_id.to_string(),
                item.start_ms.to_string(),
                item.end_ms.to_string(),
                item.resolution.map_or("", |r| r.as_str()).to_string(),
                item.agreement.map(|a| a.to_string()).unwrap_or_default(),
                name.to_string(),
                value.to_string(),
            ]
            .into_iter(),
        );
    }
}

fn ls_task(schema: &Schema, item: &ItemRecord, anns: &[&AnnotationRecord], audio: &str) -> Json {
    let mut annotations = Vec::new();
    let mut predictions = Vec::new();
    for a in anns {
        let answers = schema.read_stored(&a.answers);
        let result = ls::result(schema, &answers, &format!("a{}-", a.id));
        if a.stage == Stage::Model {
            let score = a
                .confidence
                .as_ref()
                .and_then(Json::as_object)
                .and_then(|m| m.values().filter_map(Json::as_f64).reduce(f64::min));
            predictions.push(json!({
                "id": a.id,
                "result": result,
                "score": score,
                "model_version": a.model_version,
                "created_at": a.created_at,
            }));
        } else {
            annotations.push(json!({
                "id": a.id,
                "result": result,
                "completed_by": a.annotator_id,
                "lead_time": a.lead_ms.map(|ms| ms as f64 / 1000.0),
                "created_at": a.created_at,
                "ground_truth": false,
                "was_cancelled": false,
                "backbeat": {"stage": a.stage.as_str(), "verdict": a.verdict.map(|v| v.as_str()), "comment": a.comment},
            }));
        }
    }
    if let Some(r) = &item.result {
        let result = ls::result(schema, &schema.read_stored(r), "final-");
        annotations.push(json!({
            "result": result,
            "completed_by": "backbeat",
            "ground_truth": true,
            "was_cancelled": false,
            "created_at": item.resolved_at,
            "backbeat": {"resolution": item.resolution.map(|r| r.as_str()), "agreement": item.agreement},
        }));
    }
    json!({
        "id": item.id,
        "data": {
            "audio": audio.replace("{trackId}", &item.track_id.to_string()),
            "trackId": item.track_id,
            "itemId": item.id,
            "startMs": item.start_ms,
            "endMs": item.end_ms,
        },
        "annotations": annotations,
        "predictions": predictions,
    })
}
