//! The service's reads and small moves with their role checks: project and member lists, the
//! item view (what each role may see of an item), status counts, the decision log, giving a
//! lease back or renewing it, flagging, and running the router on demand.
//!
//! Who sees what of an item — the rule the tests guard hardest:
//! - admins (project managers): everything, gold answers included;
//! - experts and QA: an item of their stage (`expert`, `review`) or a resolved one, with every
//!   annotation; any other item as an annotator sees it;
//! - annotators: an item they were assigned, with only their own annotations; the result,
//!   agreement and resolution once the item is `resolved`; never others' answers before,
//!   never a gold answer.

use backbeat_store::annotation::*;
use backbeat_store::model::{now_millis, Id};
use serde_json::json;

use crate::engine::error::{AnnotateError, AnnotateResult};
use crate::engine::service::{Actor, Annotation};
use crate::schema::FieldError;

/// The longest flag comment kept (characters).
pub const MAX_COMMENT: usize = 2000;

/// The most events one read returns.
pub const MAX_EVENTS: u32 = 1000;

/// An item as the caller may see it.
#[derive(Debug, Clone)]
pub struct ItemView {
    /// The item; `gold` is `None` unless the caller is an admin, and an annotator sees no
    /// `result`, `agreement` or `resolution` before the item is resolved.
    pub item: ItemRecord,
    /// The annotations the caller may read, oldest first.
    pub annotations: Vec<AnnotationRecord>,
}

/// Item counts of a project by state (every state present, zeros included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub counts: Vec<(ItemState, u64)>,
    pub total: u64,
}

/// Every item state, in workflow order.
const STATES: [ItemState; 7] = [
    ItemState::New,
    ItemState::Routing,
    ItemState::Open,
    ItemState::Expert,
    ItemState::Review,
    ItemState::Resolved,
    ItemState::Gold,
];

impl Annotation {
    /// The projects the caller may see: admins every one, others those they are members of.
    pub async fn projects(&self, actor: &Actor) -> AnnotateResult<Vec<ProjectRecord>> {
        let all = self.store().projects().await?;
        if actor.admin {
            return Ok(all);
        }
        let mut mine = Vec::new();
        for mut p in all {
            match self.store().member(p.id, actor.user_id).await {
                Ok(_) => {
                    super::service::hide_managers_settings(actor, &mut p);
                    mine.push(p)
                }
                Err(backbeat_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(mine)
    }

    /// A project's annotators, people and models (admins).
    pub async fn members(
        &self,
        actor: &Actor,
        project: Id,
    ) -> AnnotateResult<Vec<AnnotatorRecord>> {
        Self::require_admin(actor)?;
        self.store().project(project).await?;
        Ok(self.store().annotators(project).await?)
    }

    /// Gives back an item the caller holds: `Skipped` (never theirs again) or `Postponed`
    /// (theirs again once nothing fresh is left). `Conflict` when they hold no lease on it.
    pub async fn release(
        &self,
        actor: &Actor,
        item: i64,
        to: AssignmentState,
    ) -> AnnotateResult<()> {
        if !matches!(to, AssignmentState::Skipped | AssignmentState::Postponed) {
            return Err(AnnotateError::Invalid(vec![FieldError {
                field: "to".into(),
                message: "an item is given back skipped or postponed".into(),
            }]));
        }
        let record = self.store().item(item).await?;
        let me = self.membership(actor, record.project_id).await?;
        if self.store().release(item, me.id, to, now_millis()).await? {
            Ok(())
        } else {
            Err(AnnotateError::Conflict(
                "you hold no lease on this item".into(),
            ))
        }
    }

    /// Extends the caller's lease on an item by the project's lease time; the new end.
    pub async fn renew(&self, actor: &Actor, item: i64) -> AnnotateResult<i64> {
        let record = self.store().item(item).await?;
        let me = self.membership(actor, record.project_id).await?;
        let p = self.load(record.project_id).await?;
        let until = now_millis() + p.settings.lease_seconds * 1000;
        if self.store().renew(item, me.id, until).await? {
            Ok(until)
        } else {
            Err(AnnotateError::Conflict(
                "you hold no lease on this item".into(),
            ))
        }
    }

    /// Flags an item for QA's review, with an optional comment logged as an event. Admins and
    /// the members who hold or answered the item may.
    pub async fn flag(
        &self,
        actor: &Actor,
        item: i64,
        comment: Option<String>,
    ) -> AnnotateResult<()> {
        if let Some(c) = &comment {
            if c.chars().count() > MAX_COMMENT {
                return Err(AnnotateError::Invalid(vec![FieldError {
                    field: "comment".into(),
                    message: format!("at most {MAX_COMMENT} characters"),
                }]));
            }
        }
        let record = self.store().item(item).await?;
        let annotator = if actor.admin {
            self.store()
                .member(record.project_id, actor.user_id)
                .await
                .ok()
                .map(|m| m.id)
        } else {
            let me = self.membership(actor, record.project_id).await?;
            if !self.touched(&me, item).await? {
                return Err(AnnotateError::Forbidden(
                    "only who holds or answered an item may flag it",
                ));
            }
            Some(me.id)
        };
        let now = now_millis();
        self.store().flag(item, now).await?;
        self.store()
            .log_event(&NewEvent {
                project_id: record.project_id,
                item_id: Some(item),
                kind: "flagged".into(),
                detail: json!({
                    "userId": actor.user_id,
                    "annotatorId": annotator,
                    "comment": comment,
                }),
                now,
            })
            .await?;
        Ok(())
    }

    /// Whether an annotator holds or held an item (a live lease, an answer, a return).
    async fn touched(&self, me: &AnnotatorRecord, item: i64) -> AnnotateResult<bool> {
        let held = self.store().assignments(item).await?.iter().any(|a| {
            a.annotator_id == me.id
                && matches!(
                    a.state,
                    AssignmentState::Leased
                        | AssignmentState::Submitted
                        | AssignmentState::Returned
                )
        });
        if held {
            return Ok(true);
        }
        Ok(self
            .store()
            .annotations(item)
            .await?
            .iter()
            .any(|a| a.annotator_id == me.id))
    }

    /// An item as the caller may see it (see the module header for the rule).
    pub async fn item_view(&self, actor: &Actor, item: i64) -> AnnotateResult<ItemView> {
        let record = self.store().item(item).await?;
        let annotations = self.store().annotations(item).await?;
        if actor.admin {
            return Ok(ItemView {
                item: record,
                annotations,
            });
        }
        let me = self.membership(actor, record.project_id).await?;
        let their_stage = match me.role {
            MemberRole::Expert => record.state == ItemState::Expert,
            MemberRole::Qa => record.state == ItemState::Review,
            MemberRole::Annotator | MemberRole::Model => false,
        };
        let reviewer = matches!(me.role, MemberRole::Expert | MemberRole::Qa);
        if reviewer && (their_stage || record.state == ItemState::Resolved) {
            return Ok(ItemView {
                item: ItemRecord {
                    gold: None,
                    ..record
                },
                annotations,
            });
        }
        if !self.touched_or_leased(&me, item).await? {
            return Err(AnnotateError::Forbidden(
                "annotators see only the items they were given",
            ));
        }
        let resolved = record.state == ItemState::Resolved;
        let item = ItemRecord {
            gold: None,
            result: if resolved {
                record.result.clone()
            } else {
                None
            },
            agreement: if resolved { record.agreement } else { None },
            resolution: if resolved { record.resolution } else { None },
            ..record
        };
        let annotations = annotations
            .into_iter()
            .filter(|a| a.annotator_id == me.id)
            .collect();
        Ok(ItemView { item, annotations })
    }

    /// Any assignment of the item to this annotator, in whatever state, or an answer.
    async fn touched_or_leased(&self, me: &AnnotatorRecord, item: i64) -> AnnotateResult<bool> {
        if self
            .store()
            .assignments(item)
            .await?
            .iter()
            .any(|a| a.annotator_id == me.id)
        {
            return Ok(true);
        }
        self.touched(me, item).await
    }

    /// Item counts by state (admins and members).
    pub async fn status(&self, actor: &Actor, project: Id) -> AnnotateResult<Status> {
        if !actor.admin {
            self.membership(actor, project).await?;
        }
        self.store().project(project).await?;
        let stored = self.store().item_counts(project).await?;
        let counts: Vec<(ItemState, u64)> = STATES
            .iter()
            .map(|s| {
                let n = stored.iter().filter(|(t, _)| t == s).map(|(_, n)| *n).sum();
                (*s, n)
            })
            .collect();
        let total = counts.iter().map(|(_, n)| n).sum();
        Ok(Status { counts, total })
    }

    /// A project's items by id after `after`, optionally in one state, at most `limit` (1 to
    /// 1000) — with their results and gold answers, so for managers (admins) only.
    pub async fn list_items(
        &self,
        actor: &Actor,
        project: Id,
        state: Option<ItemState>,
        after: i64,
        limit: u32,
    ) -> AnnotateResult<Vec<ItemRecord>> {
        Self::require_admin(actor)?;
        self.store().project(project).await?;
        Ok(self
            .store()
            .items(project, state, after, limit.clamp(1, 1000))
            .await?)
    }

    /// The decision log, newest first (admins, and the project's experts and QA).
    pub async fn events(
        &self,
        actor: &Actor,
        project: Id,
        limit: u32,
    ) -> AnnotateResult<Vec<EventRecord>> {
        if !actor.admin {
            let me = self.membership(actor, project).await?;
            if !matches!(me.role, MemberRole::Expert | MemberRole::Qa) {
                return Err(AnnotateError::Forbidden(
                    "the decision log is for managers, experts and QA",
                ));
            }
        }
        self.store().project(project).await?;
        Ok(self
            .store()
            .events(project, limit.clamp(1, MAX_EVENTS))
            .await?)
    }

    /// Routes up to `limit` of a project's new items now (admins); how many.
    pub async fn run_routing(&self, actor: &Actor, project: Id, limit: u32) -> AnnotateResult<u64> {
        Self::require_admin(actor)?;
        self.route_pending(project, limit).await
    }

    /// The projects with items waiting for the router (`new`, or `routing` whose router may
    /// have died): what a background routing loop visits.
    pub async fn projects_to_route(&self) -> AnnotateResult<Vec<Id>> {
        let mut out = Vec::new();
        for p in self.store().projects().await? {
            let waiting = self
                .store()
                .item_counts(p.id)
                .await?
                .iter()
                .any(|(s, n)| matches!(s, ItemState::New | ItemState::Routing) && *n > 0);
            if waiting {
                out.push(p.id);
            }
        }
        Ok(out)
    }
}
