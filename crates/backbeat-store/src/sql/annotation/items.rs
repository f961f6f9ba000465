//! Items: adding them (a list, or a catalog selection in one statement), reading them, their
//! annotations, and routing new ones.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::annotation::*;
use crate::error::{StoreError, StoreResult};
use crate::model::{Id, Millis};

use super::super::errors::{db, reference};
use super::super::rows::{count, int, opt_text, text};
use super::super::selection::{bind_all, selection_sql};
use super::super::{Backend, SqlCatalog, Tx};
use super::projects::log_events_in;
use super::rows::{
    annotation_row, assignment_row, item_row, json, opt_json, opt_to_json, to_json,
    ANNOTATION_COLUMNS, ITEM_COLUMNS,
};

/// Rows per multi-row insert (6 parameters each).
const CHUNK: usize = 500;

/// `needed` of a gold item: every annotator may answer it once.
const GOLD_NEEDED: i64 = 1 << 40;

pub(super) async fn add_items(
    c: &SqlCatalog,
    project: Id,
    items: &[NewItem],
    start: ItemStart,
    now: Millis,
) -> StoreResult<AddedItems> {
    let mut tx = c.begin().await?;
    let mut added = 0;
    for chunk in items.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO ann_items (project_id, track_id, start_ms, end_ms, gold, state, needed,
                 taken, round, extra, spot_check, flagged, created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = 4 + i * 6;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "($1, ${}, ${}, ${}, ${}, ${}, ${}, 0, 0, 0, $2, $2, $3, $3)",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
        }
        sql.push_str(" ON CONFLICT (project_id, track_id, start_ms, end_ms) DO NOTHING");
        let mut q = sqlx::query(&sql)
            .bind(project.to_string())
            .bind(false)
            .bind(now)
            .bind(0_i64); // $4: unused, keeps the numbering simple
        for it in chunk {
            let (state, needed) = match it.gold {
                Some(_) => (ItemState::Gold, GOLD_NEEDED),
                None => (start.state, start.needed),
            };
            q = q
                .bind(it.track_id.to_string())
                .bind(it.start_ms)
                .bind(it.end_ms)
                .bind(opt_to_json(it.gold.as_ref()))
                .bind(state.as_str())
                .bind(needed);
        }
        added += q
            .execute(&mut *tx)
            .await
            .map_err(reference("trackId"))?
            .rows_affected();
    }
    tx.commit().await.map_err(db)?;
    Ok(AddedItems {
        added,
        duplicates: items.len() as u64 - added,
    })
}

pub(super) async fn add_selected(
    c: &SqlCatalog,
    project: Id,
    s: &TrackSelection,
    start: ItemStart,
    now: Millis,
) -> StoreResult<AddedItems> {
    let mut tx = c.begin().await?;
    let mut total = AddedItems::default();
    // A list of ids is cut into statements of `CHUNK`; anything else is one statement.
    let id_chunks: Vec<&[Id]> = match &s.track_ids {
        Some(ids) if ids.is_empty() => Vec::new(),
        Some(ids) => ids.chunks(CHUNK).collect(),
        None => vec![&[]],
    };
    let mut left = s.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    for ids in id_chunks {
        if left == Some(0) {
            break;
        }
        let limit = left.map_or(String::new(), |l| format!(" LIMIT {l}"));
        // Counted first (binds from $1), then inserted (binds from $6): tracks the selection
        // matches that were already items are the duplicates.
        let sel = selection_sql(c.backend, s, 1, ids);
        let count_sql = format!(
            "SELECT count(*) AS n FROM (SELECT t.id {} ORDER BY t.created_at, t.id{limit}) m",
            sel.from_where
        );
        let counted = sqlx::query(&count_sql);
        let matched = count(int(
            &bind_all(counted, &sel.binds)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?,
            "n",
        )?);
        let sel = selection_sql(c.backend, s, 6, ids);
        let insert = format!(
            "INSERT INTO ann_items (project_id, track_id, start_ms, end_ms, state, needed, taken,
                 round, extra, spot_check, flagged, created_at, updated_at)
             SELECT $1, t.id, 0, 0, $2, $3, 0, 0, 0, $4, $4, $5, $5 {}
             ORDER BY t.created_at, t.id{limit}
             ON CONFLICT (project_id, track_id, start_ms, end_ms) DO NOTHING",
            sel.from_where
        );
        let q = sqlx::query(&insert)
            .bind(project.to_string())
            .bind(start.state.as_str())
            .bind(start.needed)
            .bind(false)
            .bind(now);
        let added = bind_all(q, &sel.binds)
            .execute(&mut *tx)
            .await
            .map_err(reference("projectId"))?
            .rows_affected();
        total.added += added;
        total.duplicates += matched.saturating_sub(added);
        if let Some(l) = left.as_mut() {
            *l = l.saturating_sub(i64::try_from(matched).unwrap_or(i64::MAX));
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(total)
}

pub(super) async fn item(c: &SqlCatalog, id: i64) -> StoreResult<ItemRecord> {
    let r = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM ann_items i WHERE i.id = $1"
    ))
    .bind(id)
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    item_row(&r)
}

/// The item, locked for the rest of the transaction.
pub(super) async fn item_for_update(
    c: &SqlCatalog,
    tx: &mut Tx,
    id: i64,
) -> StoreResult<ItemRecord> {
    let r = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM ann_items i WHERE i.id = $1{}",
        c.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    item_row(&r)
}

pub(super) async fn items(
    c: &SqlCatalog,
    project: Id,
    state: Option<ItemState>,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<ItemRecord>> {
    let filter = if state.is_some() {
        " AND i.state = $4"
    } else {
        ""
    };
    sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM ann_items i
         WHERE i.project_id = $1 AND i.id > $2{filter} ORDER BY i.id LIMIT $3"
    ))
    .bind(project.to_string())
    .bind(after)
    .bind(i64::from(limit))
    .bind(state.map(ItemState::as_str))
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(item_row)
    .collect()
}

pub(super) async fn item_counts(c: &SqlCatalog, project: Id) -> StoreResult<Vec<(ItemState, u64)>> {
    let rows = sqlx::query(
        "SELECT state, count(*) AS n FROM ann_items WHERE project_id = $1 GROUP BY state",
    )
    .bind(project.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?;
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for r in &rows {
        let state = text(r, "state")?;
        if let Some(s) = ItemState::parse(&state) {
            counts.insert(s.as_str(), count(int(r, "n")?));
        }
    }
    Ok(ItemState::ALL
        .iter()
        .map(|s| (*s, counts.get(s.as_str()).copied().unwrap_or(0)))
        .collect())
}

pub(super) async fn annotations(c: &SqlCatalog, item: i64) -> StoreResult<Vec<AnnotationRecord>> {
    sqlx::query(&format!(
        "SELECT {ANNOTATION_COLUMNS} FROM ann_annotations WHERE item_id = $1 ORDER BY id"
    ))
    .bind(item)
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(annotation_row)
    .collect()
}

/// An item's annotations of one round, inside a transaction.
pub(super) async fn round_annotations_in(
    tx: &mut Tx,
    item: i64,
    round: i64,
) -> StoreResult<Vec<AnnotationRecord>> {
    sqlx::query(&format!(
        "SELECT {ANNOTATION_COLUMNS} FROM ann_annotations WHERE item_id = $1 AND round = $2
         ORDER BY id"
    ))
    .bind(item)
    .bind(round)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?
    .iter()
    .map(annotation_row)
    .collect()
}

pub(super) async fn project_annotations(
    c: &SqlCatalog,
    project: Id,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<AnnotationRecord>> {
    sqlx::query(&format!(
        "SELECT {ANNOTATION_COLUMNS} FROM ann_annotations WHERE project_id = $1 AND id > $2
         ORDER BY id LIMIT $3"
    ))
    .bind(project.to_string())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(annotation_row)
    .collect()
}

pub(super) async fn assignments(c: &SqlCatalog, item: i64) -> StoreResult<Vec<AssignmentRecord>> {
    sqlx::query(
        "SELECT item_id, annotator_id, stage, state, leased_at, lease_until, updated_at
         FROM ann_assignments WHERE item_id = $1 ORDER BY leased_at, annotator_id",
    )
    .bind(item)
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(assignment_row)
    .collect()
}

/// Inserts an annotation inside a transaction; its id.
pub(super) async fn insert_annotation_in(
    tx: &mut Tx,
    item: &ItemRecord,
    stage: Stage,
    a: &NewAnnotation,
) -> StoreResult<i64> {
    let r = sqlx::query(
        "INSERT INTO ann_annotations (item_id, project_id, annotator_id, stage, round, answers,
             confidence, model_version, derived_from, lead_ms, schema_version, verdict, comment,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING id",
    )
    .bind(item.id)
    .bind(item.project_id.to_string())
    .bind(a.annotator_id.to_string())
    .bind(stage.as_str())
    .bind(item.round)
    .bind(to_json(&a.answers))
    .bind(opt_to_json(a.confidence.as_ref()))
    .bind(a.model_version.as_deref())
    .bind(opt_to_json(a.derived_from.as_ref()))
    .bind(a.lead_ms)
    .bind(a.schema_version)
    .bind(a.verdict.map(Verdict::as_str))
    .bind(a.comment.as_deref())
    .bind(a.now)
    .fetch_one(&mut **tx)
    .await
    .map_err(reference("annotator"))?;
    int(&r, "id")
}

/// Writes an engine's change to an item inside a transaction, with its events.
pub(super) async fn apply_change_in(
    tx: &mut Tx,
    item: &ItemRecord,
    ch: &ItemChange,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE ann_items SET state = $2, needed = $3, taken = $4, round = $5, extra = $6,
             spot_check = $7, flagged = $8, open_questions = $9,
             agreement = CAST($10 AS DOUBLE PRECISION),
             resolution = $11, result = $12, resolved_at = $13, lease_until = NULL,
             updated_at = $14
         WHERE id = $1",
    )
    .bind(item.id)
    .bind(ch.state.as_str())
    .bind(ch.needed)
    .bind(ch.taken)
    .bind(ch.round)
    .bind(ch.extra)
    .bind(ch.spot_check)
    .bind(ch.flagged)
    .bind(opt_to_json(ch.open_questions.as_ref()))
    // As text: a float read back through the Any driver and bound again was refused by
    // PostgreSQL ("incorrect binary data format"); the cast is exact (shortest round trip).
    .bind(ch.agreement.map(|a| a.to_string()))
    .bind(ch.resolution.map(Resolution::as_str))
    .bind(opt_to_json(ch.result.as_ref()))
    .bind(ch.resolved_at)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    if ch.return_to_annotators {
        sqlx::query(
            "UPDATE ann_assignments SET state = 'returned', updated_at = $2
             WHERE item_id = $1 AND stage = 'open' AND state = 'submitted'",
        )
        .bind(item.id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    super::flowback::write_in(tx, item, ch, now).await?;
    log_events_in(tx, item.project_id, Some(item.id), &ch.events, now).await
}

pub(super) async fn take_for_routing(
    c: &SqlCatalog,
    project: Id,
    limit: u32,
    now: Millis,
    lease_until: Millis,
) -> StoreResult<Vec<RoutingInput>> {
    let mut tx = c.begin().await?;
    let skip = match c.backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let picked = sqlx::query(&format!(
        "SELECT id FROM ann_items
         WHERE project_id = $1
           AND (state = 'new' OR (state = 'routing' AND lease_until < $2))
         ORDER BY id LIMIT $3{skip}"
    ))
    .bind(project.to_string())
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let ids: Vec<i64> = picked
        .iter()
        .map(|r| int(r, "id"))
        .collect::<StoreResult<_>>()?;
    if ids.is_empty() {
        tx.commit().await.map_err(db)?;
        return Ok(Vec::new());
    }
    let sql1 = format!(
        "UPDATE ann_items SET state = 'routing', lease_until = $1, updated_at = $2
         WHERE id IN ({})",
        placeholders(3, ids.len())
    );
    let mut q = sqlx::query(&sql1).bind(lease_until).bind(now);
    for id in &ids {
        q = q.bind(*id);
    }
    q.execute(&mut *tx).await.map_err(db)?;
    let from_one = placeholders(1, ids.len());
    let sql2 = format!(
        "SELECT {ITEM_COLUMNS}, t.duration_ms, ta.bpm, ta.musical_key, ta.analysis
         FROM ann_items i JOIN tracks t ON t.id = i.track_id
         LEFT JOIN track_analysis ta ON ta.track_id = i.track_id
         WHERE i.id IN ({from_one}) ORDER BY i.id"
    );
    let mut q = sqlx::query(&sql2);
    for id in &ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *tx).await.map_err(db)?;
    let mut inputs = Vec::with_capacity(rows.len());
    for r in &rows {
        let analysis = opt_json(r, "analysis")?;
        inputs.push(RoutingInput {
            item: item_row(r)?,
            duration_ms: int(r, "duration_ms")?,
            bpm: r
                .try_get::<Option<f64>, _>("bpm")
                .map_err(|e| StoreError::database("column bpm", e))?,
            key: opt_text(r, "musical_key")?,
            analysis,
            tags: Vec::new(),
        });
    }
    let sql3 = format!(
        "SELECT i.id, tg.grp, tg.tag, tg.confidence FROM ann_items i
         JOIN track_tags tg ON tg.track_id = i.track_id
         WHERE i.id IN ({from_one}) ORDER BY i.id, tg.grp, tg.tag"
    );
    let mut q = sqlx::query(&sql3);
    for id in &ids {
        q = q.bind(*id);
    }
    let tags = q.fetch_all(&mut *tx).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    let mut by_item: BTreeMap<i64, Vec<(String, String, f64)>> = BTreeMap::new();
    for r in &tags {
        by_item.entry(int(r, "id")?).or_default().push((
            text(r, "grp")?,
            text(r, "tag")?,
            r.try_get::<f64, _>("confidence")
                .map_err(|e| StoreError::database("column confidence", e))?,
        ));
    }
    for input in &mut inputs {
        input.tags = by_item.remove(&input.item.id).unwrap_or_default();
    }
    Ok(inputs)
}

/// `$first, …` for `n` values.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn route(c: &SqlCatalog, routes: &[Routed], now: Millis) -> StoreResult<u64> {
    let mut tx = c.begin().await?;
    let mut routed = 0;
    for r in routes {
        let item = item_for_update(c, &mut tx, r.item_id).await?;
        if item.state != ItemState::Routing {
            continue;
        }
        for a in &r.annotations {
            insert_annotation_in(&mut tx, &item, Stage::Model, a).await?;
        }
        apply_change_in(&mut tx, &item, &r.change, now).await?;
        routed += 1;
    }
    tx.commit().await.map_err(db)?;
    Ok(routed)
}

pub(super) async fn flag(c: &SqlCatalog, item: i64, now: Millis) -> StoreResult<()> {
    let done = sqlx::query("UPDATE ann_items SET flagged = $2, updated_at = $3 WHERE id = $1")
        .bind(item)
        .bind(true)
        .bind(now)
        .execute(&c.write)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn gold_answers(
    c: &SqlCatalog,
    annotator: Id,
) -> StoreResult<Vec<(serde_json::Value, serde_json::Value)>> {
    let rows = sqlx::query(
        "SELECT a.answers, i.gold FROM ann_annotations a JOIN ann_items i ON i.id = a.item_id
         WHERE a.annotator_id = $1 AND a.stage = 'gold' AND i.gold IS NOT NULL ORDER BY a.id",
    )
    .bind(annotator.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| Ok((json(r, "answers")?, json(r, "gold")?)))
        .collect()
}
