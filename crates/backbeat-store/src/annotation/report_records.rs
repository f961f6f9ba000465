//! What the reports read: aggregates the database computes over a project's annotations,
//! items and decision log, so a manager's dashboard never loads a project into memory.

use serde::{Deserialize, Serialize};

use crate::model::{Id, Millis};

/// The time span `[from, to)` a report covers, in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub from: Millis,
    pub to: Millis,
}

impl Span {
    /// Everything, from the epoch to the end of time.
    pub const ALL: Span = Span {
        from: 0,
        to: Millis::MAX,
    };
}

/// Answers given in a span (by one annotator, or by the project's people).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Throughput {
    /// Annotations stored.
    pub answers: u64,
    /// Distinct items they answered.
    pub items: u64,
    /// The first and last answer in the span.
    pub first_at: Option<Millis>,
    pub last_at: Option<Millis>,
}

/// Items that needed more than the first round of people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Escalations {
    /// Items that ever went to the expert queue (an `escalated` event to the expert).
    pub to_expert: u64,
    /// Items that got annotators beyond the overlap after a disagreement (`extra` > 0).
    pub widened: u64,
}

/// Outcomes of the spot checks of model-accepted items (`spot_check` events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpotChecks {
    /// The person agreed with the model.
    pub agreed: u64,
    /// The person disagreed: the item went back to people.
    pub disagreed: u64,
}

/// The mean item agreement of the items resolved on one day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DailyAgreement {
    /// Midnight UTC starting the day.
    pub day: Millis,
    pub mean: f64,
    /// Items resolved that day with an agreement.
    pub items: u64,
}

/// One annotator's row of a per-annotator aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PerAnnotator<T> {
    pub annotator_id: Id,
    pub value: T,
}
