//! Routing new items through the project's model annotators: the built-in ones answer from
//! stored pipeline outputs (microseconds, no I/O), the external ones (an HTTP endpoint or a
//! command, Label Studio ML-backend compatible) are asked once per batch of items, each with
//! its own timeout and retries. The most confident answer per question decides the route
//! (`workflow::route`). An external model that fails is logged (`model_failed`, with the
//! error) and its answers are missing from that batch: the items go on to people rather than
//! wait for a model that may never come back.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use backbeat_store::annotation::*;
use backbeat_store::model::{now_millis, Id};
use serde_json::{json, Value as Json};

use crate::engine::flowback::add_flow_back;
use crate::engine::service::{answers_json, item_window, Annotation, Loaded};
use crate::engine::workflow::{self, ModelAnswer};
use crate::engine::AnnotateResult;
use crate::models::{
    BuiltinModel, ExternalModel, ModelConfig, Prediction, StoredOutputs, StoredTag, Task,
};

/// A track's audio URL for an external model's task (signed by the server).
pub type AudioUrls =
    Arc<dyn Fn(Id) -> Pin<Box<dyn Future<Output = Option<String>> + Send>> + Send + Sync>;

/// How long the items of a batch are held for routing without external models.
const ROUTING_LEASE_MS: i64 = 60_000;

/// A project's model annotators, ready to answer.
struct Models {
    builtin: Vec<(AnnotatorRecord, BuiltinModel)>,
    external: Vec<(AnnotatorRecord, ExternalModel)>,
}

impl Models {
    fn of(p: &Loaded, annotators: Vec<AnnotatorRecord>) -> Models {
        let mut m = Models {
            builtin: Vec::new(),
            external: Vec::new(),
        };
        for a in annotators {
            if a.paused_at.is_some() || a.kind == AnnotatorKind::Human {
                continue;
            }
            let Ok(cfg) = serde_json::from_value::<ModelConfig>(a.config.clone()) else {
                continue;
            };
            match &cfg {
                ModelConfig::Builtin(b) => {
                    if let Ok(model) = BuiltinModel::new(b, &p.schema) {
                        m.builtin.push((a, model));
                    }
                }
                _ => {
                    if let Ok(model) = ExternalModel::new(&cfg, &p.schema, &p.record.name) {
                        m.external.push((a, model));
                    }
                }
            }
        }
        m
    }

    /// The longest an external model can take on `n` items (every batch on its last
    /// attempt), plus the built-in lease: the routing lease must outlast it.
    fn lease_ms(&self, n: usize) -> i64 {
        let worst: f64 = self
            .external
            .iter()
            .map(|(_, m)| m.worst_case_seconds(n))
            .sum();
        ROUTING_LEASE_MS + (worst * 1000.0) as i64
    }
}

/// Folds one model's prediction into the best answers and the annotations to store.
fn add_prediction(
    p: &Loaded,
    annotator: &AnnotatorRecord,
    pred: &Prediction,
    best: &mut BTreeMap<String, ModelAnswer>,
    annotations: &mut Vec<NewAnnotation>,
    now: i64,
) {
    for (q, v) in &pred.answers {
        let c = pred.confidence.get(q).copied().unwrap_or(0.0);
        if best.get(q).is_none_or(|b| c > b.confidence) {
            best.insert(
                q.clone(),
                ModelAnswer {
                    value: v.clone(),
                    confidence: c,
                },
            );
        }
    }
    annotations.push(NewAnnotation {
        annotator_id: annotator.id,
        stage: Stage::Model,
        answers: answers_json(&pred.answers),
        confidence: Some(json!(pred.confidence)),
        model_version: Some(pred.model_version.clone()),
        derived_from: Some(pred.derived_from.clone()),
        lead_ms: None,
        schema_version: p.record.schema_version,
        verdict: None,
        comment: None,
        now,
    });
}

fn stored_outputs(input: &RoutingInput) -> StoredOutputs {
    StoredOutputs::from_analysis_json(
        input.bpm,
        input.key.as_deref(),
        input.analysis.as_ref().unwrap_or(&Json::Null),
        input
            .tags
            .iter()
            .map(|(group, tag, confidence)| StoredTag {
                group: group.clone(),
                tag: tag.clone(),
                confidence: *confidence,
            })
            .collect(),
        input.item.updated_at,
    )
    .within(item_window(&input.item))
}

impl Annotation {
    /// Routes up to `limit` new items with the project's model annotators; how many.
    pub async fn route_pending(&self, project: Id, limit: u32) -> AnnotateResult<u64> {
        let p = self.load(project).await?;
        let models = Models::of(&p, self.store().annotators(project).await?);
        let now = now_millis();
        let inputs = self
            .store()
            .take_for_routing(project, limit, now, now + models.lease_ms(limit as usize))
            .await?;
        if inputs.is_empty() {
            return Ok(0);
        }
        let external = self.ask_external(&p, &models, &inputs).await?;
        let now = now_millis();
        let mut routes = Vec::with_capacity(inputs.len());
        for (k, input) in inputs.iter().enumerate() {
            let stored = stored_outputs(input);
            let mut best = BTreeMap::new();
            let mut annotations = Vec::new();
            for (annotator, model) in &models.builtin {
                let pred = model.predict(&stored);
                add_prediction(&p, annotator, &pred, &mut best, &mut annotations, now);
            }
            for (annotator, preds) in &external {
                if let Some(pred) = preds.get(k) {
                    add_prediction(&p, annotator, pred, &mut best, &mut annotations, now);
                }
            }
            let mut change = workflow::route(&p.schema, &p.settings, &input.item, &best, now);
            add_flow_back(&p.schema, &p.settings, &input.item, &mut change, now);
            routes.push(Routed {
                item_id: input.item.id,
                annotations,
                change,
            });
        }
        Ok(self.store().route(&routes, now).await?)
    }

    /// Every external model's predictions for the batch, one per input in order; a model
    /// that failed is logged and left out.
    async fn ask_external<'m>(
        &self,
        p: &Loaded,
        models: &'m Models,
        inputs: &[RoutingInput],
    ) -> AnnotateResult<Vec<(&'m AnnotatorRecord, Vec<Prediction>)>> {
        if models.external.is_empty() {
            return Ok(Vec::new());
        }
        let mut tasks = Vec::with_capacity(inputs.len());
        for input in inputs {
            tasks.push(self.task(input).await);
        }
        let mut out = Vec::new();
        for (annotator, model) in &models.external {
            match model.predict(&tasks).await {
                Ok(preds) => out.push((annotator, preds)),
                Err(e) => {
                    self.store()
                        .log_event(&NewEvent {
                            project_id: p.record.id,
                            item_id: None,
                            kind: "model_failed".into(),
                            detail: json!({
                                "annotatorId": annotator.id,
                                "name": annotator.name,
                                "items": inputs.len(),
                                "error": e.to_string(),
                            }),
                            now: now_millis(),
                        })
                        .await?;
                }
            }
        }
        Ok(out)
    }

    /// The task an external model gets for an item.
    async fn task(&self, input: &RoutingInput) -> Task {
        let item = &input.item;
        let audio = match &self.audio_urls {
            Some(urls) => urls(item.track_id).await,
            None => None,
        }
        .unwrap_or_else(|| format!("/api/v1/tracks/{}/stream", item.track_id));
        let end_ms = if item.end_ms == 0 {
            input.duration_ms
        } else {
            item.end_ms
        };
        Task {
            id: item.id.to_string(),
            audio,
            track_id: item.track_id.to_string(),
            start: item.start_ms as f64 / 1000.0,
            end: end_ms as f64 / 1000.0,
            title: None,
            artist: None,
        }
    }
}
