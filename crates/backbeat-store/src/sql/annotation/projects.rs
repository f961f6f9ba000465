//! Projects, their schema versions, their annotators and their decision log.

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;

use crate::annotation::*;
use crate::error::{StoreError, StoreResult};
use crate::model::{Id, Millis};

use super::super::errors::{constraint, db, reference};
use super::super::rows::{id, int, opt_id, opt_int, text};
use super::super::{Backend, SqlCatalog, Tx};
use super::rows::{annotator_row, json, to_json, ANNOTATOR_COLUMNS};

const PROJECT: &str = "SELECT p.id, p.name, p.description, p.settings, p.schema_version,
    p.created_by, p.created_at, p.updated_at, s.body
    FROM ann_projects p JOIN ann_schemas s
      ON s.project_id = p.id AND s.version = p.schema_version";

fn project_row(r: &AnyRow) -> StoreResult<ProjectRecord> {
    Ok(ProjectRecord {
        id: id(r, "id")?,
        name: text(r, "name")?,
        description: text(r, "description")?,
        settings: json(r, "settings")?,
        schema_version: int(r, "schema_version")?,
        schema: json(r, "body")?,
        created_by: opt_id(r, "created_by")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

async fn project_in(tx: &mut Tx, id: Id) -> StoreResult<ProjectRecord> {
    let r = sqlx::query(&format!("{PROJECT} WHERE p.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    project_row(&r)
}

pub(super) async fn create_project(c: &SqlCatalog, p: NewProject) -> StoreResult<ProjectRecord> {
    let mut tx = c.begin().await?;
    sqlx::query(
        "INSERT INTO ann_projects (id, name, description, settings, schema_version, created_by,
                                   created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $6, $6)",
    )
    .bind(p.id.to_string())
    .bind(&p.name)
    .bind(&p.description)
    .bind(to_json(&p.settings))
    .bind(p.created_by.map(|u| u.to_string()))
    .bind(p.now)
    .execute(&mut *tx)
    .await
    .map_err(constraint("project", "user"))?;
    insert_schema(&mut tx, p.id, 1, &p.schema, &serde_json::json!([]), p.now).await?;
    let project = project_in(&mut tx, p.id).await?;
    tx.commit().await.map_err(db)?;
    Ok(project)
}

async fn insert_schema(
    tx: &mut Tx,
    project: Id,
    version: i64,
    body: &serde_json::Value,
    changes: &serde_json::Value,
    now: Millis,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ann_schemas (project_id, version, body, changes, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(project.to_string())
    .bind(version)
    .bind(to_json(body))
    .bind(to_json(changes))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn project(c: &SqlCatalog, id: Id) -> StoreResult<ProjectRecord> {
    let r = sqlx::query(&format!("{PROJECT} WHERE p.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&c.read)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    project_row(&r)
}

pub(super) async fn projects(c: &SqlCatalog) -> StoreResult<Vec<ProjectRecord>> {
    sqlx::query(&format!("{PROJECT} ORDER BY p.created_at DESC, p.id DESC"))
        .fetch_all(&c.read)
        .await
        .map_err(db)?
        .iter()
        .map(project_row)
        .collect()
}

pub(super) async fn set_project_settings(
    c: &SqlCatalog,
    id: Id,
    settings: &serde_json::Value,
    now: Millis,
) -> StoreResult<ProjectRecord> {
    let mut tx = c.begin().await?;
    let done = sqlx::query("UPDATE ann_projects SET settings = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(to_json(settings))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let project = project_in(&mut tx, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(project)
}

pub(super) async fn change_schema(
    c: &SqlCatalog,
    id: Id,
    expected: i64,
    body: &serde_json::Value,
    changes: &serde_json::Value,
    check: &mut Visit<'_>,
    now: Millis,
) -> StoreResult<ProjectRecord> {
    let mut tx = c.begin().await?;
    // The row lock holds off submissions (they read the version FOR SHARE) until the new
    // version is written, so no answer can slip past the check.
    let version = sqlx::query(&format!(
        "SELECT schema_version FROM ann_projects WHERE id = $1{}",
        c.for_update()
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)
    .and_then(|r| int(&r, "schema_version"))?;
    if version != expected {
        return Err(StoreError::Conflict(format!(
            "the schema is at version {version}, not {expected}"
        )));
    }
    {
        let mut rows = sqlx::query(
            "SELECT answers FROM ann_annotations WHERE project_id = $1
             UNION ALL
             SELECT gold AS answers FROM ann_items WHERE project_id = $1 AND gold IS NOT NULL",
        )
        .bind(id.to_string())
        .fetch(&mut *tx);
        while let Some(r) = rows.try_next().await.map_err(db)? {
            check(Some(&text(&r, "answers")?))?;
        }
    }
    check(None)?;
    insert_schema(&mut tx, id, version + 1, body, changes, now).await?;
    sqlx::query("UPDATE ann_projects SET schema_version = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(version + 1)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let project = project_in(&mut tx, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(project)
}

pub(super) async fn schema(c: &SqlCatalog, project: Id, version: i64) -> StoreResult<SchemaRecord> {
    let r = sqlx::query(
        "SELECT project_id, version, body, changes, created_at FROM ann_schemas
         WHERE project_id = $1 AND version = $2",
    )
    .bind(project.to_string())
    .bind(version)
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    Ok(SchemaRecord {
        project_id: id(&r, "project_id")?,
        version: int(&r, "version")?,
        body: json(&r, "body")?,
        changes: json(&r, "changes")?,
        created_at: int(&r, "created_at")?,
    })
}

pub(super) async fn delete_project(c: &SqlCatalog, id: Id) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM ann_projects WHERE id = $1")
        .bind(id.to_string())
        .execute(&c.write)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn add_annotator(c: &SqlCatalog, a: NewAnnotator) -> StoreResult<AnnotatorRecord> {
    sqlx::query(
        "INSERT INTO ann_annotators (id, project_id, kind, user_id, role, name, config,
                                     created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.id.to_string())
    .bind(a.project_id.to_string())
    .bind(a.kind.as_str())
    .bind(a.user_id.map(|u| u.to_string()))
    .bind(a.role.as_str())
    .bind(&a.name)
    .bind(to_json(&a.config))
    .bind(a.now)
    .execute(&c.write)
    .await
    .map_err(constraint("member", "user"))?;
    annotator(c, a.id).await
}

pub(super) async fn annotators(c: &SqlCatalog, project: Id) -> StoreResult<Vec<AnnotatorRecord>> {
    sqlx::query(&format!(
        "SELECT {ANNOTATOR_COLUMNS} FROM ann_annotators WHERE project_id = $1
         ORDER BY created_at, id"
    ))
    .bind(project.to_string())
    .fetch_all(&c.read)
    .await
    .map_err(db)?
    .iter()
    .map(annotator_row)
    .collect()
}

pub(super) async fn annotator(c: &SqlCatalog, id: Id) -> StoreResult<AnnotatorRecord> {
    let r = sqlx::query(&format!(
        "SELECT {ANNOTATOR_COLUMNS} FROM ann_annotators WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    annotator_row(&r)
}

pub(super) async fn member(c: &SqlCatalog, project: Id, user: Id) -> StoreResult<AnnotatorRecord> {
    let r = sqlx::query(&format!(
        "SELECT {ANNOTATOR_COLUMNS} FROM ann_annotators WHERE project_id = $1 AND user_id = $2"
    ))
    .bind(project.to_string())
    .bind(user.to_string())
    .fetch_optional(&c.read)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    annotator_row(&r)
}

pub(super) async fn set_paused(
    c: &SqlCatalog,
    annotator_id: Id,
    paused: Option<(Millis, String)>,
) -> StoreResult<AnnotatorRecord> {
    let (at, reason) = paused.map_or((None, None), |(at, r)| (Some(at), Some(r)));
    let done =
        sqlx::query("UPDATE ann_annotators SET paused_at = $2, pause_reason = $3 WHERE id = $1")
            .bind(annotator_id.to_string())
            .bind(at)
            .bind(reason)
            .execute(&c.write)
            .await
            .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    annotator(c, annotator_id).await
}

pub(super) async fn log_event(c: &SqlCatalog, e: &NewEvent) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ann_events (project_id, item_id, kind, detail, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(e.project_id.to_string())
    .bind(e.item_id)
    .bind(&e.kind)
    .bind(to_json(&e.detail))
    .bind(e.now)
    .execute(&c.write)
    .await
    .map_err(reference("project"))?;
    Ok(())
}

/// Logs events inside a transaction (a decision and its record commit together).
pub(super) async fn log_events_in(
    tx: &mut Tx,
    project: Id,
    item: Option<i64>,
    events: &[(String, serde_json::Value)],
    now: Millis,
) -> StoreResult<()> {
    for (kind, detail) in events {
        sqlx::query(
            "INSERT INTO ann_events (project_id, item_id, kind, detail, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(project.to_string())
        .bind(item)
        .bind(kind)
        .bind(to_json(detail))
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

pub(super) async fn events(
    c: &SqlCatalog,
    project: Id,
    limit: u32,
) -> StoreResult<Vec<EventRecord>> {
    events_of(c, project, &[], limit).await
}

/// Events of some kinds (all kinds when `kinds` is empty), newest first.
pub(super) async fn events_of(
    c: &SqlCatalog,
    project: Id,
    kinds: &[&str],
    limit: u32,
) -> StoreResult<Vec<EventRecord>> {
    let filter = if kinds.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
        format!(" AND kind IN ({})", list.join(", "))
    };
    let sql = format!(
        "SELECT id, project_id, item_id, kind, detail, created_at FROM ann_events
         WHERE project_id = $1{filter} ORDER BY id DESC LIMIT $2"
    );
    let mut q = sqlx::query(&sql)
        .bind(project.to_string())
        .bind(i64::from(limit));
    for k in kinds {
        q = q.bind(*k);
    }
    q.fetch_all(&c.read)
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

/// `FOR SHARE` on PostgreSQL: readers that must not overlap a writer of the row.
pub(super) fn for_share(c: &SqlCatalog) -> &'static str {
    match c.backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR SHARE",
    }
}
