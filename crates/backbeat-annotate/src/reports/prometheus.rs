//! Prometheus gauges of the annotation engine, registered into the process's registry (the
//! server's `/metrics`) and set by [`AnnotationGauges::refresh`] from the store's aggregates.
//! The names are part of the monitoring contract: keep them.
//!
//! Labels: `project` (the project id) and, for items, `state`. A deleted project keeps its last
//! values until the process restarts (a gauge family cannot forget a label set it was given
//! without clearing every project at once).

use std::sync::atomic::AtomicU64;

use backbeat_store::annotation::Span;
use backbeat_store::AnnotationStore;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::engine::AnnotateResult;

type Labels = Vec<(String, String)>;

/// The engine's gauges (cheap to clone: shared atomics).
#[derive(Debug, Clone, Default)]
pub struct AnnotationGauges {
    /// `annotation_items{project, state}`.
    pub items: Family<Labels, Gauge>,
    /// `annotation_answers{project}`: human answers stored.
    pub answers: Family<Labels, Gauge>,
    /// `annotation_model_spot_check_accuracy{project}`: share of spot checks the person agreed
    /// with the model on (absent until a project has one).
    pub model_accuracy: Family<Labels, Gauge<f64, AtomicU64>>,
}

impl AnnotationGauges {
    /// Registers every gauge.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "annotation_items",
            "Annotation items per project and state",
            self.items.clone(),
        );
        registry.register(
            "annotation_answers",
            "Human answers stored per annotation project",
            self.answers.clone(),
        );
        registry.register(
            "annotation_model_spot_check_accuracy",
            "Share of spot checks in which the person agreed with the model",
            self.model_accuracy.clone(),
        );
    }

    /// Sets every gauge from the store: a handful of aggregate queries per project.
    pub async fn refresh(&self, store: &dyn AnnotationStore) -> AnnotateResult<()> {
        for p in store.projects().await? {
            let project = p.id.to_string();
            for (state, n) in store.item_counts(p.id).await? {
                self.items
                    .get_or_create(&vec![
                        ("project".into(), project.clone()),
                        ("state".into(), state.as_str().into()),
                    ])
                    .set(gauge_value(n));
            }
            let t = store.throughput(p.id, Span::ALL).await?;
            let one = vec![("project".to_string(), project)];
            self.answers.get_or_create(&one).set(gauge_value(t.answers));
            let s = store.spot_check_counts(p.id).await?;
            let checks = s.agreed + s.disagreed;
            if checks > 0 {
                self.model_accuracy
                    .get_or_create(&one)
                    .set(s.agreed as f64 / checks as f64);
            }
        }
        Ok(())
    }
}

fn gauge_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
