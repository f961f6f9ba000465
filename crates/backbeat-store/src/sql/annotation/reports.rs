//! Reports: aggregates over a project computed by the database, one statement each, the same
//! SQL on both backends (window functions and integer division behave alike in SQLite ≥ 3.25
//! and PostgreSQL; `avg` of a BIGINT is NUMERIC on PostgreSQL, hence the casts).
//!
//! Medians come from `row_number()` over the sorted lead times (the mean of the one or two
//! middle rows), not from `percentile_cont`, which SQLite lacks: one query, both backends.
//! Spot-check and escalation outcomes are read from the decision log's JSON text with `LIKE`:
//! the engine writes it compactly (`serde_json::to_string`), so `"agreed":true` is exact.

use sqlx::any::AnyRow;

use crate::annotation::*;
use crate::error::StoreResult;
use crate::model::{Id, Millis};

use super::super::errors::db;
use super::super::rows::{count, enumerated, id, int, opt_int, text};
use super::super::SqlCatalog;
use super::rows::{annotation_row, json, ANNOTATION_COLUMNS};

/// Human answers: every stage but the models' pre-annotations.
const HUMAN: &str = "stage <> 'model'";

fn throughput_row(r: &AnyRow) -> StoreResult<Throughput> {
    Ok(Throughput {
        answers: count(int(r, "answers")?),
        items: count(int(r, "items")?),
        first_at: opt_int(r, "first_at")?,
        last_at: opt_int(r, "last_at")?,
    })
}

fn real(r: &AnyRow, col: &str) -> StoreResult<f64> {
    use sqlx::Row;
    r.try_get::<f64, _>(col)
        .map_err(|e| crate::error::StoreError::database(format!("column {col}"), e))
}

pub(super) async fn throughput(c: &SqlCatalog, project: Id, span: Span) -> StoreResult<Throughput> {
    let r = sqlx::query(&format!(
        "SELECT count(*) AS answers, count(DISTINCT item_id) AS items,
                min(created_at) AS first_at, max(created_at) AS last_at
         FROM ann_annotations
         WHERE project_id = $1 AND created_at >= $2 AND created_at < $3 AND {HUMAN}"
    ))
    .bind(project.to_string())
    .bind(span.from)
    .bind(span.to)
    .fetch_one(&c.read)
    .await
    .map_err(db)?;
    throughput_row(&r)
}

pub(super) async fn annotator_throughput(
    c: &SqlCatalog,
    project: Id,
    span: Span,
) -> StoreResult<Vec<PerAnnotator<Throughput>>> {
    sqlx::query(
        "SELECT annotator_id, count(*) AS answers, count(DISTINCT item_id) AS items,
                min(created_at) AS first_at, max(created_at) AS last_at
         FROM ann_annotations
         WHERE project_id = $1 AND created_at >= $2 AND created_at < $3
         GROUP BY annotator_id ORDER BY annotator_id",
    )
    .bind(project.to_string())
    .bind(span.from)
    .bind(span.to)
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(PerAnnotator {
            annotator_id: id(r, "annotator_id")?,
            value: throughput_row(r)?,
        })
    })
    .collect()
}

/// Medians of lead times, per annotator (`per_annotator`) or over the project's people.
fn median_sql(per_annotator: bool) -> String {
    let (key, partition, group, filter) = if per_annotator {
        (
            "annotator_id",
            "PARTITION BY annotator_id",
            "GROUP BY annotator_id ORDER BY annotator_id",
            "",
        )
    } else {
        ("'' AS annotator_id", "", "", " AND stage <> 'model'")
    };
    format!(
        "SELECT {} CAST(avg(lead_ms) AS DOUBLE PRECISION) AS median FROM (
             SELECT {key}, lead_ms,
                    row_number() OVER ({partition} ORDER BY lead_ms) AS rn,
                    count(*) OVER ({partition}) AS n
             FROM ann_annotations
             WHERE project_id = $1 AND created_at >= $2 AND created_at < $3
               AND lead_ms IS NOT NULL{filter}
         ) sorted
         WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 {group}",
        if per_annotator { "annotator_id," } else { "" },
    )
}

pub(super) async fn median_lead(
    c: &SqlCatalog,
    project: Id,
    span: Span,
) -> StoreResult<Option<f64>> {
    let r = sqlx::query(&median_sql(false))
        .bind(project.to_string())
        .bind(span.from)
        .bind(span.to)
        .fetch_one(&c.read)
        .await
        .map_err(db)?;
    use sqlx::Row;
    r.try_get::<Option<f64>, _>("median")
        .map_err(|e| crate::error::StoreError::database("column median", e))
}

pub(super) async fn annotator_median_leads(
    c: &SqlCatalog,
    project: Id,
    span: Span,
) -> StoreResult<Vec<PerAnnotator<f64>>> {
    sqlx::query(&median_sql(true))
        .bind(project.to_string())
        .bind(span.from)
        .bind(span.to)
        .fetch_all(&c.read)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            Ok(PerAnnotator {
                annotator_id: id(r, "annotator_id")?,
                value: real(r, "median")?,
            })
        })
        .collect()
}

pub(super) async fn answer_buckets(
    c: &SqlCatalog,
    project: Id,
    span: Span,
    bucket_ms: i64,
) -> StoreResult<Vec<(Millis, u64)>> {
    let bucket = bucket_ms.max(1);
    sqlx::query(&format!(
        "SELECT (created_at / $4) * $4 AS bucket, count(*) AS n FROM ann_annotations
         WHERE project_id = $1 AND created_at >= $2 AND created_at < $3 AND {HUMAN}
         GROUP BY 1 ORDER BY 1"
    ))
    .bind(project.to_string())
    .bind(span.from)
    .bind(span.to)
    .bind(bucket)
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| Ok((int(r, "bucket")?, count(int(r, "n")?))))
    .collect()
}

pub(super) async fn resolution_counts(
    c: &SqlCatalog,
    project: Id,
) -> StoreResult<Vec<(Resolution, u64)>> {
    sqlx::query(
        "SELECT resolution, count(*) AS n FROM ann_items
         WHERE project_id = $1 AND resolution IS NOT NULL AND state IN ('review', 'resolved')
         GROUP BY resolution ORDER BY resolution",
    )
    .bind(project.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok((
            enumerated(r, "resolution", Resolution::parse)?,
            count(int(r, "n")?),
        ))
    })
    .collect()
}

pub(super) async fn escalation_counts(c: &SqlCatalog, project: Id) -> StoreResult<Escalations> {
    let r = sqlx::query(
        "SELECT
           (SELECT count(DISTINCT item_id) FROM ann_events
             WHERE project_id = $1 AND kind = 'escalated' AND detail LIKE '%\"to\":\"expert\"%')
             AS to_expert,
           (SELECT count(*) FROM ann_items WHERE project_id = $1 AND extra > 0) AS widened",
    )
    .bind(project.to_string())
    .fetch_one(&c.read)
    .await
    .map_err(db)?;
    Ok(Escalations {
        to_expert: count(int(&r, "to_expert")?),
        widened: count(int(&r, "widened")?),
    })
}

pub(super) async fn spot_check_counts(c: &SqlCatalog, project: Id) -> StoreResult<SpotChecks> {
    let r = sqlx::query(
        "SELECT CAST(COALESCE(sum(CASE WHEN detail LIKE '%\"agreed\":true%' THEN 1 ELSE 0 END), 0)
                  AS BIGINT) AS agreed,
                count(*) AS n
         FROM ann_events WHERE project_id = $1 AND kind = 'spot_check'",
    )
    .bind(project.to_string())
    .fetch_one(&c.read)
    .await
    .map_err(db)?;
    let agreed = count(int(&r, "agreed")?);
    let n = count(int(&r, "n")?);
    Ok(SpotChecks {
        agreed,
        disagreed: n.saturating_sub(agreed),
    })
}

const DAY_MS: i64 = 86_400_000;

pub(super) async fn agreement_by_day(
    c: &SqlCatalog,
    project: Id,
    span: Span,
) -> StoreResult<Vec<DailyAgreement>> {
    sqlx::query(
        "SELECT (resolved_at / $4) * $4 AS day,
                CAST(avg(agreement) AS DOUBLE PRECISION) AS mean, count(*) AS n
         FROM ann_items
         WHERE project_id = $1 AND resolved_at >= $2 AND resolved_at < $3
           AND agreement IS NOT NULL
         GROUP BY 1 ORDER BY 1",
    )
    .bind(project.to_string())
    .bind(span.from)
    .bind(span.to)
    .bind(DAY_MS)
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(DailyAgreement {
            day: int(r, "day")?,
            mean: real(r, "mean")?,
            items: count(int(r, "n")?),
        })
    })
    .collect()
}

/// Item ids per `IN` list: far below both backends' bind-parameter limits.
const IDS_PER_QUERY: usize = 1000;

pub(super) async fn item_annotations(
    c: &SqlCatalog,
    items: &[i64],
) -> StoreResult<Vec<AnnotationRecord>> {
    let mut out = Vec::new();
    for chunk in items.chunks(IDS_PER_QUERY) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {ANNOTATION_COLUMNS} FROM ann_annotations WHERE item_id IN ({})
             ORDER BY item_id, id",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for i in chunk {
            q = q.bind(*i);
        }
        for r in q.fetch_all(&c.read).await.map_err(db)?.iter() {
            out.push(annotation_row(r)?);
        }
    }
    Ok(out)
}

pub(super) async fn project_events(
    c: &SqlCatalog,
    project: Id,
    kind: &str,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<EventRecord>> {
    sqlx::query(
        "SELECT id, project_id, item_id, kind, detail, created_at FROM ann_events
         WHERE project_id = $1 AND kind = $2 AND id > $3 ORDER BY id LIMIT $4",
    )
    .bind(project.to_string())
    .bind(kind)
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok(EventRecord {
            id: int(r, "id")?,
            project_id: id(r, "project_id")?,
            item_id: opt_int(r, "item_id")?,
            kind: text(r, "kind")?,
            detail: json(r, "detail")?,
            created_at: int(r, "created_at")?,
        })
    })
    .collect()
}
