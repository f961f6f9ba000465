//! The annotation store on SQL: a table of contents; the queries live in the modules named
//! after what they store.

mod claims;
mod flowback;
mod items;
mod projects;
mod reports;
mod rows;

use async_trait::async_trait;

use crate::annotation::*;
use crate::error::StoreResult;
use crate::model::{Id, Millis};

use super::SqlCatalog;

#[async_trait]
impl AnnotationStore for SqlCatalog {
    async fn create_project(&self, p: NewProject) -> StoreResult<ProjectRecord> {
        projects::create_project(self, p).await
    }
    async fn project(&self, id: Id) -> StoreResult<ProjectRecord> {
        projects::project(self, id).await
    }
    async fn projects(&self) -> StoreResult<Vec<ProjectRecord>> {
        projects::projects(self).await
    }
    async fn set_project_settings(
        &self,
        id: Id,
        settings: &serde_json::Value,
        now: Millis,
    ) -> StoreResult<ProjectRecord> {
        projects::set_project_settings(self, id, settings, now).await
    }
    async fn change_schema(
        &self,
        id: Id,
        expected: i64,
        body: &serde_json::Value,
        changes: &serde_json::Value,
        check: &mut Visit<'_>,
        now: Millis,
    ) -> StoreResult<ProjectRecord> {
        projects::change_schema(self, id, expected, body, changes, check, now).await
    }
    async fn schema(&self, project: Id, version: i64) -> StoreResult<SchemaRecord> {
        projects::schema(self, project, version).await
    }
    async fn delete_project(&self, id: Id) -> StoreResult<()> {
        projects::delete_project(self, id).await
    }
    async fn add_annotator(&self, a: NewAnnotator) -> StoreResult<AnnotatorRecord> {
        projects::add_annotator(self, a).await
    }
    async fn annotators(&self, project: Id) -> StoreResult<Vec<AnnotatorRecord>> {
        projects::annotators(self, project).await
    }
    async fn annotator(&self, id: Id) -> StoreResult<AnnotatorRecord> {
        projects::annotator(self, id).await
    }
    async fn member(&self, project: Id, user: Id) -> StoreResult<AnnotatorRecord> {
        projects::member(self, project, user).await
    }
    async fn set_paused(
        &self,
        annotator: Id,
        paused: Option<(Millis, String)>,
    ) -> StoreResult<AnnotatorRecord> {
        projects::set_paused(self, annotator, paused).await
    }
    async fn add_items(
        &self,
        project: Id,
        items: &[NewItem],
        start: ItemStart,
        now: Millis,
    ) -> StoreResult<AddedItems> {
        items::add_items(self, project, items, start, now).await
    }
    async fn add_selected(
        &self,
        project: Id,
        selection: &TrackSelection,
        start: ItemStart,
        now: Millis,
    ) -> StoreResult<AddedItems> {
        items::add_selected(self, project, selection, start, now).await
    }
    async fn item(&self, id: i64) -> StoreResult<ItemRecord> {
        items::item(self, id).await
    }
    async fn items(
        &self,
        project: Id,
        state: Option<ItemState>,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<ItemRecord>> {
        items::items(self, project, state, after, limit).await
    }
    async fn item_counts(&self, project: Id) -> StoreResult<Vec<(ItemState, u64)>> {
        items::item_counts(self, project).await
    }
    async fn annotations(&self, item: i64) -> StoreResult<Vec<AnnotationRecord>> {
        items::annotations(self, item).await
    }
    async fn project_annotations(
        &self,
        project: Id,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AnnotationRecord>> {
        items::project_annotations(self, project, after, limit).await
    }
    async fn take_for_routing(
        &self,
        project: Id,
        limit: u32,
        now: Millis,
        lease_until: Millis,
    ) -> StoreResult<Vec<RoutingInput>> {
        items::take_for_routing(self, project, limit, now, lease_until).await
    }
    async fn route(&self, routes: &[Routed], now: Millis) -> StoreResult<u64> {
        items::route(self, routes, now).await
    }
    async fn claim(&self, c: &Claim) -> StoreResult<Option<ClaimedItem>> {
        claims::claim(self, c).await
    }
    async fn renew(&self, item: i64, annotator: Id, until: Millis) -> StoreResult<bool> {
        claims::renew(self, item, annotator, until).await
    }
    async fn release(
        &self,
        item: i64,
        annotator: Id,
        to: AssignmentState,
        now: Millis,
    ) -> StoreResult<bool> {
        claims::release(self, item, annotator, to, now).await
    }
    async fn expire_leases(&self, project: Id, now: Millis) -> StoreResult<u64> {
        claims::expire_leases(self, project, now).await
    }
    async fn submit(&self, s: &Submission, decide: &Decide) -> StoreResult<Submitted> {
        claims::submit(self, s, decide).await
    }
    async fn flag(&self, item: i64, now: Millis) -> StoreResult<()> {
        items::flag(self, item, now).await
    }
    async fn log_event(&self, e: &NewEvent) -> StoreResult<()> {
        projects::log_event(self, e).await
    }
    async fn events(&self, project: Id, limit: u32) -> StoreResult<Vec<EventRecord>> {
        projects::events(self, project, limit).await
    }
    async fn assignments(&self, item: i64) -> StoreResult<Vec<AssignmentRecord>> {
        items::assignments(self, item).await
    }
    async fn gold_answers(
        &self,
        annotator: Id,
    ) -> StoreResult<Vec<(serde_json::Value, serde_json::Value)>> {
        items::gold_answers(self, annotator).await
    }
    async fn held_count(&self, annotator: Id) -> StoreResult<u64> {
        claims::held_count(self, annotator).await
    }
    async fn events_of(
        &self,
        project: Id,
        kinds: &[&str],
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        projects::events_of(self, project, kinds, limit).await
    }
    async fn throughput(&self, project: Id, span: Span) -> StoreResult<Throughput> {
        reports::throughput(self, project, span).await
    }
    async fn annotator_throughput(
        &self,
        project: Id,
        span: Span,
    ) -> StoreResult<Vec<PerAnnotator<Throughput>>> {
        reports::annotator_throughput(self, project, span).await
    }
    async fn median_lead(&self, project: Id, span: Span) -> StoreResult<Option<f64>> {
        reports::median_lead(self, project, span).await
    }
    async fn annotator_median_leads(
        &self,
        project: Id,
        span: Span,
    ) -> StoreResult<Vec<PerAnnotator<f64>>> {
        reports::annotator_median_leads(self, project, span).await
    }
    async fn answer_buckets(
        &self,
        project: Id,
        span: Span,
        bucket_ms: i64,
    ) -> StoreResult<Vec<(Millis, u64)>> {
        reports::answer_buckets(self, project, span, bucket_ms).await
    }
    async fn resolution_counts(&self, project: Id) -> StoreResult<Vec<(Resolution, u64)>> {
        reports::resolution_counts(self, project).await
    }
    async fn escalation_counts(&self, project: Id) -> StoreResult<Escalations> {
        reports::escalation_counts(self, project).await
    }
    async fn spot_check_counts(&self, project: Id) -> StoreResult<SpotChecks> {
        reports::spot_check_counts(self, project).await
    }
    async fn agreement_by_day(&self, project: Id, span: Span) -> StoreResult<Vec<DailyAgreement>> {
        reports::agreement_by_day(self, project, span).await
    }
    async fn item_annotations(&self, items: &[i64]) -> StoreResult<Vec<AnnotationRecord>> {
        reports::item_annotations(self, items).await
    }
    async fn project_events(
        &self,
        project: Id,
        kind: &str,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        reports::project_events(self, project, kind, after, limit).await
    }

    async fn track_reviews(&self, track: Id) -> StoreResult<TrackReviews> {
        flowback::track_reviews(self, track).await
    }
    async fn claim_deliveries(
        &self,
        now: Millis,
        until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<OutboxRecord>> {
        flowback::claim_deliveries(self, now, until, limit).await
    }
    async fn record_delivery(&self, id: i64, outcome: &Delivery, now: Millis) -> StoreResult<()> {
        flowback::record_delivery(self, id, outcome, now).await
    }
    async fn deliveries(&self, project: Id, limit: u32) -> StoreResult<Vec<OutboxRecord>> {
        flowback::deliveries(self, project, limit).await
    }
}
