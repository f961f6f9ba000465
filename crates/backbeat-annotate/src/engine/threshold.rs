//! The model's accept threshold, moved by what spot checks measure: a question whose
//! model answers people contradict too often gets a higher bar (fewer answers accepted
//! unseen); one the model gets right nearly always gets a lower bar. Each move needs
//! `minSpotChecks` spot checks since the previous move of that question, and is logged with
//! the accuracy that caused it.

use serde_json::json;

use backbeat_store::annotation::NewEvent;
use backbeat_store::model::now_millis;

use crate::engine::error::AnnotateResult;
use crate::engine::service::{Annotation, Loaded};
use crate::settings::Settings;

/// The largest threshold a move may reach, and the smallest.
const CEILING: f64 = 0.99;
const FLOOR: f64 = 0.5;

/// The new threshold for a question, or `None` to keep it, from the model's measured accuracy
/// (share of spot checks where people agreed with it) over `checks` spot checks.
pub fn next_threshold(
    settings: &Settings,
    current: f64,
    accuracy: f64,
    checks: u64,
) -> Option<f64> {
    if !settings.auto_threshold || checks < settings.min_spot_checks.max(1) {
        return None;
    }
    let target = settings.model_target_accuracy;
    let next = if accuracy < target {
        (current + 0.05).min(CEILING)
    } else if accuracy >= target + (1.0 - target) / 2.0 {
        (current - 0.02).max(FLOOR)
    } else {
        return None;
    };
    // Kept to hundredths, as a person would set it.
    let next = (next * 100.0).round() / 100.0;
    ((next - current).abs() > 1e-9).then_some(next)
}

impl Annotation {
    /// After a spot check: measure each question since its last move and move it if due.
    pub(crate) async fn tune_thresholds(&self, p: &Loaded) -> AnnotateResult<()> {
        let project = p.record.id;
        let events = self
            .store()
            .events_of(project, &["spot_check", "threshold"], 5_000)
            .await?;
        let mut settings = p.settings.clone();
        let mut moved = Vec::new();
        for q in &p.schema.questions {
            let threshold = settings.agreement_threshold(&q.name);
            let (mut agreed, mut checks) = (0u64, 0u64);
            for e in &events {
                if e.kind == "threshold" && e.detail["question"] == q.name.as_str() {
                    break;
                }
                if let Some(a) = e.detail["agreement"][&q.name].as_f64() {
                    checks += 1;
                    if a >= threshold {
                        agreed += 1;
                    }
                }
            }
            if checks == 0 {
                continue;
            }
            let accuracy = agreed as f64 / checks as f64;
            let current = settings.accept_threshold(&q.name);
            if let Some(next) = next_threshold(&settings, current, accuracy, checks) {
                settings
                    .questions
                    .entry(q.name.clone())
                    .or_default()
                    .accept_threshold = Some(next);
                moved.push(json!({
                    "question": q.name, "from": current, "to": next,
                    "accuracy": accuracy, "spotChecks": checks,
                }));
            }
        }
        if moved.is_empty() {
            return Ok(());
        }
        let json = serde_json::to_value(&settings).unwrap_or_else(|_| json!({}));
        self.store()
            .set_project_settings(project, &json, now_millis())
            .await?;
        for detail in moved {
            self.store()
                .log_event(&NewEvent {
                    project_id: project,
                    item_id: None,
                    kind: "threshold".into(),
                    detail,
                    now: now_millis(),
                })
                .await?;
        }
        Ok(())
    }
}
