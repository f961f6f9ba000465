//! What a project manager measures and takes away.
//!
//! - [`throughput`]: [`ProjectMetrics`] and [`AnnotatorMetrics`] — items per hour, median lead
//!   time, answers per hour, resolution and escalation shares, spot-check outcomes, agreement
//!   over time — built from aggregates the database computes (`AnnotationStore::throughput`
//!   and its neighbours), never by loading the project.
//! - [`agreement`](mod@agreement): the report-level agreement per question and per annotator
//!   pair, each annotator's agreement with peers and with gold, the model's accuracy on spot
//!   checks per question.
//! - [`prometheus`]: gauges for `/metrics`, refreshed from the store.
//! - [`model_eval`]: the project's built-in models (the analysis and the tagger) scored
//!   against the labels people accepted.
//! - [`export`](mod@export): JSON Lines, CSV and Label Studio JSON, streamed page by page to any
//!   `AsyncWrite`.

pub mod agreement;
pub mod export;
mod ls;
pub mod model_eval;
pub mod prometheus;
pub mod throughput;

use backbeat_store::annotation::ProjectRecord;

pub use agreement::{
    agreement_report, spot_check_accuracy, AgreementReport, AnnotatorAgreement, NamedPairAgreement,
    QuestionReport, SpotCheckAccuracy,
};
pub use export::{export, ExportError, ExportFormat, ExportOptions, ExportSummary};
pub use model_eval::{evaluate_models, ModelEval};
pub use prometheus::AnnotationGauges;
pub use throughput::{annotator_metrics, project_metrics, AnnotatorMetrics, ProjectMetrics};

use crate::schema::Schema;

/// The schema a project stores (checked when it was written), or `None` if it cannot be read.
pub(crate) fn stored_schema(p: &ProjectRecord) -> Option<Schema> {
    serde_json::from_value(p.schema.clone()).ok()
}

/// Rows per page when reading a project: bounds the memory of a report or an export.
pub const PAGE: u32 = 1000;
