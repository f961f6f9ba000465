//! Planning: which jobs a run may execute, and which of them are ready after a job finishes.
//!
//! A run is planned centrally, when it starts, and its plan travels with every message: the
//! set of jobs the run may start (`scope`) and the jobs it re-runs even when their outputs
//! exist (`force`). A finished (or skipped) job then triggers exactly those children that are
//! in scope and whose inputs all exist. This is how bottom-up requests avoid Klio's flaw: Klio
//! carries one `trigger_children_of` job, so when two levels are missing the intermediate job
//! triggers all its children — siblings of the target included. Here the scope of a bottom-up
//! run is the target plus its missing ancestors, so nothing else can start.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::GraphError;
use crate::graph::Graph;
use backbeat_store::model::{new_id, Id};

/// The plan of one run, carried by each of its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Distinguishes runs (messages of different runs are never merged by de-duplication).
    pub id: Id,
    /// Jobs this run may start.
    pub scope: BTreeSet<String>,
    /// Jobs this run executes even when their outputs exist for their version.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub force: BTreeSet<String>,
}

/// A run and the jobs to publish first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The run.
    pub run: Run,
    /// Jobs to start with (those in scope whose inputs do not wait on another job in scope).
    pub start: BTreeSet<String>,
}

impl Plan {
    fn new(graph: &Graph, scope: BTreeSet<String>, force: BTreeSet<String>) -> Self {
        let start = scope
            .iter()
            .filter(|name| {
                graph
                    .job(name)
                    .is_some_and(|j| j.parents().iter().all(|p| !scope.contains(*p)))
            })
            .cloned()
            .collect();
        Plan {
            run: Run {
                id: new_id(),
                scope,
                force,
            },
            start,
        }
    }

    /// Top-down over the whole graph: what an upload triggers. Every job may run; each is
    /// skipped when its outputs exist.
    pub fn top_down(graph: &Graph) -> Self {
        Self::new(graph, graph.names(), BTreeSet::new())
    }

    /// Top-down with every job forced: what replacing a track's audio triggers (outputs that
    /// exist describe the old audio).
    pub fn rerun_all(graph: &Graph) -> Self {
        let all = graph.names();
        Self::new(graph, all.clone(), all)
    }

    /// Bottom-up: `target` plus exactly the ancestors on its own line whose outputs are missing
    /// (`is_done(job)` says whether a job's outputs exist for its current version). A done
    /// ancestor stops the walk up its branch. Never siblings, never `target`'s children.
    pub fn bottom_up(
        graph: &Graph,
        target: &str,
        is_done: impl Fn(&str) -> bool,
    ) -> Result<Self, GraphError> {
        let scope = Self::line_to(graph, target, &is_done)?;
        Ok(Self::new(graph, scope, BTreeSet::new()))
    }

    /// Force: re-run `target` (and, with `descendants`, everything downstream of it) even where
    /// outputs exist; missing ancestors of `target` run first, as in [`Plan::bottom_up`].
    pub fn force(
        graph: &Graph,
        target: &str,
        descendants: bool,
        is_done: impl Fn(&str) -> bool,
    ) -> Result<Self, GraphError> {
        let mut force = BTreeSet::from([target.to_string()]);
        if descendants {
            force.extend(graph.descendants(target));
        }
        let mut scope = Self::line_to(graph, target, &is_done)?;
        scope.extend(force.iter().cloned());
        // Descendants of a forced job whose other inputs are missing: fetch those too, so the
        // forced chain is not stuck halfway.
        for d in &force {
            for a in graph.ancestors(d) {
                if !scope.contains(&a) && !is_done(&a) {
                    scope.extend(Self::line_to(graph, &a, &is_done)?);
                }
            }
        }
        Ok(Self::new(graph, scope, force))
    }

    /// `target` and its missing ancestors.
    fn line_to(
        graph: &Graph,
        target: &str,
        is_done: &impl Fn(&str) -> bool,
    ) -> Result<BTreeSet<String>, GraphError> {
        let job = graph
            .job(target)
            .ok_or_else(|| GraphError::UnknownJob(target.to_string()))?;
        let mut scope = BTreeSet::from([job.name.clone()]);
        let mut stack: Vec<&str> = job.parents().into_iter().collect();
        while let Some(p) = stack.pop() {
            if scope.contains(p) || is_done(p) {
                continue;
            }
            scope.insert(p.to_string());
            if let Some(pj) = graph.job(p) {
                stack.extend(pj.parents());
            }
        }
        Ok(scope)
    }
}

impl Run {
    /// Whether `job` runs even when its outputs exist.
    pub fn forces(&self, job: &str) -> bool {
        self.force.contains(job)
    }

    /// Children of `finished` this run may start now: in scope, and every job they read from
    /// done (`is_done`). Called after `finished`'s outputs are durable (or it was skipped).
    pub fn ready_children(
        &self,
        graph: &Graph,
        finished: &str,
        is_done: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        graph
            .children(finished)
            .filter(|c| self.scope.contains(*c))
            .filter(|c| {
                graph
                    .job(c)
                    .is_some_and(|j| j.parents().iter().all(|p| *p == finished || is_done(p)))
            })
            .map(str::to_string)
            .collect()
    }
}
