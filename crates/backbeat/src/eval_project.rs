//! `backbeat eval --project ID`: the pipeline's stored outputs (analysis and tags, through the
//! project's built-in model annotators) scored against the labels people accepted in an
//! annotation project — the loop from annotation back to model evaluation. The measures are
//! `backbeat_annotate::reports::model_eval`'s.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use backbeat_annotate::reports::evaluate_models;
use backbeat_annotate::reports::model_eval::{ModelEval, Score};
use backbeat_store::Id;

use crate::config::{ServeArgs, Settings};
use crate::serve::runtime;
use crate::wiring;

/// Scores the project's models; prints a table, or the report as JSON.
pub fn run(project: Id, json: bool, config: &ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    let eval = runtime()?.block_on(async move {
        let db = wiring::open_database(&settings).await?;
        evaluate_models(&db, &db, project)
            .await
            .map_err(crate::annotate::refusal)
            .context("scoring the project's models")
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&eval)?)?;
    } else {
        write!(out, "{}", render(&eval))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |v| format!("{:.1} %", v * 100.0))
}

/// The report as text: one line per model and question.
pub fn render(e: &ModelEval) -> String {
    let mut s = format!(
        "backbeat eval --project {}\nitems       {} resolved by people ({} resolved by a model alone, not scored; {} without analysis)\n",
        e.project_id, e.items, e.model_only, e.unanalysed
    );
    if e.models.is_empty() {
        s.push_str("no built-in model annotator in this project: nothing to score\n");
    }
    for m in &e.models {
        s.push_str(&format!("model       {}\n", m.name));
        for q in &m.questions {
            let measures = match &q.score {
                Score::Choice { accuracy } => format!("accuracy {}", pct(*accuracy)),
                Score::Tags {
                    precision,
                    recall,
                    f1,
                    mean_jaccard,
                } => format!(
                    "precision {}  recall {}  F1 {}  Jaccard {}",
                    pct(*precision),
                    pct(*recall),
                    pct(*f1),
                    pct(*mean_jaccard)
                ),
                Score::Tempo { acc1, acc2 } => format!("ACC1 {}  ACC2 {}", pct(*acc1), pct(*acc2)),
                Score::Number {
                    mean_absolute_error,
                } => format!(
                    "mean absolute error {}",
                    mean_absolute_error.map_or_else(|| "—".into(), |v| format!("{v:.3}"))
                ),
                Score::Key {
                    correct,
                    mirex,
                    confusions,
                } => format!(
                    "correct {}  MIREX {}  (fifth {}, relative {}, parallel {}, other {})",
                    pct(*correct),
                    mirex.map_or_else(|| "—".into(), |v| format!("{v:.3}")),
                    confusions.fifth,
                    confusions.relative,
                    confusions.parallel,
                    confusions.other
                ),
                Score::Markers { mean_f_measure } => {
                    format!("beat F-measure (±70 ms) {}", pct(*mean_f_measure))
                }
            };
            s.push_str(&format!(
                "  {:<12} {:<13} answered {:>6}  unanswered {:>6}  {measures}\n",
                q.question, q.kind, q.answered, q.unanswered
            ));
        }
    }
    s
}
