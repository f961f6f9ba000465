//! `/api/v1/search`: titles and names, with prefix and typo-tolerant matching, and descriptor
//! filters (BPM, key, tags) that prefer what people reviewed over what the pipeline computed.

use axum::routing::get;
use axum::Router;
use backbeat_annotate::engine::is_tag_name;
use backbeat_annotate::models::catalog_key;
use backbeat_store::annotation::{Range, TagName, Tagged, TrackSelection};
use backbeat_store::search::SearchHit;
use backbeat_store::DocKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// The search route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/search", get(search))
}

/// Query parameters of `GET /search`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (1–200 characters); the last word also matches as a prefix. Optional
    /// when a descriptor filter is given.
    pub q: Option<String>,
    /// `track`, `album` or `artist`; all kinds when absent.
    #[serde(rename = "type")]
    #[param(value_type = Option<String>)]
    pub kind: Option<DocKind>,
    /// 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// 0–1000 (default 0).
    #[param(minimum = 0, maximum = 1000)]
    pub offset: Option<usize>,
    /// Tracks whose BPM is at least this: the reviewed BPM where people settled one, else the
    /// analysis's.
    #[param(minimum = 0)]
    pub bpm_min: Option<f64>,
    /// Tracks whose BPM is at most this (reviewed first, as `bpmMin`).
    #[param(minimum = 0)]
    pub bpm_max: Option<f64>,
    /// Tracks in this key (`F# minor`, `Ebm`, `a minor`; enharmonic spellings match): the
    /// reviewed key where people settled one, else the analysis's.
    pub key: Option<String>,
    /// Tracks carrying this tag, `group:tag` (e.g. `mood:happy`): where people reviewed the
    /// group for a track their tags decide, else the tagger's confidence must reach
    /// `tagConfidence`.
    pub tag: Option<String>,
    /// The tagger's confidence that counts for `tag`, 0–1 (default 0.5); nothing without `tag`.
    #[param(minimum = 0, maximum = 1)]
    pub tag_confidence: Option<f64>,
    /// Tracks people gave this tag, `group:tag`, in a resolved annotation item.
    pub reviewed_tag: Option<String>,
    /// Only tracks with (`true`) or without (`false`) any reviewed value or tag.
    pub reviewed: Option<bool>,
}

impl SearchParams {
    /// The descriptor filters as a catalog selection, `None` when none is given.
    fn filter(&self) -> ApiResult<Option<TrackSelection>> {
        let mut errors = Vec::new();
        let mut sel = TrackSelection::default();
        for (name, v) in [("bpmMin", self.bpm_min), ("bpmMax", self.bpm_max)] {
            if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
                errors.push(FieldError::new(name, "must be a number of at least 0"));
            }
        }
        if let (Some(min), Some(max)) = (self.bpm_min, self.bpm_max) {
            if min > max {
                errors.push(FieldError::new("bpmMax", "must be at least bpmMin"));
            }
        }
        if self.bpm_min.is_some() || self.bpm_max.is_some() {
            sel.bpm = Some(Range {
                min: self.bpm_min,
                max: self.bpm_max,
            });
        }
        if let Some(key) = &self.key {
            match catalog_key(key) {
                Some(k) => sel.key = Some(k),
                None => errors.push(FieldError::new(
                    "key",
                    "must be a key such as \"F# minor\" or \"Eb major\"",
                )),
            }
        }
        let confidence = self.tag_confidence.unwrap_or(Tagged::DEFAULT_CONFIDENCE);
        if !(0.0..=1.0).contains(&confidence) {
            errors.push(FieldError::new("tagConfidence", "must be between 0 and 1"));
        }
        if let Some(t) = &self.tag {
            match tag_name(t) {
                Some(TagName { group, tag }) => {
                    sel.tagged = Some(Tagged {
                        group,
                        tag,
                        min_confidence: confidence,
                    })
                }
                None => errors.push(FieldError::new("tag", TAG_FORMAT)),
            }
        }
        if let Some(t) = &self.reviewed_tag {
            match tag_name(t) {
                Some(name) => sel.reviewed_tag = Some(name),
                None => errors.push(FieldError::new("reviewedTag", TAG_FORMAT)),
            }
        }
        sel.reviewed = self.reviewed;
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok((sel != TrackSelection::default()).then_some(sel))
    }
}

const TAG_FORMAT: &str = "must be group:tag, e.g. mood:happy";

/// `group:tag`, both parts tag names ([`is_tag_name`]) of at most 100 characters.
fn tag_name(text: &str) -> Option<TagName> {
    let (group, tag) = text.split_once(':')?;
    let (group, tag) = (group.trim(), tag.trim());
    let fits = |s: &str| is_tag_name(s) && s.chars().count() <= 100;
    (fits(group) && fits(tag)).then(|| TagName {
        group: group.to_string(),
        tag: tag.to_string(),
    })
}

/// One result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HitDto {
    #[schema(value_type = String, example = "track")]
    #[serde(rename = "type")]
    pub kind: DocKind,
    pub id: Uuid,
    /// Track or album title, or artist name.
    pub title: String,
    pub artist_id: Uuid,
    pub artist_name: String,
    pub album_id: Option<Uuid>,
    pub album_title: Option<String>,
    /// Relevance; higher is better, comparable within one response.
    pub score: f32,
}

impl From<SearchHit> for HitDto {
    fn from(h: SearchHit) -> Self {
        Self {
            kind: h.kind,
            id: h.id,
            title: h.title,
            artist_id: h.artist_id,
            artist_name: h.artist_name,
            album_id: h.album_id,
            album_title: h.album_title,
            score: h.score,
        }
    }
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    pub hits: Vec<HitDto>,
    /// Number of matching documents.
    pub total: u64,
    pub limit: usize,
    pub offset: usize,
}

/// Searches tracks, albums and artists by title and name; descriptor filters narrow it to the
/// tracks whose BPM, key or tags match (reviewed values first).
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    security(("bearer" = [])),
    responses((status = 200, body = SearchResponse), crate::openapi::Errors))]
pub async fn search(
    state: AppState,
    _caller: Caller,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    let search = state.catalog.search();
    let (results, limit, offset) = match (p.filter()?, &p.q) {
        (Some(filter), q) => {
            search
                .filtered(q.as_deref(), p.kind, filter, p.limit, p.offset)
                .await?
        }
        (None, Some(q)) => search.query(q, p.kind, p.limit, p.offset).await?,
        (None, None) => {
            return Err(ApiError::field(
                "q",
                "give words to find, a descriptor filter, or both",
            ))
        }
    };
    Ok(Json(SearchResponse {
        hits: results.hits.into_iter().map(HitDto::from).collect(),
        total: results.total,
        limit,
        offset,
    }))
}
