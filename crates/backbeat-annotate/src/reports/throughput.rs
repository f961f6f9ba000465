//! Throughput and quality figures of a project and of its annotators, from the store's
//! aggregates.
//!
//! Rates are per hour of the report's span; an open-ended span (`Span::ALL`, or a bound at the
//! epoch or at `Millis::MAX`) is closed by the first and last answer in it, so "all time" reads
//! as the rate while people were working. A span closed that way counts as at least one hour:
//! twenty answers given within a minute are twenty in that hour, not 1,200 an hour — a rate
//! extrapolated from a burst says nothing about how fast people work.

use std::collections::BTreeMap;

use backbeat_store::annotation::{
    AnnotatorKind, DailyAgreement, MemberRole, Resolution, Span, Throughput,
};
use backbeat_store::{AnnotationStore, Id, Millis};
use serde::Serialize;

use crate::engine::AnnotateResult;

const HOUR_MS: f64 = 3_600_000.0;

/// A project's throughput and quality over a span.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectMetrics {
    pub project_id: Id,
    pub span: Span,
    /// Queue sizes: items per state, now (not limited to the span).
    pub items_by_state: BTreeMap<String, u64>,
    /// Human answers in the span.
    pub answers: u64,
    /// Items people answered in the span.
    pub items_answered: u64,
    /// `items_answered` per hour (see the module); `None` without answers.
    pub items_per_hour: Option<f64>,
    pub answers_per_hour: Option<f64>,
    /// Median lead time of the human answers, in milliseconds.
    pub median_lead_ms: Option<f64>,
    /// Human answers per hour of the span (hours without answers left out).
    pub answers_by_hour: Vec<HourBucket>,
    /// How items with a resolution were resolved (not limited to the span).
    pub resolutions: Resolutions,
    pub escalations: EscalationShares,
    pub spot_checks: SpotCheckShares,
    /// Mean item agreement of the items resolved per day of the span.
    pub agreement_by_day: Vec<DailyAgreement>,
}

/// Answers in one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HourBucket {
    /// The hour's start (Unix ms).
    pub start: Millis,
    pub answers: u64,
}

/// Resolved items by how they were resolved, counts and shares of `resolved`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolutions {
    pub resolved: u64,
    pub model: u64,
    pub consensus: u64,
    pub expert: u64,
    pub qa: u64,
    /// Accepted from the model without people (the work the model saved).
    pub model_share: Option<f64>,
    pub consensus_share: Option<f64>,
    pub expert_share: Option<f64>,
    pub qa_share: Option<f64>,
}

/// Items that needed more people, counts and shares of the resolved items.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationShares {
    /// Items that ever went to the expert queue.
    pub to_expert: u64,
    /// Items given annotators beyond the overlap.
    pub widened: u64,
    pub to_expert_share: Option<f64>,
    pub widened_share: Option<f64>,
}

/// Spot checks of model-accepted answers.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpotCheckShares {
    pub agreed: u64,
    pub disagreed: u64,
    /// `agreed / (agreed + disagreed)`: the model's measured accuracy.
    pub accuracy: Option<f64>,
}

/// One annotator's throughput over a span.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotatorMetrics {
    pub annotator_id: Id,
    pub name: String,
    pub kind: AnnotatorKind,
    pub role: MemberRole,
    pub paused: bool,
    pub answers: u64,
    pub items: u64,
    pub items_per_hour: Option<f64>,
    pub median_lead_ms: Option<f64>,
}

fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// Items per hour of `span`, closed by the answers where it is open (see the module).
fn per_hour(n: u64, span: Span, t: &Throughput) -> Option<f64> {
    let (first, last) = (t.first_at?, t.last_at?);
    let open = span.from <= 0 || span.to == Millis::MAX;
    let from = if span.from <= 0 { first } else { span.from };
    let to = if span.to == Millis::MAX {
        last
    } else {
        span.to
    };
    let hours = (to.saturating_sub(from)) as f64 / HOUR_MS;
    let hours = if open { hours.max(1.0) } else { hours };
    (hours > 0.0).then(|| n as f64 / hours)
}

/// A project's figures over `span`.
pub async fn project_metrics(
    store: &dyn AnnotationStore,
    project: Id,
    span: Span,
) -> AnnotateResult<ProjectMetrics> {
    store.project(project).await?;
    let items_by_state = store
        .item_counts(project)
        .await?
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), n))
        .collect();
    let t = store.throughput(project, span).await?;
    let median_lead_ms = store.median_lead(project, span).await?;
    let answers_by_hour = store
        .answer_buckets(project, span, HOUR_MS as i64)
        .await?
        .into_iter()
        .map(|(start, answers)| HourBucket { start, answers })
        .collect();
    let mut r = Resolutions::default();
    for (how, n) in store.resolution_counts(project).await? {
        r.resolved += n;
        match how {
            Resolution::Model => r.model += n,
            Resolution::Consensus => r.consensus += n,
            Resolution::Expert => r.expert += n,
            Resolution::Qa => r.qa += n,
        }
    }
    r.model_share = share(r.model, r.resolved);
    r.consensus_share = share(r.consensus, r.resolved);
    r.expert_share = share(r.expert, r.resolved);
    r.qa_share = share(r.qa, r.resolved);
    let e = store.escalation_counts(project).await?;
    let s = store.spot_check_counts(project).await?;
    Ok(ProjectMetrics {
        project_id: project,
        span,
        items_by_state,
        answers: t.answers,
        items_answered: t.items,
        items_per_hour: per_hour(t.items, span, &t),
        answers_per_hour: per_hour(t.answers, span, &t),
        median_lead_ms,
        answers_by_hour,
        escalations: EscalationShares {
            to_expert: e.to_expert,
            widened: e.widened,
            to_expert_share: share(e.to_expert, r.resolved),
            widened_share: share(e.widened, r.resolved),
        },
        resolutions: r,
        spot_checks: SpotCheckShares {
            agreed: s.agreed,
            disagreed: s.disagreed,
            accuracy: share(s.agreed, s.agreed + s.disagreed),
        },
        agreement_by_day: store.agreement_by_day(project, span).await?,
    })
}

/// Every annotator's figures over `span` (those without answers too), in the store's order.
pub async fn annotator_metrics(
    store: &dyn AnnotationStore,
    project: Id,
    span: Span,
) -> AnnotateResult<Vec<AnnotatorMetrics>> {
    let counts: BTreeMap<Id, Throughput> = store
        .annotator_throughput(project, span)
        .await?
        .into_iter()
        .map(|r| (r.annotator_id, r.value))
        .collect();
    let medians: BTreeMap<Id, f64> = store
        .annotator_median_leads(project, span)
        .await?
        .into_iter()
        .map(|r| (r.annotator_id, r.value))
        .collect();
    Ok(store
        .annotators(project)
        .await?
        .into_iter()
        .map(|a| {
            let t = counts.get(&a.id).copied().unwrap_or_default();
            AnnotatorMetrics {
                annotator_id: a.id,
                name: a.name,
                kind: a.kind,
                role: a.role,
                paused: a.paused_at.is_some(),
                answers: t.answers,
                items: t.items,
                items_per_hour: per_hour(t.items, span, &t),
                median_lead_ms: medians.get(&a.id).copied(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(first: Millis, last: Millis) -> Throughput {
        Throughput {
            first_at: Some(first),
            last_at: Some(last),
            ..Throughput::default()
        }
    }

    #[test]
    fn a_burst_counts_as_one_hour_where_the_answers_close_the_span() {
        let t = answered(1_000, 61_000);
        assert_eq!(per_hour(20, Span::ALL, &t), Some(20.0));
    }

    #[test]
    fn a_long_open_span_is_closed_by_the_first_and_last_answer() {
        let t = answered(0, 4 * 3_600_000);
        assert_eq!(per_hour(20, Span::ALL, &t), Some(5.0));
    }

    #[test]
    fn a_closed_span_is_taken_as_asked() {
        let t = answered(1_000, 61_000);
        let half_hour = Span {
            from: 1,
            to: 1 + 1_800_000,
        };
        assert_eq!(per_hour(20, half_hour, &t), Some(40.0));
    }

    #[test]
    fn no_answers_no_rate() {
        assert_eq!(per_hour(0, Span::ALL, &Throughput::default()), None);
    }
}
