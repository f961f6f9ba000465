//! What the annotation endpoints send and accept (camelCase JSON). Answers, schemas, settings
//! and model configurations stay JSON objects: their shape belongs to `backbeat-annotate`,
//! which checks them and names each bad field. Times of a window are seconds; timestamps are
//! RFC 3339.

use std::collections::BTreeMap;

use backbeat_annotate::engine::{ItemView, Status, Work};
use backbeat_store::annotation::{
    AnnotationRecord, AnnotatorRecord, EventRecord, ItemRecord, OutboxRecord, ProjectRecord,
    Submitted, TrackSelection,
};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::time::rfc3339;

/// Body of `POST /annotation/projects`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProjectBody {
    /// 1–200 characters, trimmed.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The label schema (`{"questions":[…]}`; see docs/API.md).
    #[schema(value_type = Object)]
    pub schema: Json,
    /// Routing, overlap, gold and QA settings; absent keys take their defaults.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Json>,
}

/// Body of `PATCH /annotation/projects/{id}`: the settings keys to change (the others keep
/// their values).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectPatchBody {
    #[schema(value_type = Object)]
    pub settings: Json,
}

/// Body of `PUT /annotation/projects/{id}/schema`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaBody {
    /// The version the change is made from; another writer's change in between → 409.
    pub expected_version: i64,
    #[schema(value_type = Object)]
    pub schema: Json,
}

/// Body of `POST /annotation/projects/{id}/members`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMemberBody {
    pub user_id: Uuid,
    /// `annotator`, `expert` or `qa`.
    pub role: String,
    /// A display name in the project (default: the user id).
    #[serde(default)]
    pub name: Option<String>,
}

/// Body of `POST /annotation/projects/{id}/models`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewModelBody {
    pub name: String,
    /// A model annotator's configuration (`{"kind":"builtin",…}`, `{"kind":"http",…}`,
    /// `{"kind":"command",…}`; see docs/ANNOTATION-MODELS.md).
    #[schema(value_type = Object)]
    pub config: Json,
}

/// One item of `POST /annotation/projects/{id}/items`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewItemBody {
    pub track_id: Uuid,
    /// Window start in seconds (default 0).
    #[serde(default)]
    pub start: Option<f64>,
    /// Window end in seconds (default: the end of the track).
    #[serde(default)]
    pub end: Option<f64>,
    /// The known answers of a gold item.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub gold: Option<Json>,
}

/// Body of `POST /annotation/projects/{id}/items`: exactly one of `items` and `selection`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewItemsBody {
    #[serde(default)]
    pub items: Option<Vec<NewItemBody>>,
    /// A catalog selection (`artistId`, `albumId`, `trackIds`, `bpm`, `tempoConfidence`,
    /// `tag`, `readyOnly`, `limit`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub selection: Option<TrackSelection>,
}

/// Body of `POST /annotation/items/{id}/answer`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerBody {
    /// One answer per question asked, by question name.
    #[schema(value_type = Object)]
    pub answers: Json,
    /// Milliseconds the annotator spent on the item.
    #[serde(default)]
    pub lead_ms: Option<i64>,
}

/// Body of `POST /annotation/items/{id}/review`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewBody {
    /// `accept`, `fix` or `reject`.
    pub verdict: String,
    /// The corrected answers of a `fix`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<Json>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub lead_ms: Option<i64>,
}

/// Body of `POST /annotation/items/{id}/flag` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlagBody {
    /// Why (up to 2000 characters); logged as an event.
    #[serde(default)]
    pub comment: Option<String>,
}

/// An annotation project.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDto {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    #[schema(value_type = Object)]
    pub settings: Json,
    pub schema_version: i64,
    #[schema(value_type = Object)]
    pub schema: Json,
    pub created_by: Option<Uuid>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a project's webhook secret reads as in every answer: the secret signs deliveries and
/// is shown to nobody, managers included (they set a new one to rotate it).
pub const REDACTED_SECRET: &str = "whsec_********";

impl From<&ProjectRecord> for ProjectDto {
    fn from(p: &ProjectRecord) -> Self {
        let mut settings = p.settings.clone();
        if let Some(secret) = settings.pointer_mut("/webhook/secret") {
            *secret = Json::from(REDACTED_SECRET);
        }
        Self {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            settings,
            schema_version: p.schema_version,
            schema: p.schema.clone(),
            created_by: p.created_by,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// A person or a model annotating in a project.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberDto {
    pub id: Uuid,
    pub project_id: Uuid,
    /// `human`, `builtin` or `external`.
    pub kind: String,
    pub user_id: Option<Uuid>,
    /// `annotator`, `expert`, `qa` or `model`.
    pub role: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub config: Json,
    pub paused_at: Option<String>,
    pub pause_reason: Option<String>,
    pub created_at: String,
}

impl From<&AnnotatorRecord> for MemberDto {
    fn from(a: &AnnotatorRecord) -> Self {
        Self {
            id: a.id,
            project_id: a.project_id,
            kind: a.kind.as_str().into(),
            user_id: a.user_id,
            role: a.role.as_str().into(),
            name: a.name.clone(),
            config: a.config.clone(),
            paused_at: a.paused_at.map(rfc3339),
            pause_reason: a.pause_reason.clone(),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// An item: a track or a window of one, and where it is in the workflow.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemDto {
    pub id: i64,
    pub project_id: Uuid,
    pub track_id: Uuid,
    /// Seconds.
    pub start: f64,
    /// Seconds; `null`: to the end of the track.
    pub end: Option<f64>,
    /// `new`, `routing`, `open`, `expert`, `review`, `resolved` or `gold`.
    pub state: String,
    pub needed: i64,
    pub taken: i64,
    pub round: i64,
    pub extra: i64,
    pub spot_check: bool,
    pub flagged: bool,
    #[schema(value_type = Option<Vec<String>>)]
    pub open_questions: Option<Json>,
    /// The known answers (admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub gold: Option<Json>,
    pub agreement: Option<f64>,
    pub resolution: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub result: Option<Json>,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
}

impl From<&ItemRecord> for ItemDto {
    fn from(i: &ItemRecord) -> Self {
        Self {
            id: i.id,
            project_id: i.project_id,
            track_id: i.track_id,
            start: i.start_ms as f64 / 1000.0,
            end: (i.end_ms != 0).then(|| i.end_ms as f64 / 1000.0),
            state: i.state.as_str().into(),
            needed: i.needed,
            taken: i.taken,
            round: i.round,
            extra: i.extra,
            spot_check: i.spot_check,
            flagged: i.flagged,
            open_questions: i.open_questions.clone(),
            gold: i.gold.clone(),
            agreement: i.agreement,
            resolution: i.resolution.map(|r| r.as_str().into()),
            result: i.result.clone(),
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
            resolved_at: i.resolved_at.map(rfc3339),
        }
    }
}

/// One annotation: who or what answered what, when, and from what.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationDto {
    pub id: i64,
    pub item_id: i64,
    pub annotator_id: Uuid,
    /// `model`, `open`, `expert`, `review` or `gold`.
    pub stage: String,
    pub round: i64,
    #[schema(value_type = Object)]
    pub answers: Json,
    #[schema(value_type = Option<Object>)]
    pub confidence: Option<Json>,
    pub model_version: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub derived_from: Option<Json>,
    pub lead_ms: Option<i64>,
    pub schema_version: i64,
    pub verdict: Option<String>,
    pub comment: Option<String>,
    pub created_at: String,
}

impl From<&AnnotationRecord> for AnnotationDto {
    fn from(a: &AnnotationRecord) -> Self {
        Self {
            id: a.id,
            item_id: a.item_id,
            annotator_id: a.annotator_id,
            stage: a.stage.as_str().into(),
            round: a.round,
            answers: a.answers.clone(),
            confidence: a.confidence.clone(),
            model_version: a.model_version.clone(),
            derived_from: a.derived_from.clone(),
            lead_ms: a.lead_ms,
            schema_version: a.schema_version,
            verdict: a.verdict.map(|v| v.as_str().into()),
            comment: a.comment.clone(),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// A claimed item.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkDto {
    pub item: ItemDto,
    pub lease_until: String,
    /// Claimed again after QA sent it back.
    pub returned: bool,
    /// The questions to answer.
    pub questions: Vec<String>,
    /// The models' answers, when the project shows them to this role.
    #[schema(value_type = Option<Vec<Object>>)]
    pub model_answers: Option<Json>,
    /// For experts and QA: the answers people gave so far.
    pub answers: Vec<AnnotationDto>,
}

impl From<&Work> for WorkDto {
    fn from(w: &Work) -> Self {
        Self {
            item: ItemDto::from(&w.item),
            lease_until: rfc3339(w.lease_until),
            returned: w.returned,
            questions: w.questions.clone(),
            model_answers: w.model_answers.clone(),
            answers: w.answers.iter().map(AnnotationDto::from).collect(),
        }
    }
}

/// What an answer or a review stored and left.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmittedDto {
    pub annotation_id: i64,
    /// The item's state before.
    pub before: String,
    /// The item after (as the caller may see it: no gold, no result before resolution).
    pub state: String,
}

impl From<&Submitted> for SubmittedDto {
    fn from(s: &Submitted) -> Self {
        Self {
            annotation_id: s.annotation_id,
            before: s.before.as_str().into(),
            state: s.item.state.as_str().into(),
        }
    }
}

/// An item as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemViewDto {
    pub item: ItemDto,
    pub annotations: Vec<AnnotationDto>,
}

impl From<&ItemView> for ItemViewDto {
    fn from(v: &ItemView) -> Self {
        Self {
            item: ItemDto::from(&v.item),
            annotations: v.annotations.iter().map(AnnotationDto::from).collect(),
        }
    }
}

/// Item counts of a project.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusDto {
    pub total: u64,
    /// Items per state (every state, zeros included).
    pub items: BTreeMap<String, u64>,
}

impl From<&Status> for StatusDto {
    fn from(s: &Status) -> Self {
        Self {
            total: s.total,
            items: s
                .counts
                .iter()
                .map(|(st, n)| (st.as_str().to_string(), *n))
                .collect(),
        }
    }
}

/// A logged decision.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDto {
    pub id: i64,
    pub item_id: Option<i64>,
    pub kind: String,
    #[schema(value_type = Object)]
    pub detail: Json,
    pub created_at: String,
}

impl From<&EventRecord> for EventDto {
    fn from(e: &EventRecord) -> Self {
        Self {
            id: e.id,
            item_id: e.item_id,
            kind: e.kind.clone(),
            detail: e.detail.clone(),
            created_at: rfc3339(e.created_at),
        }
    }
}

/// What adding items did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddedDto {
    pub added: u64,
    /// Already in the project, left as they were.
    pub duplicates: u64,
}

/// A renewed lease.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaseDto {
    pub lease_until: String,
}

/// What a routing run did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoutedDto {
    pub routed: u64,
}

/// One webhook delivery of the outbox.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDto {
    /// The `webhook-id` header it is sent with (the same on every retry).
    pub id: String,
    /// `item.resolved`.
    pub event: String,
    #[schema(value_type = Object)]
    pub payload: Json,
    pub attempts: i64,
    /// `pending`, `delivered` or `failed` (retries ran out).
    #[schema(example = "delivered")]
    pub state: &'static str,
    /// When the next attempt is due (pending ones).
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    pub failed_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

impl From<&OutboxRecord> for DeliveryDto {
    fn from(r: &OutboxRecord) -> Self {
        let state = match (r.delivered_at, r.failed_at) {
            (Some(_), _) => "delivered",
            (None, Some(_)) => "failed",
            (None, None) => "pending",
        };
        Self {
            id: backbeat_annotate::webhooks::message_id(r),
            event: r.event.clone(),
            payload: r.payload.clone(),
            attempts: r.attempts,
            state,
            next_attempt_at: (state == "pending").then(|| rfc3339(r.next_at)),
            delivered_at: r.delivered_at.map(rfc3339),
            failed_at: r.failed_at.map(rfc3339),
            last_error: r.last_error.clone(),
            created_at: rfc3339(r.created_at),
        }
    }
}
