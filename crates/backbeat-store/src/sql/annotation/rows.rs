//! Decoding annotation rows, and JSON columns both ways.

use serde_json::Value as Json;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::annotation::*;
use crate::error::{StoreError, StoreResult};

use super::super::rows::{enumerated, flag, id, int, opt_id, opt_int, opt_text, text};

/// The columns [`item_row`] reads, prefixed for joins.
pub(super) const ITEM_COLUMNS: &str = "i.id, i.project_id, i.track_id, i.start_ms, i.end_ms,
    i.state, i.needed, i.taken, i.round, i.extra, i.spot_check, i.flagged, i.open_questions,
    i.gold, i.agreement, i.resolution, i.result, i.created_at, i.updated_at, i.resolved_at";

/// The columns [`annotation_row`] reads.
pub(super) const ANNOTATION_COLUMNS: &str = "id, item_id, project_id, annotator_id, stage,
    round, answers, confidence, model_version, derived_from, lead_ms, schema_version, verdict,
    comment, created_at";

pub(super) const ANNOTATOR_COLUMNS: &str = "id, project_id, kind, user_id, role, name, config,
    paused_at, pause_reason, created_at";

/// JSON text for a column.
pub(super) fn to_json(v: &Json) -> String {
    v.to_string()
}

pub(super) fn opt_to_json(v: Option<&Json>) -> Option<String> {
    v.map(to_json)
}

fn parse_json(col: &str, s: &str) -> StoreResult<Json> {
    serde_json::from_str(s).map_err(|e| {
        StoreError::database(format!("column {col}"), sqlx::Error::Decode(Box::new(e)))
    })
}

pub(super) fn json(r: &AnyRow, col: &str) -> StoreResult<Json> {
    parse_json(col, &text(r, col)?)
}

pub(super) fn opt_json(r: &AnyRow, col: &str) -> StoreResult<Option<Json>> {
    opt_text(r, col)?.map(|s| parse_json(col, &s)).transpose()
}

/// A nullable stored enum name.
fn opt_enum<T>(r: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> StoreResult<Option<T>> {
    opt_text(r, col)?
        .map(|s| {
            parse(&s).ok_or_else(|| {
                StoreError::database(
                    format!("column {col}"),
                    sqlx::Error::Decode(format!("unknown value {s:?}").into()),
                )
            })
        })
        .transpose()
}

fn opt_real(r: &AnyRow, col: &str) -> StoreResult<Option<f64>> {
    r.try_get::<Option<f64>, _>(col)
        .map_err(|e| StoreError::database(format!("column {col}"), e))
}

pub(super) fn item_row(r: &AnyRow) -> StoreResult<ItemRecord> {
    Ok(ItemRecord {
        id: int(r, "id")?,
        project_id: id(r, "project_id")?,
        track_id: id(r, "track_id")?,
        start_ms: int(r, "start_ms")?,
        end_ms: int(r, "end_ms")?,
        state: enumerated(r, "state", ItemState::parse)?,
        needed: int(r, "needed")?,
        taken: int(r, "taken")?,
        round: int(r, "round")?,
        extra: int(r, "extra")?,
        spot_check: flag(r, "spot_check")?,
        flagged: flag(r, "flagged")?,
        open_questions: opt_json(r, "open_questions")?,
        gold: opt_json(r, "gold")?,
        agreement: opt_real(r, "agreement")?,
        resolution: opt_enum(r, "resolution", Resolution::parse)?,
        result: opt_json(r, "result")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
        resolved_at: opt_int(r, "resolved_at")?,
    })
}

pub(super) fn annotation_row(r: &AnyRow) -> StoreResult<AnnotationRecord> {
    Ok(AnnotationRecord {
        id: int(r, "id")?,
        item_id: int(r, "item_id")?,
        project_id: id(r, "project_id")?,
        annotator_id: id(r, "annotator_id")?,
        stage: enumerated(r, "stage", Stage::parse)?,
        round: int(r, "round")?,
        answers: json(r, "answers")?,
        confidence: opt_json(r, "confidence")?,
        model_version: opt_text(r, "model_version")?,
        derived_from: opt_json(r, "derived_from")?,
        lead_ms: opt_int(r, "lead_ms")?,
        schema_version: int(r, "schema_version")?,
        verdict: opt_enum(r, "verdict", Verdict::parse)?,
        comment: opt_text(r, "comment")?,
        created_at: int(r, "created_at")?,
    })
}

pub(super) fn annotator_row(r: &AnyRow) -> StoreResult<AnnotatorRecord> {
    Ok(AnnotatorRecord {
        id: id(r, "id")?,
        project_id: id(r, "project_id")?,
        kind: enumerated(r, "kind", AnnotatorKind::parse)?,
        user_id: opt_id(r, "user_id")?,
        role: enumerated(r, "role", MemberRole::parse)?,
        name: text(r, "name")?,
        config: json(r, "config")?,
        paused_at: opt_int(r, "paused_at")?,
        pause_reason: opt_text(r, "pause_reason")?,
        created_at: int(r, "created_at")?,
    })
}

pub(super) fn assignment_row(r: &AnyRow) -> StoreResult<AssignmentRecord> {
    Ok(AssignmentRecord {
        item_id: int(r, "item_id")?,
        annotator_id: id(r, "annotator_id")?,
        stage: enumerated(r, "stage", ItemState::parse)?,
        state: enumerated(r, "state", AssignmentState::parse)?,
        leased_at: int(r, "leased_at")?,
        lease_until: int(r, "lease_until")?,
        updated_at: int(r, "updated_at")?,
    })
}
