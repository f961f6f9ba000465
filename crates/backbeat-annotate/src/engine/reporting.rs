//! Reports for project managers, with their role check: metrics (the project's and each
//! annotator's), the agreement report, exports, and the Prometheus gauges.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_store::annotation::Span;
use backbeat_store::Id;
use serde::Serialize;
use tokio::io::AsyncWrite;

use crate::engine::service::{Actor, Annotation};
use crate::engine::AnnotateResult;
use crate::reports::{
    agreement_report, annotator_metrics, export, project_metrics, AgreementReport,
    AnnotationGauges, AnnotatorMetrics, ExportError, ExportOptions, ExportSummary, ProjectMetrics,
};

/// A project's metrics and its annotators'.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub project: ProjectMetrics,
    pub annotators: Vec<AnnotatorMetrics>,
}

/// How often the gauges are recomputed at most: a scrape every second must not turn into
/// aggregate queries every second over millions of items.
const GAUGE_REFRESH: Duration = Duration::from_secs(10);

/// The gauges and when they were last refreshed (shared by the clones of an `Annotation`).
#[derive(Debug, Default)]
pub(crate) struct Gauges {
    pub(crate) gauges: AnnotationGauges,
    refreshed: tokio::sync::Mutex<Option<Instant>>,
}

impl Annotation {
    /// Throughput and quality over `span` (admins).
    pub async fn metrics(&self, actor: &Actor, project: Id, span: Span) -> AnnotateResult<Metrics> {
        Self::require_admin(actor)?;
        let store = &**self.store();
        Ok(Metrics {
            project: project_metrics(store, project, span).await?,
            annotators: annotator_metrics(store, project, span).await?,
        })
    }

    /// Agreement per question, per annotator pair and per annotator (admins).
    pub async fn agreement(&self, actor: &Actor, project: Id) -> AnnotateResult<AgreementReport> {
        Self::require_admin(actor)?;
        agreement_report(&**self.store(), project).await
    }

    /// Checks that `actor` may export `project` (admins; the project exists), before a caller
    /// commits to streaming it.
    pub async fn may_export(&self, actor: &Actor, project: Id) -> AnnotateResult<()> {
        Self::require_admin(actor)?;
        self.store().project(project).await?;
        Ok(())
    }

    /// Streams the project's resolved items to `out` (admins).
    pub async fn export<W: AsyncWrite + Unpin>(
        &self,
        actor: &Actor,
        project: Id,
        opts: &ExportOptions,
        out: W,
    ) -> Result<ExportSummary, ExportError> {
        if !actor.admin {
            return Err(ExportError::Forbidden);
        }
        export(&**self.store(), project, opts, out, &mut |_| {}).await
    }

    /// The engine's Prometheus gauges (register them once into the process's registry).
    pub fn gauges(&self) -> &AnnotationGauges {
        &self.gauges_state().gauges
    }

    /// Recomputes the gauges unless they were recomputed in the last ten seconds.
    pub async fn refresh_gauges(&self) -> AnnotateResult<()> {
        let state = Arc::clone(self.gauges_state());
        let mut last = state.refreshed.lock().await;
        if last.is_some_and(|t| t.elapsed() < GAUGE_REFRESH) {
            return Ok(());
        }
        state.gauges.refresh(&**self.store()).await?;
        *last = Some(Instant::now());
        Ok(())
    }
}
