//! The annotation engine's records as the store reads and writes them. JSON columns stay
//! `serde_json::Value`: their shape belongs to `backbeat-annotate`.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::{string_enum, Id, Millis};

string_enum!(
    /// Who or what an annotator is.
    AnnotatorKind {
        /// A person (a user of the catalog).
        Human = "human",
        /// A model computed from stored pipeline outputs.
        Builtin = "builtin",
        /// A model behind an HTTP endpoint or a command.
        External = "external",
    }
);

string_enum!(
    /// What an annotator does in a project.
    MemberRole {
        /// Answers items of the `open` stage.
        Annotator = "annotator",
        /// Resolves escalated items (and answers `open` items when none wait).
        Expert = "expert",
        /// Reviews resolved items: accept, fix or reject.
        Qa = "qa",
        /// A model annotator.
        Model = "model",
    }
);

string_enum!(
    /// Where an item is in the workflow.
    ItemState {
        /// Waiting for the model annotators.
        New = "new",
        /// Held by a router computing the models' answers.
        Routing = "routing",
        /// People annotate it.
        Open = "open",
        /// Escalated: an expert resolves it.
        Expert = "expert",
        /// Resolved, waiting for QA's review.
        Review = "review",
        /// Final.
        Resolved = "resolved",
        /// A gold item: known answer, shown to every annotator once to measure them.
        Gold = "gold",
    }
);

string_enum!(
    /// What an annotation answered.
    Stage {
        /// A model's pre-annotation.
        Model = "model",
        /// An annotator's answer.
        Open = "open",
        /// An expert's answer on an escalated item.
        Expert = "expert",
        /// QA's verdict (with a fix or a comment).
        Review = "review",
        /// An answer to a gold item.
        Gold = "gold",
    }
);

string_enum!(
    /// Where an annotator's assignment of an item stands.
    AssignmentState {
        /// Leased until `lease_until`.
        Leased = "leased",
        /// Answered.
        Submitted = "submitted",
        /// Given back for good.
        Skipped = "skipped",
        /// Given back for later.
        Postponed = "postponed",
        /// Answered, then sent back by QA: theirs to answer again.
        Returned = "returned",
    }
);

string_enum!(
    /// How an item was resolved.
    Resolution {
        /// Every question accepted from the model's confident answer.
        Model = "model",
        /// People agreed.
        Consensus = "consensus",
        /// An expert decided.
        Expert = "expert",
        /// QA fixed it.
        Qa = "qa",
    }
);

string_enum!(
    /// QA's verdict on a resolved item.
    Verdict {
        Accept = "accept",
        Fix = "fix",
        Reject = "reject",
    }
);

/// A project to create.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub id: Id,
    pub name: String,
    pub description: String,
    pub settings: Json,
    pub schema: Json,
    pub created_by: Option<Id>,
    pub now: Millis,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectRecord {
    pub id: Id,
    pub name: String,
    pub description: String,
    pub settings: Json,
    pub schema_version: i64,
    /// The current schema's body.
    pub schema: Json,
    pub created_by: Option<Id>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One schema version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaRecord {
    pub project_id: Id,
    pub version: i64,
    pub body: Json,
    /// What changed from the previous version (written by the engine).
    pub changes: Json,
    pub created_at: Millis,
}

/// An annotator to add.
#[derive(Debug, Clone)]
pub struct NewAnnotator {
    pub id: Id,
    pub project_id: Id,
    pub kind: AnnotatorKind,
    /// The person, for humans.
    pub user_id: Option<Id>,
    pub role: MemberRole,
    pub name: String,
    /// A model's configuration (JSON; `{}` for people).
    pub config: Json,
    pub now: Millis,
}

/// A person or a model annotating in a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotatorRecord {
    pub id: Id,
    pub project_id: Id,
    pub kind: AnnotatorKind,
    pub user_id: Option<Id>,
    pub role: MemberRole,
    pub name: String,
    pub config: Json,
    pub paused_at: Option<Millis>,
    pub pause_reason: Option<String>,
    pub created_at: Millis,
}

/// An item to add: a track, or the window `[start_ms, end_ms)` of one (`end_ms` 0: to the
/// end).
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub track_id: Id,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The known answer of a gold item.
    pub gold: Option<Json>,
}

/// The state added items start in: `new` when the project has model annotators (they route
/// it), else `open` with the project's overlap. Gold items always start as `gold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemStart {
    pub state: ItemState,
    pub needed: i64,
}

/// What an add did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedItems {
    pub added: u64,
    /// Already in the project, left as they were.
    pub duplicates: u64,
}

/// A catalog selection of tracks, every condition given must hold. Tag and tempo-confidence
/// ranges are inclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrackSelection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artist_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub album_id: Option<Id>,
    /// Only tracks in these (the result of a search, or a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_ids: Option<Vec<Id>>,
    /// Full-text search words, as `GET /api/v1/search?q=`: the server resolves them into the
    /// matching tracks (`track_ids`, intersected with a list given too) before the store sees
    /// the selection; the store and the engine have no search index and refuse one left in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The track's BPM: the reviewed one where people settled it, else the analysis's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bpm: Option<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tempo_confidence: Option<Range>,
    /// The track's key as the catalog spells it (`"Eb minor"`, `"F# major"`): the reviewed
    /// one where people settled it, else the analysis's. Callers normalise what a client
    /// wrote (`backbeat_annotate::models::catalog_key_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A tag the track carries: where people reviewed the tag's group for the track, their
    /// tags decide; elsewhere the tagger's confidence must reach `minConfidence`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagged: Option<Tagged>,
    /// A tag of the tagger's, by its confidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<TagRange>,
    /// A tag people gave the track in a resolved item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_tag: Option<TagName>,
    /// Only tracks with (`true`) or without (`false`) any reviewed value or tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<bool>,
    /// Only tracks whose processing finished.
    #[serde(default)]
    pub ready_only: bool,
    /// At most this many tracks (oldest first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// An inclusive numeric range; an absent end is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// One tag of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagName {
    pub group: String,
    pub tag: String,
}

/// A tag a track carries, by people's word where they gave it, else by the tagger's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tagged {
    pub group: String,
    pub tag: String,
    /// The tagger's confidence that counts as carrying the tag (default 0.5).
    #[serde(default = "Tagged::default_confidence")]
    pub min_confidence: f64,
}

impl Tagged {
    /// The confidence at which the tagger's tag counts when a filter does not say.
    pub const DEFAULT_CONFIDENCE: f64 = 0.5;

    fn default_confidence() -> f64 {
        Self::DEFAULT_CONFIDENCE
    }
}

/// Tracks whose tagger confidence for one tag lies in a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRange {
    pub group: String,
    pub tag: String,
    #[serde(default)]
    pub confidence: Range,
}

/// An item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRecord {
    pub id: i64,
    pub project_id: Id,
    pub track_id: Id,
    pub start_ms: i64,
    pub end_ms: i64,
    pub state: ItemState,
    pub needed: i64,
    pub taken: i64,
    /// Bumped when QA sends the item back.
    pub round: i64,
    /// Annotators added beyond the overlap after disagreement.
    pub extra: i64,
    pub spot_check: bool,
    pub flagged: bool,
    /// The questions people answer (`None`: all of them).
    pub open_questions: Option<Json>,
    pub gold: Option<Json>,
    pub agreement: Option<f64>,
    pub resolution: Option<Resolution>,
    pub result: Option<Json>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub resolved_at: Option<Millis>,
}

/// What the engine changes on an item (under its lock, or when routing it).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub state: ItemState,
    pub needed: i64,
    pub taken: i64,
    pub round: i64,
    pub extra: i64,
    pub spot_check: bool,
    pub flagged: bool,
    pub open_questions: Option<Json>,
    pub agreement: Option<f64>,
    pub resolution: Option<Resolution>,
    pub result: Option<Json>,
    pub resolved_at: Option<Millis>,
    /// Send the item back to the annotators of the current round (QA rejected it): their
    /// assignments become `returned`.
    pub return_to_annotators: bool,
    /// Decisions to log with the change.
    pub events: Vec<(String, Json)>,
    /// Reviewed values for the item's track (written only when the change resolves it).
    pub reviews: Vec<super::Review>,
    /// A webhook delivery to enqueue with the change.
    pub notify: Option<super::Notify>,
}

impl ItemChange {
    /// The change that leaves `item` as it is, to edit from.
    pub fn from_item(item: &ItemRecord) -> Self {
        ItemChange {
            state: item.state,
            needed: item.needed,
            taken: item.taken,
            round: item.round,
            extra: item.extra,
            spot_check: item.spot_check,
            flagged: item.flagged,
            open_questions: item.open_questions.clone(),
            agreement: item.agreement,
            resolution: item.resolution,
            result: item.result.clone(),
            resolved_at: item.resolved_at,
            return_to_annotators: false,
            events: Vec::new(),
            reviews: Vec::new(),
            notify: None,
        }
    }
}

/// An annotation to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnnotation {
    pub annotator_id: Id,
    pub stage: Stage,
    pub answers: Json,
    pub confidence: Option<Json>,
    pub model_version: Option<String>,
    pub derived_from: Option<Json>,
    pub lead_ms: Option<i64>,
    pub schema_version: i64,
    pub verdict: Option<Verdict>,
    pub comment: Option<String>,
    pub now: Millis,
}

/// A stored annotation: who or what answered what, when, from what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotationRecord {
    pub id: i64,
    pub item_id: i64,
    pub project_id: Id,
    pub annotator_id: Id,
    pub stage: Stage,
    pub round: i64,
    pub answers: Json,
    pub confidence: Option<Json>,
    pub model_version: Option<String>,
    pub derived_from: Option<Json>,
    pub lead_ms: Option<i64>,
    pub schema_version: i64,
    pub verdict: Option<Verdict>,
    pub comment: Option<String>,
    pub created_at: Millis,
}

/// An item taken for routing, with what the built-in models read.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingInput {
    pub item: ItemRecord,
    pub duration_ms: i64,
    pub bpm: Option<f64>,
    pub key: Option<String>,
    /// The stored analysis record (JSON), when the track was analysed.
    pub analysis: Option<Json>,
    /// The tagger's tags: group, tag, confidence.
    pub tags: Vec<(String, String, f64)>,
}

/// The routing of one item: the models' annotations and the item's new state.
#[derive(Debug, Clone, PartialEq)]
pub struct Routed {
    pub item_id: i64,
    pub annotations: Vec<NewAnnotation>,
    pub change: ItemChange,
}

/// A claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub project_id: Id,
    pub annotator_id: Id,
    /// The stages the annotator works, in order of preference.
    pub stages: Vec<ItemState>,
    /// Try a gold item first (the engine draws this with the gold share).
    pub gold_first: bool,
    pub now: Millis,
    pub lease_until: Millis,
}

/// A leased item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimedItem {
    pub item: ItemRecord,
    pub lease_until: Millis,
    /// Claimed again after QA sent it back.
    pub returned: bool,
}

/// An annotator's answer to the item they hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub item_id: i64,
    pub annotation: NewAnnotation,
}

/// What a submission stored and left.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub annotation_id: i64,
    /// The item after the engine's change.
    pub item: ItemRecord,
    /// The item's state before.
    pub before: ItemState,
}

/// An annotator's assignment of an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentRecord {
    pub item_id: i64,
    pub annotator_id: Id,
    pub stage: ItemState,
    pub state: AssignmentState,
    pub leased_at: Millis,
    pub lease_until: Millis,
    pub updated_at: Millis,
}

/// A decision to log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub project_id: Id,
    pub item_id: Option<i64>,
    pub kind: String,
    pub detail: Json,
    pub now: Millis,
}

/// A logged decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    pub id: i64,
    pub project_id: Id,
    pub item_id: Option<i64>,
    pub kind: String,
    pub detail: Json,
    pub created_at: Millis,
}
