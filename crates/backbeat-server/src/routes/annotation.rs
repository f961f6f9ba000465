//! `/api/v1/annotation`: annotation projects, their members and items, claims, answers and
//! reviews. Handlers are thin: every rule (who may do what, what an answer must look like)
//! lives in `backbeat-annotate`'s [`Annotation`](backbeat_annotate::engine::Annotation)
//! service; errors map in `error.rs`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use backbeat_annotate::engine::{Actor, ItemsInput, ProjectInput};
use backbeat_store::annotation::{
    AssignmentState, ItemState, MemberRole, NewItem, TrackSelection, Verdict,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Path, Query};
use crate::routes::annotation_dto::*;
use crate::state::AppState;
use backbeat_catalog::search::MAX_WORD_TRACKS;

/// Body limit of `POST …/items`: 100,000 items of ~80 bytes of JSON each, with room to spare.
pub const ITEMS_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Body limit of the other annotation routes: schemas and answers (regions, markers) are
/// larger than the catalog's bodies.
pub const ANNOTATION_BODY_LIMIT: usize = 1024 * 1024;

/// The most items one request adds.
pub const MAX_ITEMS: usize = 200_000;

const P: &str = "/api/v1/annotation";

/// The annotation routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{P}/projects"),
            post(create_project).get(list_projects),
        )
        .route(
            &format!("{P}/projects/{{id}}"),
            get(read_project).patch(patch_project),
        )
        .route(&format!("{P}/projects/{{id}}/schema"), put(change_schema))
        .route(
            &format!("{P}/projects/{{id}}/members"),
            post(add_member).get(list_members),
        )
        .route(&format!("{P}/projects/{{id}}/models"), post(add_model))
        .route(&format!("{P}/projects/{{id}}/claim"), post(claim))
        .route(&format!("{P}/projects/{{id}}/status"), get(status))
        .route(&format!("{P}/projects/{{id}}/events"), get(events))
        .route(&format!("{P}/projects/{{id}}/webhooks"), get(deliveries))
        .route(&format!("{P}/projects/{{id}}/items"), get(list_items))
        .route(&format!("{P}/projects/{{id}}/route"), post(route))
        .route(&format!("{P}/items/{{id}}"), get(read_item))
        .route(&format!("{P}/items/{{id}}/answer"), post(answer))
        .route(&format!("{P}/items/{{id}}/review"), post(review))
        .route(&format!("{P}/items/{{id}}/skip"), post(skip))
        .route(&format!("{P}/items/{{id}}/postpone"), post(postpone))
        .route(&format!("{P}/items/{{id}}/renew"), post(renew))
        .route(&format!("{P}/items/{{id}}/flag"), post(flag))
        .layer(DefaultBodyLimit::max(ANNOTATION_BODY_LIMIT))
        // Added last so it wraps (and overrides) the limit above for this route only.
        .route(
            &format!("{P}/projects/{{id}}/items"),
            post(add_items).layer(DefaultBodyLimit::max(ITEMS_BODY_LIMIT)),
        )
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        user_id: caller.user_id,
        admin: caller.is_admin(),
    }
}

/// Creates a project (admins).
#[utoipa::path(post, path = "/api/v1/annotation/projects", tag = "annotation",
    request_body = NewProjectBody, security(("bearer" = [])),
    responses((status = 201, body = ProjectDto), crate::openapi::Errors))]
pub async fn create_project(
    state: AppState,
    caller: Caller,
    Json(body): Json<NewProjectBody>,
) -> ApiResult<(StatusCode, Json<ProjectDto>)> {
    let input = ProjectInput {
        name: body.name,
        description: body.description,
        schema: body.schema,
        settings: body.settings.unwrap_or_else(|| json!({})),
    };
    let p = state
        .annotation
        .create_project(&actor(&caller), input)
        .await?;
    Ok((StatusCode::CREATED, Json(ProjectDto::from(&p))))
}

/// The projects the caller may see (admins: all; others: those they are members of).
#[utoipa::path(get, path = "/api/v1/annotation/projects", tag = "annotation",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ProjectDto>), crate::openapi::Errors))]
pub async fn list_projects(state: AppState, caller: Caller) -> ApiResult<Json<Vec<ProjectDto>>> {
    let all = state.annotation.projects(&actor(&caller)).await?;
    Ok(Json(all.iter().map(ProjectDto::from).collect()))
}

/// One project (admins and its members).
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}", tag = "annotation",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProjectDto), crate::openapi::Errors))]
pub async fn read_project(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ProjectDto>> {
    let p = state.annotation.project(&actor(&caller), id).await?;
    Ok(Json(ProjectDto::from(&p)))
}

/// Changes settings (admins): the keys given replace theirs, the others stay.
#[utoipa::path(patch, path = "/api/v1/annotation/projects/{id}", tag = "annotation",
    params(("id" = Uuid, Path)), request_body = ProjectPatchBody, security(("bearer" = [])),
    responses((status = 200, body = ProjectDto), crate::openapi::Errors))]
pub async fn patch_project(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ProjectPatchBody>,
) -> ApiResult<Json<ProjectDto>> {
    let who = actor(&caller);
    let serde_json::Value::Object(changes) = body.settings else {
        return Err(ApiError::field("settings", "must be an object"));
    };
    let current = state.annotation.project(&who, id).await?;
    let mut settings = match current.settings {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    // The secret is never sent out (see `ProjectDto`); a webhook sent back with the redacted
    // secret keeps the stored one.
    let kept_secret = settings
        .get("webhook")
        .and_then(|w| w.get("secret"))
        .cloned();
    settings.extend(changes);
    if let (Some(secret), Some(serde_json::Value::Object(hook))) =
        (kept_secret, settings.get_mut("webhook"))
    {
        if hook.get("secret").and_then(|s| s.as_str()) == Some(REDACTED_SECRET) {
            hook.insert("secret".into(), secret);
        }
    }
    let p = state
        .annotation
        .set_settings(&who, id, &serde_json::Value::Object(settings))
        .await?;
    Ok(Json(ProjectDto::from(&p)))
}

/// A new schema version (admins); `409` with `orphans` when stored labels would lose their
/// place, `409` when `expectedVersion` is not the current one.
#[utoipa::path(put, path = "/api/v1/annotation/projects/{id}/schema", tag = "annotation",
    params(("id" = Uuid, Path)), request_body = SchemaBody, security(("bearer" = [])),
    responses((status = 200, body = ProjectDto), crate::openapi::Errors))]
pub async fn change_schema(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<SchemaBody>,
) -> ApiResult<Json<ProjectDto>> {
    let p = state
        .annotation
        .change_schema(&actor(&caller), id, body.expected_version, &body.schema)
        .await?;
    Ok(Json(ProjectDto::from(&p)))
}

/// Adds a person as `annotator`, `expert` or `qa` (admins).
#[utoipa::path(post, path = "/api/v1/annotation/projects/{id}/members", tag = "annotation",
    params(("id" = Uuid, Path)), request_body = NewMemberBody, security(("bearer" = [])),
    responses((status = 201, body = MemberDto), crate::openapi::Errors))]
pub async fn add_member(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<NewMemberBody>,
) -> ApiResult<(StatusCode, Json<MemberDto>)> {
    let role = match MemberRole::parse(&body.role) {
        Some(r @ (MemberRole::Annotator | MemberRole::Expert | MemberRole::Qa)) => r,
        _ => return Err(ApiError::field("role", "must be annotator, expert or qa")),
    };
    let name = body.name.unwrap_or_else(|| body.user_id.to_string());
    let m = state
        .annotation
        .add_member(&actor(&caller), id, body.user_id, &name, role)
        .await?;
    Ok((StatusCode::CREATED, Json(MemberDto::from(&m))))
}

/// The project's annotators, people and models (admins).
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/members", tag = "annotation",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<MemberDto>), crate::openapi::Errors))]
pub async fn list_members(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<MemberDto>>> {
    let all = state.annotation.members(&actor(&caller), id).await?;
    Ok(Json(all.iter().map(MemberDto::from).collect()))
}

/// Adds a model annotator (admins); its configuration is checked against the schema (`422`).
#[utoipa::path(post, path = "/api/v1/annotation/projects/{id}/models", tag = "annotation",
    params(("id" = Uuid, Path)), request_body = NewModelBody, security(("bearer" = [])),
    responses((status = 201, body = MemberDto), crate::openapi::Errors))]
pub async fn add_model(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<NewModelBody>,
) -> ApiResult<(StatusCode, Json<MemberDto>)> {
    let m = state
        .annotation
        .add_model(&actor(&caller), id, &body.name, &body.config)
        .await?;
    Ok((StatusCode::CREATED, Json(MemberDto::from(&m))))
}

/// Adds items (admins): a list of tracks or windows, or a catalog selection; up to 200,000
/// per request, in one transaction.
#[utoipa::path(post, path = "/api/v1/annotation/projects/{id}/items", tag = "annotation",
    params(("id" = Uuid, Path)), request_body = NewItemsBody, security(("bearer" = [])),
    responses((status = 201, body = AddedDto), crate::openapi::Errors))]
pub async fn add_items(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<AddedDto>)> {
    let who = actor(&caller);
    // Role first: a listener's 30 MB body is not worth parsing.
    state.annotation.project(&who, id).await?;
    if !who.admin {
        return Err(ApiError::Forbidden);
    }
    let body = body.map_err(|_| ApiError::PayloadTooLarge(ITEMS_BODY_LIMIT as u64))?;
    // Parsing megabytes of JSON is CPU work: off the async threads.
    let mut input = tokio::task::spawn_blocking(move || items_input(&body))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    if let ItemsInput::Selection(sel) = &mut input {
        resolve_query(&state, sel).await?;
    }
    let added = state.annotation.add_items(&who, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedDto {
            added: added.added,
            duplicates: added.duplicates,
        }),
    ))
}

/// Replaces a selection's search words by the tracks they find, best first (at most
/// [`MAX_WORD_TRACKS`], intersected with `trackIds` when both are given): the search index
/// lives with the catalog, not the store.
async fn resolve_query(state: &AppState, sel: &mut TrackSelection) -> ApiResult<()> {
    let Some(text) = sel.query.take() else {
        return Ok(());
    };
    let text = text.trim();
    if text.is_empty() || text.chars().count() > backbeat_catalog::search::MAX_QUERY {
        return Err(ApiError::field(
            "selection.query",
            "must be 1 to 200 characters",
        ));
    }
    let found = state
        .catalog
        .search()
        .track_hits(text, MAX_WORD_TRACKS)
        .await?
        .into_iter()
        .map(|h| h.id);
    sel.track_ids = Some(match sel.track_ids.take() {
        Some(listed) => {
            let listed: std::collections::HashSet<Uuid> = listed.into_iter().collect();
            found.filter(|t| listed.contains(t)).collect()
        }
        None => found.collect(),
    });
    Ok(())
}

/// The items body as the engine's input; windows in seconds become milliseconds.
fn items_input(body: &[u8]) -> ApiResult<ItemsInput> {
    let parsed: NewItemsBody =
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    match (parsed.items, parsed.selection) {
        (Some(items), None) => {
            if items.len() > MAX_ITEMS {
                return Err(ApiError::field(
                    "items",
                    &format!("at most {MAX_ITEMS} items per request"),
                ));
            }
            let mut errors = Vec::new();
            let mut out = Vec::with_capacity(items.len());
            for (i, it) in items.into_iter().enumerate() {
                let start = seconds_to_ms(it.start.unwrap_or(0.0));
                let end = it.end.map(seconds_to_ms).unwrap_or(Some(0));
                match (start, end) {
                    (Some(start_ms), Some(end_ms)) => out.push(NewItem {
                        track_id: it.track_id,
                        start_ms,
                        end_ms,
                        gold: it.gold,
                    }),
                    _ => errors.push(FieldError::new(
                        format!("items[{i}]"),
                        "start and end are seconds from 0 to 10^9",
                    )),
                }
            }
            if errors.is_empty() {
                Ok(ItemsInput::List(out))
            } else {
                Err(ApiError::Validation(errors))
            }
        }
        (None, Some(sel)) => Ok(ItemsInput::Selection(Box::new(sel))),
        _ => Err(ApiError::field(
            "items",
            "give exactly one of `items` and `selection`",
        )),
    }
}

/// Seconds as milliseconds; `None` outside 0..=10^9 s (or not a number).
fn seconds_to_ms(s: f64) -> Option<i64> {
    (s.is_finite() && (0.0..=1e9).contains(&s)).then(|| (s * 1000.0).round() as i64)
}

/// Leases the caller's next item; `204` when there is nothing to do.
#[utoipa::path(post, path = "/api/v1/annotation/projects/{id}/claim", tag = "annotation",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = WorkDto), (status = 204, description = "Nothing to do"),
        crate::openapi::Errors))]
pub async fn claim(state: AppState, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Response> {
    Ok(match state.annotation.claim(&actor(&caller), id).await? {
        Some(work) => Json(WorkDto::from(&work)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Item counts by state (admins and members).
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/status", tag = "annotation",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = StatusDto), crate::openapi::Errors))]
pub async fn status(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<StatusDto>> {
    let s = state.annotation.status(&actor(&caller), id).await?;
    Ok(Json(StatusDto::from(&s)))
}

/// `?limit=` of the events list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// `GET …/items`: a page of a project's items.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemsParams {
    /// Only items in this state (`new`, `routing`, `open`, `expert`, `review`, `resolved`,
    /// `gold`).
    pub state: Option<String>,
    /// Items with a larger id than this (the last id of the previous page).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// A project's items by id, a page at a time (admins): results, agreement, gold answers.
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/items", tag = "annotation",
    params(("id" = Uuid, Path), ItemsParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<ItemDto>), crate::openapi::Errors))]
pub async fn list_items(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<ItemsParams>,
) -> ApiResult<Json<Vec<ItemDto>>> {
    let wanted = match q.state.as_deref() {
        None => None,
        Some(s) => Some(ItemState::parse(s).ok_or_else(|| {
            ApiError::field(
                "state",
                "must be new, routing, open, expert, review, resolved or gold",
            )
        })?),
    };
    let items = state
        .annotation
        .list_items(
            &actor(&caller),
            id,
            wanted,
            q.after.unwrap_or(0),
            q.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(items.iter().map(ItemDto::from).collect()))
}

/// The decision log, newest first (admins, experts and QA of the project).
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/events", tag = "annotation",
    params(("id" = Uuid, Path), LimitParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<EventDto>), crate::openapi::Errors))]
pub async fn events(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<EventDto>>> {
    let all = state
        .annotation
        .events(&actor(&caller), id, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(all.iter().map(EventDto::from).collect()))
}

/// The project's webhook deliveries, newest first (admins): what was sent, how many
/// attempts, the last error, and whether it was delivered or given up.
#[utoipa::path(get, path = "/api/v1/annotation/projects/{id}/webhooks", tag = "annotation",
    params(("id" = Uuid, Path), LimitParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<DeliveryDto>), crate::openapi::Errors))]
pub async fn deliveries(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<Vec<DeliveryDto>>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let all = state
        .annotation
        .deliveries(&actor(&caller), id, limit)
        .await?;
    Ok(Json(all.iter().map(DeliveryDto::from).collect()))
}

/// Routes waiting items through the model annotators now (admins; `serve` also does it in
/// the background every second).
#[utoipa::path(post, path = "/api/v1/annotation/projects/{id}/route", tag = "annotation",
    params(("id" = Uuid, Path), LimitParams), security(("bearer" = [])),
    responses((status = 200, body = RoutedDto), crate::openapi::Errors))]
pub async fn route(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<LimitParams>,
) -> ApiResult<Json<RoutedDto>> {
    let limit = q.limit.unwrap_or(500).clamp(1, 10_000);
    let routed = state
        .annotation
        .run_routing(&actor(&caller), id, limit)
        .await?;
    Ok(Json(RoutedDto { routed }))
}

/// An item as the caller may see it: admins everything; experts and QA an item of their
/// stage or a resolved one; annotators their own answers, and the result once resolved.
#[utoipa::path(get, path = "/api/v1/annotation/items/{id}", tag = "annotation",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ItemViewDto), crate::openapi::Errors))]
pub async fn read_item(
    state: AppState,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ItemViewDto>> {
    let v = state.annotation.item_view(&actor(&caller), id).await?;
    Ok(Json(ItemViewDto::from(&v)))
}

fn check_lead(lead_ms: Option<i64>) -> ApiResult<()> {
    match lead_ms {
        Some(ms) if !(0..=7 * 24 * 3_600_000).contains(&ms) => Err(ApiError::field(
            "leadMs",
            "must be from 0 to a week in milliseconds",
        )),
        _ => Ok(()),
    }
}

/// Answers the item the caller holds (`409` without a lease; `422` naming each bad field).
#[utoipa::path(post, path = "/api/v1/annotation/items/{id}/answer", tag = "annotation",
    params(("id" = i64, Path)), request_body = AnswerBody, security(("bearer" = [])),
    responses((status = 200, body = SubmittedDto), crate::openapi::Errors))]
pub async fn answer(
    state: AppState,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<AnswerBody>,
) -> ApiResult<Json<SubmittedDto>> {
    check_lead(body.lead_ms)?;
    let done = state
        .annotation
        .submit(&actor(&caller), id, &body.answers, body.lead_ms, None)
        .await?;
    Ok(Json(SubmittedDto::from(&done)))
}

/// QA's verdict on the item they hold: `accept`, `fix` (with the corrected answers) or
/// `reject` (back to its annotators), with an optional comment.
#[utoipa::path(post, path = "/api/v1/annotation/items/{id}/review", tag = "annotation",
    params(("id" = i64, Path)), request_body = ReviewBody, security(("bearer" = [])),
    responses((status = 200, body = SubmittedDto), crate::openapi::Errors))]
pub async fn review(
    state: AppState,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<ReviewBody>,
) -> ApiResult<Json<SubmittedDto>> {
    check_lead(body.lead_ms)?;
    let Some(verdict) = Verdict::parse(&body.verdict) else {
        return Err(ApiError::field("verdict", "must be accept, fix or reject"));
    };
    if let Some(c) = &body.comment {
        if c.chars().count() > backbeat_annotate::engine::access::MAX_COMMENT {
            return Err(ApiError::field("comment", "at most 2000 characters"));
        }
    }
    let answers = match (verdict, body.answers) {
        (Verdict::Fix, Some(a)) => a,
        (Verdict::Fix, None) => {
            return Err(ApiError::field(
                "answers",
                "a fix gives the corrected answers",
            ))
        }
        (_, _) => json!({}),
    };
    let done = state
        .annotation
        .submit(
            &actor(&caller),
            id,
            &answers,
            body.lead_ms,
            Some((verdict, body.comment)),
        )
        .await?;
    Ok(Json(SubmittedDto::from(&done)))
}

/// Gives back the item the caller holds, never to be theirs again.
#[utoipa::path(post, path = "/api/v1/annotation/items/{id}/skip", tag = "annotation",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Given back"), crate::openapi::Errors))]
pub async fn skip(state: AppState, caller: Caller, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    state
        .annotation
        .release(&actor(&caller), id, AssignmentState::Skipped)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives back the item the caller holds, theirs again once nothing fresh is left.
#[utoipa::path(post, path = "/api/v1/annotation/items/{id}/postpone", tag = "annotation",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Postponed"), crate::openapi::Errors))]
pub async fn postpone(
    state: AppState,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state
        .annotation
        .release(&actor(&caller), id, AssignmentState::Postponed)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Extends the caller's lease by the project's lease time.
#[utoipa::path(post, path = "/api/v1/annotation/items/{id}/renew", tag = "annotation",
    params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = LeaseDto), crate::openapi::Errors))]
pub async fn renew(
    state: AppState,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<LeaseDto>> {
    let until = state.annotation.renew(&actor(&caller), id).await?;
    Ok(Json(LeaseDto {
        lease_until: crate::time::rfc3339(until),
    }))
}

/// Flags an item for QA (who holds or answered it, and admins); the comment is logged.
#[utoipa::path(post, path = "/api/v1/annotation/items/{id}/flag", tag = "annotation",
    params(("id" = i64, Path)), request_body = FlagBody, security(("bearer" = [])),
    responses((status = 204, description = "Flagged"), crate::openapi::Errors))]
pub async fn flag(
    state: AppState,
    caller: Caller,
    Path(id): Path<i64>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<StatusCode> {
    let body = body.map_err(|_| ApiError::PayloadTooLarge(ANNOTATION_BODY_LIMIT as u64))?;
    let body: FlagBody = if body.iter().all(u8::is_ascii_whitespace) {
        FlagBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?
    };
    state
        .annotation
        .flag(&actor(&caller), id, body.comment)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
