//! Leases: claiming an item, renewing, giving it back, expiry, and the submission that ends a
//! lease with an annotation.
//!
//! Lock order, everywhere: the item row, then its assignments. A claim locks the item it picks
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass each other instead of
//! queueing on the same row; SQLite: the one writer), raises `taken` and writes the
//! assignment in the same statement or transaction, so `taken <= needed` holds under any
//! concurrency and the assignment's primary key (item, annotator) keeps an annotator from
//! ever holding the same item twice.

use std::collections::BTreeMap;

use crate::annotation::*;
use crate::error::{StoreError, StoreResult};
use crate::model::{Id, Millis};

use super::super::errors::db;
use super::super::rows::{int, text};
use super::super::{Backend, SqlCatalog};
use super::items::{
    apply_change_in, insert_annotation_in, item_for_update, placeholders, round_annotations_in,
};
use super::projects::for_share;
use super::rows::{item_row, ITEM_COLUMNS};

/// Which of an annotator's candidates a pick looks for.
#[derive(Clone, Copy)]
enum Pick {
    /// Their items QA sent back.
    Returned,
    /// A gold item they have not answered.
    Gold,
    /// A fresh item of a stage they have never held.
    Fresh(ItemState),
    /// Their postponed items still waiting in the stage they were postponed from.
    Postponed,
}

/// `SELECT i.id …` of one candidate; binds `$1` project, `$2` annotator, `$3` stage.
fn pick_sql(pick: Pick, lock: &str) -> String {
    let not_held = "NOT EXISTS (SELECT 1 FROM ann_assignments s
                                WHERE s.item_id = i.id AND s.annotator_id = $2)";
    match pick {
        Pick::Returned | Pick::Postponed => {
            let (state, stage) = match pick {
                Pick::Returned => ("returned", "i.state = 'open'"),
                _ => ("postponed", "i.state = s.stage"),
            };
            let lock = lock.replace("FOR UPDATE", "FOR UPDATE OF i");
            // Ordered by the assignment's column: SQLite then starts from the annotator's own
            // assignments (a few) instead of walking every claimable item (94 ms at 200k).
            format!(
                "SELECT i.id FROM ann_assignments s JOIN ann_items i ON i.id = s.item_id
                 WHERE s.annotator_id = $2 AND s.state = '{state}' AND i.project_id = $1
                   AND {stage} AND i.taken < i.needed AND $3 = $3
                 ORDER BY s.item_id LIMIT 1{lock}"
            )
        }
        Pick::Gold => format!(
            "SELECT i.id FROM ann_items i
             WHERE i.project_id = $1 AND i.state = 'gold' AND {not_held} AND $3 = $3
             ORDER BY i.id LIMIT 1{lock}"
        ),
        // The state as a range, ordered by (state, id): only `ann_items_claimable` yields that
        // order. With `state = $3` PostgreSQL reduces the order to `id` and, estimating a
        // third of the items claimable, walks the primary key from the start instead —
        // through every item already done, so each claim slowed as the project advanced
        // (2.6 ms and 1,483 buffers with 2,855 items done at the head of a 1M-item project;
        // this form: 0.25 ms, 17 buffers, whatever the progress). SQLite's planner picks the
        // partial index either way.
        Pick::Fresh(_) => format!(
            "SELECT i.id FROM ann_items i
             WHERE i.project_id = $1 AND i.state >= $3 AND i.state <= $3
               AND i.taken < i.needed AND {not_held}
             ORDER BY i.state, i.id LIMIT 1{lock}"
        ),
    }
}

/// The assignment upsert: a fresh lease, or a returned/postponed assignment leased again.
const ASSIGN: &str = "INSERT INTO ann_assignments (item_id, annotator_id, project_id, stage,
        state, leased_at, lease_until, updated_at)
    VALUES ($1, $2, $3, $4, 'leased', $5, $6, $5)
    ON CONFLICT (item_id, annotator_id) DO UPDATE SET stage = excluded.stage,
        state = 'leased', leased_at = excluded.leased_at, lease_until = excluded.lease_until,
        updated_at = excluded.updated_at";

pub(super) async fn claim(c: &SqlCatalog, cl: &Claim) -> StoreResult<Option<ClaimedItem>> {
    let mut picks = vec![Pick::Returned];
    if cl.gold_first {
        picks.push(Pick::Gold);
    }
    picks.extend(cl.stages.iter().map(|s| Pick::Fresh(*s)));
    picks.push(Pick::Postponed);
    for pick in picks {
        let got = match c.backend {
            Backend::Postgres => claim_pg(c, cl, pick).await?,
            Backend::Sqlite => claim_sqlite(c, cl, pick).await?,
        };
        if let Some(item) = got {
            return Ok(Some(ClaimedItem {
                item,
                lease_until: cl.lease_until,
                returned: matches!(pick, Pick::Returned),
            }));
        }
    }
    Ok(None)
}

fn stage_of(pick: Pick) -> &'static str {
    match pick {
        Pick::Fresh(s) => s.as_str(),
        Pick::Gold => "gold",
        // Unused by these picks' SQL (`$3 = $3`).
        Pick::Returned | Pick::Postponed => "open",
    }
}

/// One statement: pick and lock, raise `taken`, write the assignment.
async fn claim_pg(c: &SqlCatalog, cl: &Claim, pick: Pick) -> StoreResult<Option<ItemRecord>> {
    let sql = format!(
        "WITH pick AS ({}),
         bump AS (
             UPDATE ann_items i SET taken = i.taken + 1, updated_at = $4
             FROM pick WHERE i.id = pick.id
             RETURNING {ITEM_COLUMNS}
         ),
         assign AS (
             INSERT INTO ann_assignments (item_id, annotator_id, project_id, stage, state,
                                          leased_at, lease_until, updated_at)
             SELECT id, $2, $1, state, 'leased', $4, $5, $4 FROM bump
             ON CONFLICT (item_id, annotator_id) DO UPDATE SET stage = excluded.stage,
                 state = 'leased', leased_at = excluded.leased_at,
                 lease_until = excluded.lease_until, updated_at = excluded.updated_at
         )
         SELECT * FROM bump",
        pick_sql(pick, " FOR UPDATE SKIP LOCKED")
    );
    let row = sqlx::query(&sql)
        .bind(cl.project_id.to_string())
        .bind(cl.annotator_id.to_string())
        .bind(stage_of(pick))
        .bind(cl.now)
        .bind(cl.lease_until)
        .fetch_optional(&c.write)
        .await
        .map_err(db)?;
    row.as_ref().map(item_row).transpose()
}

/// The same steps in one `BEGIN IMMEDIATE` transaction: SQLite has one writer, so nothing
/// runs between the pick and the writes.
async fn claim_sqlite(c: &SqlCatalog, cl: &Claim, pick: Pick) -> StoreResult<Option<ItemRecord>> {
    let mut tx = c.begin().await?;
    let picked = sqlx::query(&pick_sql(pick, ""))
        .bind(cl.project_id.to_string())
        .bind(cl.annotator_id.to_string())
        .bind(stage_of(pick))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    let Some(picked) = picked else {
        tx.commit().await.map_err(db)?;
        return Ok(None);
    };
    let id = int(&picked, "id")?;
    let row = sqlx::query(&format!(
        "UPDATE ann_items SET taken = taken + 1, updated_at = $2 WHERE id = $1
         RETURNING {}",
        ITEM_COLUMNS.replace("i.", "")
    ))
    .bind(id)
    .bind(cl.now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let item = item_row(&row)?;
    sqlx::query(ASSIGN)
        .bind(id)
        .bind(cl.annotator_id.to_string())
        .bind(cl.project_id.to_string())
        .bind(item.state.as_str())
        .bind(cl.now)
        .bind(cl.lease_until)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Some(item))
}

pub(super) async fn renew(
    c: &SqlCatalog,
    item: i64,
    annotator: Id,
    until: Millis,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE ann_assignments SET lease_until = $3
         WHERE item_id = $1 AND annotator_id = $2 AND state = 'leased'",
    )
    .bind(item)
    .bind(annotator.to_string())
    .bind(until)
    .execute(&c.write)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn release(
    c: &SqlCatalog,
    item: i64,
    annotator: Id,
    to: AssignmentState,
    now: Millis,
) -> StoreResult<bool> {
    if !matches!(to, AssignmentState::Skipped | AssignmentState::Postponed) {
        return Err(StoreError::Conflict(format!(
            "a lease is given back as skipped or postponed, not {}",
            to.as_str()
        )));
    }
    let mut tx = c.begin().await?;
    item_for_update(c, &mut tx, item).await?;
    let done = sqlx::query(
        "UPDATE ann_assignments SET state = $3, updated_at = $4
         WHERE item_id = $1 AND annotator_id = $2 AND state = 'leased'",
    )
    .bind(item)
    .bind(annotator.to_string())
    .bind(to.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let released = done.rows_affected() > 0;
    if released {
        sqlx::query("UPDATE ann_items SET taken = taken - 1, updated_at = $2 WHERE id = $1")
            .bind(item)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(released)
}

pub(super) async fn expire_leases(c: &SqlCatalog, project: Id, now: Millis) -> StoreResult<u64> {
    let mut tx = c.begin().await?;
    let ended = sqlx::query(
        "SELECT DISTINCT item_id FROM ann_assignments
         WHERE project_id = $1 AND state = 'leased' AND lease_until < $2 ORDER BY item_id
         LIMIT 1000",
    )
    .bind(project.to_string())
    .bind(now)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let items: Vec<i64> = ended
        .iter()
        .map(|r| int(r, "item_id"))
        .collect::<StoreResult<_>>()?;
    if items.is_empty() {
        tx.commit().await.map_err(db)?;
        return Ok(0);
    }
    // Items first (the lock order), then their assignments, re-checked under the locks: a
    // submission or renewal that won the race keeps its lease.
    let lock = format!(
        "SELECT id FROM ann_items WHERE id IN ({}) ORDER BY id{}",
        placeholders(1, items.len()),
        c.for_update()
    );
    let mut q = sqlx::query(&lock);
    for id in &items {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *tx).await.map_err(db)?;
    let delete = format!(
        "DELETE FROM ann_assignments
         WHERE state = 'leased' AND lease_until < $1 AND item_id IN ({})
         RETURNING item_id",
        placeholders(2, items.len())
    );
    let mut q = sqlx::query(&delete).bind(now);
    for id in &items {
        q = q.bind(*id);
    }
    let gone = q.fetch_all(&mut *tx).await.map_err(db)?;
    let mut per_item: BTreeMap<i64, i64> = BTreeMap::new();
    for r in &gone {
        *per_item.entry(int(r, "item_id")?).or_default() += 1;
    }
    for (item, n) in &per_item {
        sqlx::query("UPDATE ann_items SET taken = taken - $2, updated_at = $3 WHERE id = $1")
            .bind(*item)
            .bind(*n)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(gone.len() as u64)
}

pub(super) async fn submit(
    c: &SqlCatalog,
    s: &Submission,
    decide: &Decide,
) -> StoreResult<Submitted> {
    let a = &s.annotation;
    let mut tx = c.begin().await?;
    let item = item_for_update(c, &mut tx, s.item_id).await?;
    // Shared with other submissions, exclusive with a schema change.
    let version = sqlx::query(&format!(
        "SELECT schema_version FROM ann_projects WHERE id = $1{}",
        for_share(c)
    ))
    .bind(item.project_id.to_string())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)
    .and_then(|r| int(&r, "schema_version"))?;
    if version != a.schema_version {
        return Err(StoreError::Conflict(format!(
            "the schema changed to version {version} while the answer was checked against {}",
            a.schema_version
        )));
    }
    let held = sqlx::query(
        "SELECT stage, state FROM ann_assignments WHERE item_id = $1 AND annotator_id = $2",
    )
    .bind(item.id)
    .bind(a.annotator_id.to_string())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let stage = match &held {
        Some(r) if text(r, "state")? == "leased" => text(r, "stage")?,
        _ => return Err(StoreError::Conflict("the item is not leased to you".into())),
    };
    let stage = match stage.as_str() {
        "open" => Stage::Open,
        "expert" => Stage::Expert,
        "review" => Stage::Review,
        _ => Stage::Gold,
    };
    sqlx::query(
        "UPDATE ann_assignments SET state = 'submitted', updated_at = $3
         WHERE item_id = $1 AND annotator_id = $2",
    )
    .bind(item.id)
    .bind(a.annotator_id.to_string())
    .bind(a.now)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let annotation_id = insert_annotation_in(&mut tx, &item, stage, a).await?;
    let round = round_annotations_in(&mut tx, item.id, item.round).await?;
    let after = match decide(&item, &round) {
        Some(change) => {
            apply_change_in(&mut tx, &item, &change, a.now).await?;
            item_for_update(c, &mut tx, item.id).await?
        }
        None => item.clone(),
    };
    tx.commit().await.map_err(db)?;
    Ok(Submitted {
        annotation_id,
        item: after,
        before: item.state,
    })
}

pub(super) async fn held_count(c: &SqlCatalog, annotator: Id) -> StoreResult<u64> {
    let r = sqlx::query("SELECT count(*) AS n FROM ann_assignments WHERE annotator_id = $1")
        .bind(annotator.to_string())
        .fetch_one(&c.read)
        .await
        .map_err(db)?;
    Ok(super::super::rows::count(int(&r, "n")?))
}
