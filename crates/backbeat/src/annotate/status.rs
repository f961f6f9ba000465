//! `backbeat annotate status PROJECT`: the project's item counts by state, as one JSON object
//! `{"project", "name", "schemaVersion", "total", "items": {"open": n, …}}`.

use std::process::ExitCode;

use backbeat_store::model::Id;
use clap::Args;
use serde_json::json;

use crate::annotate::store::{open, operator, refusal};
use crate::config::ServeArgs;
use crate::serve::runtime;

/// Flags of `backbeat annotate status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The project's id.
    pub project: Id,
    #[command(flatten)]
    pub config: ServeArgs,
}

/// Runs `backbeat annotate status`.
pub fn run(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let out = runtime()?.block_on(async {
        let engine = open(&args.config).await?;
        let me = operator(Id::nil());
        let p = engine.project(&me, args.project).await.map_err(refusal)?;
        let s = engine.status(&me, args.project).await.map_err(refusal)?;
        let items: serde_json::Map<String, serde_json::Value> = s
            .counts
            .iter()
            .map(|(state, n)| (state.as_str().to_string(), json!(n)))
            .collect();
        anyhow::Ok(json!({
            "project": p.id, "name": p.name, "schemaVersion": p.schema_version,
            "total": s.total, "items": items,
        }))
    })?;
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
