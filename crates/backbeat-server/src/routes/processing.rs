//! What the processing pipeline did with a track: `GET /api/v1/tracks/{id}/jobs` (every job
//! of the graph with its state, attempts and last error — for the track's owners and admins,
//! since errors carry worker details) and `GET /api/v1/tracks/{id}/analysis` (the descriptors
//! the `summary` job stored — for anyone signed in, like the track itself).

use axum::routing::get;
use axum::Router;
use backbeat_catalog::processing::JobView;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::rfc3339;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::state::AppState;

/// The processing routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tracks/{id}/jobs", get(jobs))
        .route("/api/v1/tracks/{id}/analysis", get(analysis))
}

/// One job of the graph for one track.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobDto {
    /// The job's name.
    pub job: String,
    /// The job's version in the running graph.
    pub version: u32,
    /// `none` (never queued), `pending`, `running`, `done`, `skipped` (outputs existed),
    /// `failed` (bad input, not retried), `dead` (failed on every delivery), `unavailable`
    /// (could not run on its worker, e.g. the tagger's models are not installed: the track
    /// went on without it; `error` says why), or `stale` (complete, but for another version
    /// of the job).
    #[schema(example = "done")]
    pub state: String,
    /// The version the state is about (differs from `version` when stale).
    pub state_version: Option<u32>,
    /// Deliveries that started the job.
    pub attempts: u32,
    /// Runs that wrote the outputs.
    pub completions: u32,
    /// Why it failed, for `failed`, `dead` and retried jobs; why it could not run, for
    /// `unavailable`.
    pub error: Option<String>,
    /// The worker that touched it last.
    pub worker: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A track's processing state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackJobsDto {
    pub track_id: Uuid,
    /// The track's status: `processing`, `ready` or `failed`.
    #[schema(example = "ready")]
    pub status: String,
    /// Every job of the graph, parents before children.
    pub jobs: Vec<JobDto>,
}

/// The descriptors stored for a track.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisDto {
    pub track_id: Uuid,
    /// Tempo in beats per minute.
    pub bpm: Option<f64>,
    /// Key, e.g. `F# minor`.
    pub key: Option<String>,
    /// Integrated loudness (EBU R128), LUFS.
    pub loudness_lufs: Option<f64>,
    /// The whole analysis record (see `docs/DESCRIPTORS.md`).
    #[schema(value_type = Object)]
    pub analysis: serde_json::Value,
    /// Grouped tags from the auto-tagger (`genre`, `mood`, `instrument`, `vocals`, `era`),
    /// by group then decreasing confidence (raw probabilities and the embedding are in
    /// `analysis.tags`), followed by the tags people gave the track in an annotation project
    /// (`source: reviewed`, confidence 1).
    pub tags: Vec<TagDto>,
    /// What annotation projects settled for the whole track (BPM, key), each naming the
    /// project and item it came from. Where present it is the value to trust over `bpm` and
    /// `key`, which stay the analysis's.
    pub reviewed: Vec<ReviewedDto>,
    pub updated_at: String,
}

/// One grouped tag with its confidence (0–1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TagDto {
    pub group: String,
    pub tag: String,
    pub confidence: f64,
    /// `tagger` or `reviewed`.
    #[schema(example = "tagger")]
    pub source: &'static str,
}

/// A value of the track that people settled in an annotation project.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewedDto {
    /// `bpm` or `key`.
    #[schema(example = "bpm")]
    pub field: String,
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// Always `reviewed`.
    pub source: &'static str,
    pub project_id: Uuid,
    pub item_id: i64,
    pub updated_at: String,
}

fn job_dto(view: &JobView) -> JobDto {
    let r = view.record.as_ref();
    JobDto {
        job: view.job.clone(),
        version: view.version,
        state: view.state().into(),
        state_version: r.map(|r| r.version),
        attempts: r.map_or(0, |r| r.attempts),
        completions: r.map_or(0, |r| r.completions),
        error: r.and_then(|r| r.error.clone()),
        worker: r.and_then(|r| r.worker.clone()),
        started_at: r.and_then(|r| r.started_at).map(rfc3339),
        finished_at: r.and_then(|r| r.finished_at).map(rfc3339),
        updated_at: r.map(|r| rfc3339(r.updated_at)),
    }
}

/// The state of every processing job for a track (its owners and admins).
#[utoipa::path(get, path = "/api/v1/tracks/{id}/jobs", tag = "tracks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = TrackJobsDto), crate::openapi::Errors))]
pub async fn jobs(
    state: AppState,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<TrackJobsDto>> {
    let view = state.catalog.processing().jobs(&caller, id).await?;
    Ok(Json(TrackJobsDto {
        track_id: id,
        status: view.status.as_str().to_string(),
        jobs: view.jobs.iter().map(job_dto).collect(),
    }))
}

/// The descriptors the pipeline stored for a track (404 until its `summary` job has run).
#[utoipa::path(get, path = "/api/v1/tracks/{id}/analysis", tag = "tracks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = AnalysisDto), crate::openapi::Errors))]
pub async fn analysis(
    state: AppState,
    _caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AnalysisDto>> {
    let a = state.catalog.processing().analysis(id).await?;
    let reviews = state.annotation.track_reviews(id).await?;
    let reviewed_tags = reviews.tags.into_iter().map(|t| TagDto {
        group: t.group,
        tag: t.tag,
        confidence: 1.0,
        source: "reviewed",
    });
    Ok(Json(AnalysisDto {
        track_id: id,
        bpm: a.bpm,
        key: a.key,
        loudness_lufs: a.loudness_lufs,
        analysis: a.analysis,
        tags: a
            .tags
            .into_iter()
            .map(|t| TagDto {
                group: t.group,
                tag: t.tag,
                confidence: t.confidence,
                source: "tagger",
            })
            .chain(reviewed_tags)
            .collect(),
        reviewed: reviews
            .values
            .into_iter()
            .map(|v| ReviewedDto {
                field: v.field,
                value: v.value,
                source: "reviewed",
                project_id: v.project_id,
                item_id: v.item_id,
                updated_at: rfc3339(v.updated_at),
            })
            .collect(),
        updated_at: rfc3339(a.updated_at),
    }))
}
