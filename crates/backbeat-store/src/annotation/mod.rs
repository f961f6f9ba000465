//! [`AnnotationStore`]: the annotation engine's tables — projects with versioned schemas,
//! annotators (people and models), items, leases, annotations and the decision log.
//!
//! The store knows no rule of the workflow: answers, settings and schemas are JSON it keeps,
//! and the decisions that must be taken under an item's lock (what a submission changes) are
//! made by a function the engine passes in, called inside the transaction. What the store does
//! guarantee:
//! - a claim is one atomic step: no item is leased beyond its `needed` count, and no annotator
//!   holds two assignments of one item, whatever the concurrency;
//! - a submission is accepted only from the holder of a live or unswept lease;
//! - a schema version is written only after the engine checked it against every stored answer,
//!   with submissions held off meanwhile.

mod flowback;
mod records;
mod report_records;

use async_trait::async_trait;

use crate::error::StoreResult;
use crate::model::{Id, Millis};

pub use flowback::*;
pub use records::*;
pub use report_records::*;

/// The engine's decision on an item under its lock, given the item and its annotations of the
/// current round (oldest first). `None` leaves the item as the submission left it.
pub type Decide = dyn Fn(&ItemRecord, &[AnnotationRecord]) -> Option<ItemChange> + Send + Sync;

/// Visits the stored answers of a project (JSON text), then `None` at the end, for a schema
/// change's orphan check; an error refuses the change.
pub type Visit<'a> = dyn FnMut(Option<&str>) -> StoreResult<()> + Send + 'a;

/// Annotation projects and everything in them.
#[async_trait]
pub trait AnnotationStore: Send + Sync + 'static {
    /// Creates a project with its first schema version.
    async fn create_project(&self, p: NewProject) -> StoreResult<ProjectRecord>;
    async fn project(&self, id: Id) -> StoreResult<ProjectRecord>;
    /// Every project, newest first.
    async fn projects(&self) -> StoreResult<Vec<ProjectRecord>>;
    async fn set_project_settings(
        &self,
        id: Id,
        settings: &serde_json::Value,
        now: Millis,
    ) -> StoreResult<ProjectRecord>;
    /// Writes schema version `expected + 1`, or `Conflict` if the project is no longer at
    /// `expected`. `check` sees every stored answer first (submissions wait meanwhile) and
    /// refuses with its own error, returned as is.
    async fn change_schema(
        &self,
        id: Id,
        expected: i64,
        body: &serde_json::Value,
        changes: &serde_json::Value,
        check: &mut Visit<'_>,
        now: Millis,
    ) -> StoreResult<ProjectRecord>;
    /// One schema version.
    async fn schema(&self, project: Id, version: i64) -> StoreResult<SchemaRecord>;
    async fn delete_project(&self, id: Id) -> StoreResult<()>;

    async fn add_annotator(&self, a: NewAnnotator) -> StoreResult<AnnotatorRecord>;
    async fn annotators(&self, project: Id) -> StoreResult<Vec<AnnotatorRecord>>;
    async fn annotator(&self, id: Id) -> StoreResult<AnnotatorRecord>;
    /// The project's annotator record of a user.
    async fn member(&self, project: Id, user: Id) -> StoreResult<AnnotatorRecord>;
    /// Pauses (with a reason) or resumes an annotator.
    async fn set_paused(
        &self,
        annotator: Id,
        paused: Option<(Millis, String)>,
    ) -> StoreResult<AnnotatorRecord>;

    /// Adds items (a track or a window of one); an item already in the project is skipped.
    async fn add_items(
        &self,
        project: Id,
        items: &[NewItem],
        start: ItemStart,
        now: Millis,
    ) -> StoreResult<AddedItems>;
    /// Adds every track a catalog selection matches, in one statement.
    async fn add_selected(
        &self,
        project: Id,
        selection: &TrackSelection,
        start: ItemStart,
        now: Millis,
    ) -> StoreResult<AddedItems>;
    async fn item(&self, id: i64) -> StoreResult<ItemRecord>;
    /// Items of a project, by id after `after`, optionally in one state.
    async fn items(
        &self,
        project: Id,
        state: Option<ItemState>,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<ItemRecord>>;
    /// Item counts per state.
    async fn item_counts(&self, project: Id) -> StoreResult<Vec<(ItemState, u64)>>;
    /// An item's annotations, oldest first.
    async fn annotations(&self, item: i64) -> StoreResult<Vec<AnnotationRecord>>;
    /// A project's annotations with id after `after`, oldest first (exports, reports).
    async fn project_annotations(
        &self,
        project: Id,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AnnotationRecord>>;

    /// Takes up to `limit` new items for routing until `lease_until` (state `routing`);
    /// routing leases that ended before `now` are taken again.
    async fn take_for_routing(
        &self,
        project: Id,
        limit: u32,
        now: Millis,
        lease_until: Millis,
    ) -> StoreResult<Vec<RoutingInput>>;
    /// Stores the model annotations and the routing decision of items taken for routing;
    /// an item no longer in `routing` is left alone. Returns how many were routed.
    async fn route(&self, routes: &[Routed], now: Millis) -> StoreResult<u64>;

    /// Leases the next item for an annotator, in this order: items of theirs returned by QA,
    /// a gold item (when `gold_first`), a fresh item of one of `stages`, their postponed items.
    async fn claim(&self, c: &Claim) -> StoreResult<Option<ClaimedItem>>;
    /// Extends a lease the annotator holds; `false` if they hold none.
    async fn renew(&self, item: i64, annotator: Id, until: Millis) -> StoreResult<bool>;
    /// Gives a leased item back: `skipped` (never again for this annotator) or `postponed`
    /// (theirs again once nothing fresh is left). `false` if they held no lease.
    async fn release(
        &self,
        item: i64,
        annotator: Id,
        to: AssignmentState,
        now: Millis,
    ) -> StoreResult<bool>;
    /// Returns the items of leases that ended before `now`; how many.
    async fn expire_leases(&self, project: Id, now: Millis) -> StoreResult<u64>;
    /// Stores an annotation from the holder of the item's lease and applies `decide`'s
    /// change, in one transaction under the item's lock. `Conflict` when the annotator holds
    /// no lease on the item or the schema moved past the version the answer was checked on.
    async fn submit(&self, s: &Submission, decide: &Decide) -> StoreResult<Submitted>;
    /// Flags an item for QA review.
    async fn flag(&self, item: i64, now: Millis) -> StoreResult<()>;
    /// Appends to the decision log.
    async fn log_event(&self, e: &NewEvent) -> StoreResult<()>;
    /// The decision log of a project, newest first.
    async fn events(&self, project: Id, limit: u32) -> StoreResult<Vec<EventRecord>>;
    /// How many items an annotator has held in their project (any assignment state).
    async fn held_count(&self, annotator: Id) -> StoreResult<u64>;
    /// An annotator's answers to gold items with the gold answers: (answer, gold).
    async fn gold_answers(
        &self,
        annotator: Id,
    ) -> StoreResult<Vec<(serde_json::Value, serde_json::Value)>>;
    /// The decision log of a project restricted to some kinds, newest first.
    async fn events_of(
        &self,
        project: Id,
        kinds: &[&str],
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// The assignments of an item.
    async fn assignments(&self, item: i64) -> StoreResult<Vec<AssignmentRecord>>;

    // Reports: aggregates computed by the database (see `report_records`).

    /// Human answers (every stage but `model`) created in `span`.
    async fn throughput(&self, project: Id, span: Span) -> StoreResult<Throughput>;
    /// Answers created in `span`, per annotator (models included, each its own row).
    async fn annotator_throughput(
        &self,
        project: Id,
        span: Span,
    ) -> StoreResult<Vec<PerAnnotator<Throughput>>>;
    /// The median lead time (ms) of human answers created in `span`; `None` without any.
    async fn median_lead(&self, project: Id, span: Span) -> StoreResult<Option<f64>>;
    /// The median lead time (ms) of each annotator's answers created in `span`.
    async fn annotator_median_leads(
        &self,
        project: Id,
        span: Span,
    ) -> StoreResult<Vec<PerAnnotator<f64>>>;
    /// Human answers per bucket of `bucket_ms` (aligned on the epoch), buckets without
    /// answers left out, oldest first.
    async fn answer_buckets(
        &self,
        project: Id,
        span: Span,
        bucket_ms: i64,
    ) -> StoreResult<Vec<(Millis, u64)>>;
    /// Items with a resolution (in review or resolved), per resolution.
    async fn resolution_counts(&self, project: Id) -> StoreResult<Vec<(Resolution, u64)>>;
    /// Items escalated to the experts, and items given annotators beyond the overlap.
    async fn escalation_counts(&self, project: Id) -> StoreResult<Escalations>;
    /// Spot checks the person agreed and disagreed with the model on.
    async fn spot_check_counts(&self, project: Id) -> StoreResult<SpotChecks>;
    /// Mean agreement of the items resolved per UTC day of `span`, oldest first.
    async fn agreement_by_day(&self, project: Id, span: Span) -> StoreResult<Vec<DailyAgreement>>;
    /// The annotations of some items (a page of an export), by item then id.
    async fn item_annotations(&self, items: &[i64]) -> StoreResult<Vec<AnnotationRecord>>;
    /// The decision log of one kind, by id after `after`, oldest first.
    async fn project_events(
        &self,
        project: Id,
        kind: &str,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;

    // Flow back: reviewed values and webhook deliveries (see `flowback`).

    /// The reviewed values and tags of a track (empty when nothing was reviewed).
    async fn track_reviews(&self, track: Id) -> StoreResult<TrackReviews>;
    /// Takes outbox rows due at `now` (not delivered, not failed, `next_at <= now`) for
    /// delivery: their `next_at` becomes `until`, so no other delivery loop takes them
    /// meanwhile; a loop that dies leaves them due again at `until`.
    async fn claim_deliveries(
        &self,
        now: Millis,
        until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<OutboxRecord>>;
    /// Records what became of an attempt on an outbox row (one more attempt counted).
    async fn record_delivery(&self, id: i64, outcome: &Delivery, now: Millis) -> StoreResult<()>;
    /// A project's outbox rows, newest first.
    async fn deliveries(&self, project: Id, limit: u32) -> StoreResult<Vec<OutboxRecord>>;
}
