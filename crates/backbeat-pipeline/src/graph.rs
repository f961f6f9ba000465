//! The job graph: which jobs exist, what each reads and writes, validated once at start.
//!
//! A job reads the original upload and/or named outputs of other jobs, and writes named
//! outputs. Edges are implied by those references (job B reads `A.out` ⇒ A is B's parent), so
//! the graph cannot disagree with what the jobs actually consume. [`Graph::new`] refuses
//! duplicate jobs, references to jobs or outputs that do not exist, and cycles; after that every
//! query here (children, ancestors, topological order) is infallible.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::GraphError;

/// What a job reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Input {
    /// The track's original upload.
    Upload,
    /// A named output of another job.
    Output { job: String, output: String },
}

impl Input {
    /// Parses `upload` or `job.output`.
    pub fn parse(text: &str) -> Result<Self, GraphError> {
        if text == "upload" {
            return Ok(Input::Upload);
        }
        match text.split_once('.') {
            Some((job, output)) if valid_name(job) && valid_output(output) => Ok(Input::Output {
                job: job.into(),
                output: output.into(),
            }),
            _ => Err(GraphError::BadName(format!(
                "input `{text}`: expected `upload` or `job.output`"
            ))),
        }
    }

    /// The producing job, if any.
    pub fn job(&self) -> Option<&str> {
        match self {
            Input::Upload => None,
            Input::Output { job, .. } => Some(job),
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Upload => f.write_str("upload"),
            Input::Output { job, output } => write!(f, "{job}.{output}"),
        }
    }
}

/// How a job's work is scheduled on a worker: CPU-heavy jobs get about one slot per core,
/// I/O-bound jobs (waiting on the network or the database) many more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobClass {
    Cpu,
    Io,
}

impl JobClass {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobClass::Cpu => "cpu",
            JobClass::Io => "io",
        }
    }
}

/// How a job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// Code in this binary, looked up by job name in the worker's registry.
    Builtin,
    /// An executable: `command[0]` with the rest as arguments (see `external`).
    External { command: Vec<String> },
}

/// One job of the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// Unique name: lower-case ASCII letters, digits, `_` and `-`, 1–40 characters.
    pub name: String,
    /// Outputs written under another version are stale; bump it when the output changes.
    pub version: u32,
    /// What the job reads; at least one.
    pub inputs: Vec<Input>,
    /// Names of the files the job writes (`audio.wav`, `analysis.json`), or of directories it
    /// fills with any number of files (`seg/`); may be empty for a job whose effect is
    /// elsewhere (the catalog database), which then only records completion.
    pub outputs: Vec<String>,
    /// Scheduling class.
    pub class: JobClass,
    /// Longest a run may take before it is stopped and counted as failed.
    pub timeout: Duration,
    /// Built-in or external.
    pub kind: JobKind,
    /// How long files of a directory output that a re-run no longer lists stay readable
    /// before they are collected; `None` deletes them right after the commit. A streaming
    /// ladder keeps its previous generation for as long as a stream URL handed out before the
    /// switch may still be used.
    pub keep_replaced: Option<Duration>,
}

impl JobSpec {
    /// A built-in job.
    pub fn builtin(name: &str, version: u32, inputs: &[&str], outputs: &[&str]) -> Self {
        JobSpec {
            name: name.into(),
            version,
            inputs: inputs
                .iter()
                .map(|i| Input::parse(i).unwrap_or(Input::Upload))
                .collect(),
            outputs: outputs.iter().map(|o| (*o).into()).collect(),
            class: JobClass::Cpu,
            timeout: Duration::from_secs(600),
            kind: JobKind::Builtin,
            keep_replaced: None,
        }
    }

    /// The same job, keeping the files of its directory outputs that a re-run replaces
    /// readable for `keep` before they are collected.
    pub fn keep_replaced(mut self, keep: Duration) -> Self {
        self.keep_replaced = Some(keep);
        self
    }

    /// The same job in another class.
    pub fn class(mut self, class: JobClass) -> Self {
        self.class = class;
        self
    }

    /// The same job with another timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Jobs this one reads from (deduplicated, sorted).
    pub fn parents(&self) -> BTreeSet<&str> {
        self.inputs.iter().filter_map(Input::job).collect()
    }
}

/// Whether `name` may name a job.
pub fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && name.as_bytes()[0].is_ascii_lowercase()
}

/// Whether `name` may name an output: a file name ([`valid_file_name`]), or one followed by
/// `/` for a directory of any number of files (see `artifacts`).
pub fn valid_output(name: &str) -> bool {
    valid_file_name(name.strip_suffix('/').unwrap_or(name))
}

/// Whether `name` may name an output file (or a file in a directory output): like a job name
/// plus dots, not starting with `.` or `_` (the runtime's own files start with `_`).
pub fn valid_file_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-' || b == b'.'
        })
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && !name.contains("..")
}

/// A validated job graph.
#[derive(Debug, Clone)]
pub struct Graph {
    jobs: BTreeMap<String, JobSpec>,
    /// Children per job (jobs reading one of its outputs).
    children: BTreeMap<String, BTreeSet<String>>,
    /// Every job, parents before children (ties by name, so the order is stable).
    order: Vec<String>,
}

impl Graph {
    /// Validates `jobs`: unique valid names, valid unique outputs per job, every input an
    /// existing output, at least one input per job, no cycles.
    pub fn new(jobs: Vec<JobSpec>) -> Result<Self, GraphError> {
        let mut map = BTreeMap::new();
        for job in jobs {
            if !valid_name(&job.name) {
                return Err(GraphError::BadName(format!("job `{}`", job.name)));
            }
            let mut outs = BTreeSet::new();
            for out in &job.outputs {
                if !valid_output(out) {
                    return Err(GraphError::BadName(format!("output `{}.{out}`", job.name)));
                }
                if !outs.insert(out) {
                    return Err(GraphError::DuplicateOutput(format!("{}.{out}", job.name)));
                }
            }
            if job.inputs.is_empty() {
                return Err(GraphError::NoInputs(job.name));
            }
            if job.version == 0 {
                return Err(GraphError::BadName(format!(
                    "job `{}`: versions start at 1",
                    job.name
                )));
            }
            if let JobKind::External { command } = &job.kind {
                if command.is_empty() {
                    return Err(GraphError::BadName(format!(
                        "job `{}`: empty command",
                        job.name
                    )));
                }
            }
            if let Some(old) = map.insert(job.name.clone(), job) {
                return Err(GraphError::DuplicateJob(old.name));
            }
        }
        let mut children: BTreeMap<String, BTreeSet<String>> =
            map.keys().map(|k| (k.clone(), BTreeSet::new())).collect();
        for job in map.values() {
            for input in &job.inputs {
                if let Input::Output {
                    job: parent,
                    output,
                } = input
                {
                    let Some(p) = map.get(parent) else {
                        return Err(GraphError::MissingInput {
                            job: job.name.clone(),
                            input: input.to_string(),
                        });
                    };
                    if !p.outputs.contains(output) {
                        return Err(GraphError::MissingInput {
                            job: job.name.clone(),
                            input: input.to_string(),
                        });
                    }
                    if let Some(c) = children.get_mut(parent) {
                        c.insert(job.name.clone());
                    }
                }
            }
        }
        let order = topological(&map, &children)?;
        Ok(Graph {
            jobs: map,
            children,
            order,
        })
    }

    /// The job called `name`.
    pub fn job(&self, name: &str) -> Option<&JobSpec> {
        self.jobs.get(name)
    }

    /// Every job, parents before children.
    pub fn jobs(&self) -> impl Iterator<Item = &JobSpec> {
        self.order.iter().filter_map(|n| self.jobs.get(n))
    }

    /// Jobs that read only the upload: what an upload triggers.
    pub fn roots(&self) -> BTreeSet<String> {
        self.jobs
            .values()
            .filter(|j| j.parents().is_empty())
            .map(|j| j.name.clone())
            .collect()
    }

    /// Jobs reading an output of `name`.
    pub fn children(&self, name: &str) -> impl Iterator<Item = &str> {
        self.children
            .get(name)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// Every job downstream of `name` (not including it).
    pub fn descendants(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<&str> = self.children(name).collect();
        while let Some(n) = stack.pop() {
            if out.insert(n.to_string()) {
                stack.extend(self.children(n));
            }
        }
        out
    }

    /// Every job upstream of `name` (not including it).
    pub fn ancestors(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<&str> = self
            .job(name)
            .map(|j| j.parents().into_iter().collect())
            .unwrap_or_default();
        while let Some(n) = stack.pop() {
            if out.insert(n.to_string()) {
                if let Some(j) = self.job(n) {
                    stack.extend(j.parents());
                }
            }
        }
        out
    }

    /// All job names.
    pub fn names(&self) -> BTreeSet<String> {
        self.jobs.keys().cloned().collect()
    }

    /// A text rendering: one line per job in topological order with version, class, inputs
    /// and outputs.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for j in self.jobs() {
            let inputs: Vec<String> = j.inputs.iter().map(ToString::to_string).collect();
            let kind = match &j.kind {
                JobKind::Builtin => "built-in".to_string(),
                JobKind::External { command } => format!("external: {}", command.join(" ")),
            };
            let _ = writeln!(
                s,
                "{} v{} [{}, timeout {}s, {}]\n  reads:  {}\n  writes: {}",
                j.name,
                j.version,
                j.class.as_str(),
                j.timeout.as_secs(),
                kind,
                inputs.join(", "),
                if j.outputs.is_empty() {
                    "(completion record only)".to_string()
                } else {
                    j.outputs.join(", ")
                }
            );
        }
        s
    }

    /// A Graphviz DOT rendering (`backbeat jobs graph --dot | dot -Tsvg`).
    pub fn to_dot(&self) -> String {
        let mut s =
            String::from("digraph backbeat_jobs {\n  rankdir=LR;\n  upload [shape=folder];\n");
        for j in self.jobs() {
            let _ = writeln!(
                s,
                "  \"{0}\" [shape=box, label=\"{0}\\nv{1} ({2})\"];",
                j.name,
                j.version,
                j.class.as_str()
            );
        }
        for j in self.jobs() {
            for input in &j.inputs {
                match input {
                    Input::Upload => {
                        let _ = writeln!(s, "  upload -> \"{}\";", j.name);
                    }
                    Input::Output { job, output } => {
                        let _ = writeln!(s, "  \"{job}\" -> \"{}\" [label=\"{output}\"];", j.name);
                    }
                }
            }
        }
        s.push_str("}\n");
        s
    }
}

/// Kahn's algorithm, smallest name first among the ready ones; a leftover means a cycle.
fn topological(
    jobs: &BTreeMap<String, JobSpec>,
    children: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, GraphError> {
    let mut missing: BTreeMap<&str, usize> = jobs
        .values()
        .map(|j| (j.name.as_str(), j.parents().len()))
        .collect();
    let mut ready: BTreeSet<&str> = missing
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| *k)
        .collect();
    let mut order = Vec::with_capacity(jobs.len());
    while let Some(n) = ready.pop_first() {
        order.push(n.to_string());
        for c in children.get(n).into_iter().flatten() {
            if let Some(m) = missing.get_mut(c.as_str()) {
                *m -= 1;
                if *m == 0 {
                    ready.insert(c.as_str());
                }
            }
        }
    }
    if order.len() < jobs.len() {
        let stuck: Vec<&str> = missing
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, _)| *k)
            .collect();
        return Err(GraphError::Cycle(stuck.join(", ")));
    }
    Ok(order)
}
