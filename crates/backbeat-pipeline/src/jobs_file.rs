//! External jobs declared in a TOML file (`--jobs-file`, or `jobs.toml` in the data
//! directory), so research code joins the graph without a rebuild:
//!
//! ```toml
//! [[job]]
//! name = "tempo-research"
//! version = 1
//! inputs = ["downsample.audio.wav"]
//! outputs = ["tempo.json"]
//! command = ["python3", "research/tempo.py", "{input:downsample.audio.wav}", "{output:tempo.json}"]
//! timeout_secs = 300      # default 600
//! class = "cpu"           # or "io"; default "cpu"
//! ```
//!
//! Unknown keys are errors (a typo must not silently drop a setting); the whole graph is then
//! validated with the built-in jobs by [`crate::Graph::new`].

use std::time::Duration;

use serde::Deserialize;

use crate::error::GraphError;
use crate::graph::{Input, JobClass, JobKind, JobSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    job: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    version: u32,
    inputs: Vec<String>,
    #[serde(default)]
    outputs: Vec<String>,
    command: Vec<String>,
    timeout_secs: Option<u64>,
    class: Option<JobClass>,
}

/// Parses a jobs file's text into external job declarations.
pub fn parse(text: &str) -> Result<Vec<JobSpec>, GraphError> {
    let file: File = toml::from_str(text).map_err(|e| GraphError::File(e.to_string()))?;
    file.job
        .into_iter()
        .map(|e| {
            let inputs = e
                .inputs
                .iter()
                .map(|i| Input::parse(i))
                .collect::<Result<Vec<_>, _>>()?;
            let timeout = Duration::from_secs(e.timeout_secs.unwrap_or(600).clamp(1, 86_400));
            Ok(JobSpec {
                name: e.name,
                version: e.version,
                inputs,
                outputs: e.outputs,
                class: e.class.unwrap_or(JobClass::Cpu),
                timeout,
                kind: JobKind::External { command: e.command },
                keep_replaced: None,
            })
        })
        .collect()
}
